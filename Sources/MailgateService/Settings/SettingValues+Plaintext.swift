import Logging
import MailgateCore

extension SettingValues {
    /// Whether an RPC listener on `host` may run without TLS: always on loopback, elsewhere
    /// only when `MAILGATE_ALLOW_PLAINTEXT=1` says so on purpose (a mesh or a tunnel that
    /// encrypts instead), and then with a warning. API keys and mail travel on this port.
    public func checkPlaintextListener(host: String, hasTLS: Bool, listener: String = "RPC", logger: Logger)
        throws(ConfigurationError)
    {
        guard !hasTLS, !Self.isLoopback(host) else { return }
        let allowed = self[SettingsTable.allowPlaintext]
        switch allowed?.lowercased() {
        case "1", "true", "yes":
            logger.warning(
                "the \(listener) listener takes API keys without TLS on a non-loopback address (MAILGATE_ALLOW_PLAINTEXT=1)",
                metadata: ["listen": "\(host)"]
            )
        case nil, "0", "false", "no", "":
            throw ConfigurationError(
                "The \(listener) listener \(host) is not loopback and has no TLS: API keys and mail would cross the network in the clear. Set MAILGATE_TLS_CERT and MAILGATE_TLS_KEY, or MAILGATE_ALLOW_PLAINTEXT=1 when something else encrypts the traffic (a service mesh, a tunnel)."
            )
        default:
            throw ConfigurationError("MAILGATE_ALLOW_PLAINTEXT: \(allowed ?? "") is not 1 or 0.")
        }
    }

    /// `localhost`, `127.0.0.0/8` and `::1`, in any of their spellings.
    static func isLoopback(_ host: String) -> Bool {
        DestinationPolicy.publicOnly.refusal(ofHost: host)?.kind == .loopback
    }
}
