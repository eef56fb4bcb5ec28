/// What an SMTP reply means for a message beyond its code class: some servers say
/// "slow down" or "quota reached" with codes that would otherwise fail the message.
public enum ReplyClassification: String, Sendable, Hashable {
    /// Nothing special: 2xx delivered, 4xx retry, 5xx permanent.
    case ordinary
    /// The server limits how fast or how many connections: pause the server briefly
    /// and retry, even for a 5xx code.
    case throttled
    /// A sending quota is used up: pause the server for longer and retry.
    case quotaExceeded = "quota_exceeded"

    /// Classifies a reply such as `432 4.3.2 STOREDRV.ClientSubmit; sender thread limit exceeded`.
    public init(code: Int, text: String) {
        let lowered = text.lowercased()
        if Self.quotaMarkers.contains(where: lowered.contains) {
            self = .quotaExceeded
        } else if code == 432 || code == 421 && lowered.contains("4.7.0")
            || Self.throttleMarkers.contains(where: lowered.contains)
        {
            self = .throttled
        } else {
            self = .ordinary
        }
    }

    /// Exchange Online's submission quota, Gmail's daily limits.
    static let quotaMarkers = [
        "submissionquotaexceeded", "5.4.5 daily", "daily user sending limit", "daily sending quota", "quota exceeded",
    ]
    /// Exchange's concurrent-connection and thread limits, "server busy", Gmail's rate limits.
    static let throttleMarkers = [
        "4.3.2", "4.7.500", "server busy", "too many concurrent", "concurrent connections limit",
        "sender thread limit", "rate limit",
    ]
}
