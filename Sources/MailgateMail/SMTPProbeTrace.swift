import Foundation
import MailgateCore

/// Follows a diagnostic session through libcurl's debug callback and times each step.
/// Lines the client sends during AUTH carry credentials: only the mechanism is kept.
final class SMTPProbeTrace {
    private let start = ContinuousClock.now
    private(set) var report = SMTPProbeReport()

    private var awaiting: Awaiting = .greeting
    private var stepStartedAt: Duration = .zero
    private var replyLines: [String] = []
    private var readingCertificate = false

    /// What the next server reply answers.
    private enum Awaiting {
        case greeting, ehlo, startTLS, auth, noop, other
    }

    init() {}

    private var elapsed: Duration { ContinuousClock.now - self.start }

    private func milliseconds(since start: Duration) -> Int {
        Int((self.elapsed - start).milliseconds)
    }

    /// libcurl's informational text: connection, TLS and certificate details.
    func info(_ line: String) {
        let text = line.trimmingCharacters(in: .whitespaces)
        if text.hasPrefix("Connected to ") {
            // "Connected to localhost (127.0.0.1) port 2525 (#0)"
            self.report.connectedTo = Self.connectedAddress(text)
            self.report.connectMilliseconds = self.milliseconds(since: .zero)
            self.stepStartedAt = self.elapsed
        } else if text.hasPrefix("SSL connection using ") {
            // "SSL connection using TLSv1.3 / TLS_AES_256_GCM_SHA384[ / X25519 / RSASSA-PSS]"
            let parts = text.dropFirst("SSL connection using ".count).components(separatedBy: " / ")
            self.report.tlsVersion = parts.first
            self.report.cipher = parts.count > 1 ? parts[1] : nil
            self.report.tlsEstablished = true
            self.report.tlsMilliseconds = self.milliseconds(since: self.tlsStartedAt ?? self.stepStartedAt)
        } else if text.hasPrefix("Server certificate:") {
            self.readingCertificate = true
        } else if self.readingCertificate, let colon = text.firstIndex(of: ":") {
            let name = text[..<colon].lowercased()
            let value = text[text.index(after: colon)...].trimmingCharacters(in: .whitespaces)
            switch name {
            case "subject": self.report.certificateSubject = value
            case "issuer": self.report.certificateIssuer = value
            case "expire date": self.report.certificateExpiry = value
            case "start date", "subjectaltname": break
            default: self.readingCertificate = false
            }
        }
    }

    private var tlsStartedAt: Duration?

    /// A line the client sent.
    func sent(_ line: String) {
        let upper = line.uppercased()
        self.replyLines = []
        if upper.hasPrefix("EHLO") || upper.hasPrefix("HELO") {
            self.awaiting = .ehlo
            self.stepStartedAt = self.elapsed
        } else if upper.hasPrefix("STARTTLS") {
            self.awaiting = .startTLS
            self.report.startTLSSent = true
            self.tlsStartedAt = self.elapsed
        } else if upper.hasPrefix("AUTH ") {
            self.awaiting = .auth
            self.stepStartedAt = self.elapsed
            self.report.authMechanism = upper.split(separator: " ").dropFirst().first.map(String.init)
        } else if upper.hasPrefix("NOOP") {
            self.awaiting = .noop
        } else if self.awaiting != .auth {
            // Inside AUTH the client's lines are credentials; elsewhere (QUIT) nothing to follow.
            self.awaiting = .other
        }
    }

    /// A reply line from the server ("250-…" continues, "250 …" ends a reply).
    func received(_ line: String) {
        guard line.count >= 3, Int(line.prefix(3)) != nil else { return }
        self.replyLines.append(line)
        let isLast = line.count == 3 || line[line.index(line.startIndex, offsetBy: 3)] == " "
        guard isLast else { return }
        let lines = self.replyLines
        self.replyLines = []
        let code = Int(line.prefix(3)) ?? 0
        // 334 carries SASL challenges: not kept, and not the end of AUTH (unless the client gives up on it).
        if self.awaiting == .auth && code == 334 {
            self.report.authChallenges += 1
            return
        }
        let reply = lines.joined(separator: " / ")
        self.report.lastReply = reply
        switch self.awaiting {
        case .greeting:
            self.report.greeting = reply
            self.report.greetingMilliseconds = self.milliseconds(since: self.stepStartedAt)
        case .ehlo:
            self.report.ehloReplies.append(lines)
            self.report.ehloMilliseconds = self.milliseconds(since: self.stepStartedAt)
        case .startTLS:
            // The handshake starts after this reply; its end is the "SSL connection using" text.
            self.tlsStartedAt = self.elapsed
        case .auth:
            self.report.authReply = reply
            self.report.authMilliseconds = self.milliseconds(since: self.stepStartedAt)
        case .noop, .other:
            break
        }
        self.awaiting = .other
    }

    private static func connectedAddress(_ text: String) -> String {
        // "Connected to HOST (ADDRESS) port PORT (#0)" → "ADDRESS port PORT"
        guard let open = text.firstIndex(of: "("), let close = text[open...].firstIndex(of: ")") else {
            return String(text.dropFirst(13))
        }
        let address = text[text.index(after: open)..<close]
        let rest = text[text.index(after: close)...].trimmingCharacters(in: .whitespaces)
        let port = rest.hasPrefix("port ") ? rest.split(separator: " ").dropFirst().first.map(String.init) ?? "" : ""
        return port.isEmpty ? String(address) : "\(address) port \(port)"
    }
}
