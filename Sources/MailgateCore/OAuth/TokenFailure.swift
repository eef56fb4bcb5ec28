import Foundation

/// Why a token request failed, classified, with what the provider said for the event.
public struct TokenFailure: Error, Sendable, Hashable, CustomStringConvertible {
    public var reason: TokenFailureReason
    /// For people: what happened, never a secret.
    public var detail: String
    /// The provider's refusal, when there was one.
    public var providerError: TokenEndpointError?
    /// When delivery will ask again; nil until the failure is recorded.
    public var retryAt: Date?

    public init(
        reason: TokenFailureReason,
        detail: String,
        providerError: TokenEndpointError? = nil,
        retryAt: Date? = nil
    ) {
        self.reason = reason
        self.detail = detail
        self.providerError = providerError
        self.retryAt = retryAt
    }

    public var description: String { "\(self.reason.rawValue): \(self.detail)" }

    /// `invalid_grant` the first time: Microsoft also answers so for passing conditions,
    /// so it is asked once more before consent is declared lost.
    public var deservesOneRetry: Bool {
        self.reason == .consentRequired && self.providerError?.error == "invalid_grant"
    }

    /// The event details: reason and the provider's fields.
    public var eventDetails: [String: String] {
        var details = ["reason": self.reason.rawValue]
        if let error = self.providerError {
            if !error.error.isEmpty { details["error"] = error.error }
            if !error.errorCodes.isEmpty {
                details["error_codes"] = error.errorCodes.map(String.init).joined(separator: ",")
            }
            if !error.traceID.isEmpty { details["provider_trace_id"] = error.traceID }
            if !error.correlationID.isEmpty { details["correlation_id"] = error.correlationID }
            if !error.description.isEmpty { details["error_description"] = error.description }
            if error.status != 0 { details["http_status"] = String(error.status) }
        }
        return details
    }

    /// Classifies a token endpoint's refusal (RFC 6749 §5.2 plus Microsoft's AADSTS codes).
    public static func classify(_ error: TokenEndpointError) -> TokenFailure {
        let codes = Set(error.errorCodes)
        let said = error.description.isEmpty ? error.error : "\(error.error): \(error.description)"
        func failure(_ reason: TokenFailureReason, _ detail: String) -> TokenFailure {
            TokenFailure(reason: reason, detail: detail, providerError: error)
        }
        if error.status >= 500 || error.status == 429 || error.status == 408
            || !codes.isDisjoint(with: [90006, 90024, 50033])
            || error.error == "temporarily_unavailable" || error.error == "server_error"
        {
            return failure(
                .endpointUnavailable,
                "the token endpoint is temporarily unavailable (HTTP \(error.status)): \(said)"
            )
        }
        if codes.contains(7000222) { return failure(.clientSecretExpired, "the client secret has expired: \(said)") }
        if codes.contains(7000215) { return failure(.clientSecretInvalid, "the client secret is wrong: \(said)") }
        if codes.contains(700016) {
            return failure(.clientIDUnknown, "the client id is unknown in this directory: \(said)")
        }
        if codes.contains(90002) { return failure(.directoryNotFound, "the directory (tenant) was not found: \(said)") }
        switch error.error {
        case "invalid_grant":
            return failure(.consentRequired, "the refresh token or grant is no longer valid: \(said)")
        case "invalid_scope":
            return failure(.scopeInvalid, "the requested scope is invalid: \(said)")
        case "invalid_client":
            return failure(.clientSecretInvalid, "the client credentials were refused: \(said)")
        case "":
            // A 404 from a wrong URL, a proxy's login page, a redirect: waiting will not fix it.
            return failure(
                .requestRejected,
                "the token URL answered HTTP \(error.status) without an OAuth error body: check the token URL"
            )
        default:
            return failure(.requestRejected, "the token endpoint refused the request: \(said)")
        }
    }

    /// No HTTP reply at all: always transient.
    public static func unreachable(_ detail: String) -> TokenFailure {
        TokenFailure(reason: .endpointUnavailable, detail: "the token endpoint could not be reached: \(detail)")
    }
}
