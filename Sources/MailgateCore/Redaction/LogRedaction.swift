/// The last line of defence against a secret reaching a log: rewrites every credential
/// shape Mailgate handles into `<redacted>`, whatever code logged it.
///
/// Secrets are typed (`Secret` prints as `<redacted>`), so this should find nothing;
/// it catches what typing cannot: a secret inside an error a library built, a request
/// body, a connection URL, or an SMTP command line.
public enum LogRedaction {
    public static let marker = "<redacted>"

    /// Metadata keys whose whole value is a secret.
    public static let secretKeys: Set<String> = [
        "password", "secret", "client_secret", "refresh_token", "access_token", "id_token",
        "authorization", "api_key", "code_verifier", "master_key", "master_keys",
    ]

    /// `text` with every credential shape replaced.
    public static func scrub(_ text: String) -> String {
        // Each rule runs only when its trigger occurs: most log lines hold none of them.
        let lowered = text.lowercased()
        var result = text
        for rule in self.rules where rule.triggers.contains(where: lowered.contains) {
            result = result.replacing(rule.pattern) { match in rule.keep(match) + self.marker + rule.after(match) }
        }
        return result
    }

    private struct Rule {
        let pattern: Regex<AnyRegexOutput>
        /// Lowercase substrings without which the pattern cannot match.
        let triggers: [String]
        /// The part of the match kept before the marker.
        let keep: (Regex<AnyRegexOutput>.Match) -> String
        /// The part of the match kept after the marker.
        let after: (Regex<AnyRegexOutput>.Match) -> String

        init(_ pattern: String, triggers: [String], keep: Int, after: Int? = nil) {
            // The patterns are constants below: a bad one is a programming error.
            self.pattern = try! Regex(pattern)
            self.triggers = triggers
            self.keep = { match in match.output[keep].substring.map(String.init) ?? "" }
            self.after = { match in after.flatMap { match.output[$0].substring.map(String.init) } ?? "" }
        }
    }

    /// Immutable once built, and a `Regex` publishes its compiled program atomically, so
    /// concurrent log calls share these safely (`AnyRegexOutput` is what keeps them from
    /// being `Sendable`).
    nonisolated(unsafe) private static let rules: [Rule] = [
        // Mailgate API keys: the id is public, the secret part is not.
        Rule(#"(mgk_[A-Za-z0-9-]{1,64}_)[A-Za-z0-9-]{8,}"#, triggers: ["mgk_"], keep: 1),
        // Webhook signing secrets: the prefix stays, so a redacted one is recognisable.
        Rule(#"(whsec_)[A-Za-z0-9]{8,}"#, triggers: ["whsec_"], keep: 1),
        // HTTP and SASL bearer credentials (tokens are long; "bearer token refused" stays).
        Rule(#"((?i:bearer)\s+)(?!mgk_)[A-Za-z0-9\-._~+/=]{16,}"#, triggers: ["bearer"], keep: 1),
        // SMTP AUTH with an initial response; an EHLO line listing mechanisms stays.
        Rule(
            #"((?i:auth)\s+(?i:plain|login|xoauth2|oauthbearer|cram-md5)\s+)(?!(?i:plain|login|xoauth2|oauthbearer|cram-md5|gssapi|ntlm)\b)[A-Za-z0-9+/=]{4,}"#,
            triggers: ["auth"],
            keep: 1
        ),
        // user:password@ in URLs (database URLs, proxies); not host:port/path…@.
        Rule(#"(://[^:/@\s]*:)[^@\s/]+(@)"#, triggers: ["://"], keep: 1, after: 2),
        // Form, query and libpq fields: client_secret=…, refresh_token=…, password='…'
        Rule(
            #"((?i:client_secret|refresh_token|access_token|id_token|password|code_verifier|client_assertion)\s*=\s*)(?:'(?:[^'\\]|\\.)*'|[^&\s"']+)"#,
            triggers: ["="],
            keep: 1
        ),
        // OAuth authorization codes and states (callback URLs); short values such as code=535 stay.
        Rule(#"((?:^|[^A-Za-z_])(?i:code|state)=)[A-Za-z0-9\-._~+/%]{20,}"#, triggers: ["code=", "state="], keep: 1),
        // JSON fields: "access_token": "…" (escaped quotes inside the value included)
        Rule(
            #"("(?i:access_token|refresh_token|id_token|client_secret|password|secret)"\s*:\s*")(?:[^"\\]|\\.)*(")"#,
            triggers: ["\""],
            keep: 1,
            after: 2
        ),
    ]
}
