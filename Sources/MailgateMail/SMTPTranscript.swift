/// Follows one libcurl SMTP transaction through its debug callback: which command was
/// sent last, the server's replies, each recipient's answer, and whether the whole
/// message body went out. Never records the AUTH exchange (it carries credentials).
final class SMTPTranscript {
    private(set) var stage: SMTPStage = .connect
    private(set) var lastReplyCode = 0
    private(set) var lastReply = ""
    private(set) var rejectedRecipients: [String: String] = [:]
    /// Set once the final "." went out and until the reply to it arrives.
    private(set) var awaitingFinalReply = false
    private var pendingRecipient: String?
    /// After QUIT the server's 221 says nothing about the message: it is not recorded.
    private var quitting = false
    private var replyLines: [String] = []

    let payload: [UInt8]
    private(set) var payloadOffset = 0

    init(payload: [UInt8]) {
        self.payload = payload
    }

    /// Copies the next payload bytes into libcurl's buffer.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        let count = min(buffer.count, self.payload.count - self.payloadOffset)
        if count == 0 {
            self.awaitingFinalReply = true
            return 0
        }
        self.payload.withUnsafeBytes { source in
            buffer.copyMemory(
                from: UnsafeRawBufferPointer(rebasing: source[self.payloadOffset..<(self.payloadOffset + count)])
            )
        }
        self.payloadOffset += count
        return count
    }

    /// A command line the client sent.
    func sent(_ line: String) {
        let upper = line.uppercased()
        if upper.hasPrefix("EHLO") || upper.hasPrefix("HELO") {
            self.stage = .ehlo
        } else if upper.hasPrefix("STARTTLS") {
            self.stage = .tls
        } else if upper.hasPrefix("AUTH") {
            self.stage = .auth
        } else if upper.hasPrefix("MAIL FROM") {
            self.stage = .mailFrom
        } else if upper.hasPrefix("RCPT TO") {
            self.stage = .rcpt
            if let open = line.firstIndex(of: "<"), let close = line.lastIndex(of: ">"), open < close {
                self.pendingRecipient = String(line[line.index(after: open)..<close])
            }
        } else if upper.hasPrefix("DATA") {
            self.stage = .data
        } else if upper.hasPrefix("QUIT") {
            self.quitting = true
        }
    }

    /// A reply line from the server ("250-…" continues, "250 …" ends a reply).
    func received(_ line: String) {
        guard line.count >= 3, let code = Int(line.prefix(3)) else { return }
        if self.stage == .connect { self.stage = .greeting }
        self.replyLines.append(line)
        let isLast = line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " "
        guard isLast else { return }
        if self.quitting {
            self.replyLines = []
            return
        }
        // During AUTH the server's challenges are base64 of prompts only, but keep them out anyway.
        self.lastReply =
            self.stage == .auth && code == 334 ? "334 (challenge)" : self.replyLines.joined(separator: " / ")
        self.lastReplyCode = code
        self.replyLines = []
        if let recipient = self.pendingRecipient {
            if code >= 400 { self.rejectedRecipients[recipient] = self.lastReply }
            self.pendingRecipient = nil
        }
        if self.awaitingFinalReply {
            self.awaitingFinalReply = false
            self.stage = code < 400 ? .done : .data
        }
    }
}
