import Foundation

/// An access token as a token endpoint issued it (RFC 6749 §5.1).
public struct IssuedToken: Sendable, Hashable {
    public var accessToken: Secret
    /// From `expires_in`; nil when the endpoint did not say.
    public var expiresIn: Int?
    /// Present when the endpoint issued (or rotated) a refresh token.
    public var refreshToken: Secret?
    /// The granted scopes, space-separated in the reply.
    public var scopes: [String]
    public var tokenType: String
    /// The account that signed in, as the OpenID Connect `id_token` names it (`email`,
    /// `preferred_username`, `upn`); empty without an id_token. It came straight from the
    /// token endpoint over verified TLS, which OpenID Connect Core §3.1.3.7 accepts in place
    /// of checking the token's signature.
    public var signedInAs: [String] = []
}

/// A refusal from a token endpoint (RFC 6749 §5.2), with Microsoft's extra fields.
/// Nothing in it is secret: descriptions name apps and directories, never credentials.
public struct TokenEndpointError: Error, Sendable, Hashable {
    public var status: Int
    /// `invalid_client`, `invalid_grant`, …; empty when the body was not JSON.
    public var error: String
    public var description: String
    /// Microsoft's AADSTS numbers.
    public var errorCodes: [Int]
    public var traceID: String
    public var correlationID: String
}

/// Parsing a token endpoint's reply body.
public enum TokenEndpointReply {
    /// The issued token, or the refusal, of an HTTP reply.
    public static func parse(status: Int, body: [UInt8]) -> Result<IssuedToken, TokenEndpointError> {
        let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
        if (200..<300).contains(status), let token = object["access_token"] as? String, !token.isEmpty {
            let expiresIn =
                (object["expires_in"] as? NSNumber)?.intValue ?? (object["expires_in"] as? String).flatMap { Int($0) }
            return .success(
                IssuedToken(
                    accessToken: Secret(token),
                    expiresIn: expiresIn,
                    refreshToken: (object["refresh_token"] as? String).flatMap { $0.isEmpty ? nil : Secret($0) },
                    scopes: (object["scope"] as? String)?.split(separator: " ").map(String.init) ?? [],
                    tokenType: object["token_type"] as? String ?? "Bearer",
                    signedInAs: (object["id_token"] as? String).map(Self.accounts(inIDToken:)) ?? []
                )
            )
        }
        var error = TokenEndpointError(
            status: status,
            error: object["error"] as? String ?? "",
            description: Self.firstLine(object["error_description"] as? String ?? ""),
            errorCodes: (object["error_codes"] as? [Any])?.compactMap { ($0 as? NSNumber)?.intValue } ?? [],
            traceID: object["trace_id"] as? String ?? "",
            correlationID: object["correlation_id"] as? String ?? ""
        )
        if error.errorCodes.isEmpty { error.errorCodes = Self.aadstsCodes(in: error.description) }
        if error.error.isEmpty, (200..<300).contains(status) {
            error.error = "invalid_response"
            error.description = "the reply has no access_token"
        }
        return .failure(error)
    }

    /// The account claims of an OpenID Connect id_token (a JWT: header.payload.signature).
    static func accounts(inIDToken token: String) -> [String] {
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count >= 2 else { return [] }
        var payload = parts[1].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        payload += String(repeating: "=", count: (4 - payload.count % 4) % 4)
        guard let data = Data(base64Encoded: payload),
            let claims = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
        else { return [] }
        return ["email", "preferred_username", "upn"].compactMap { claims[$0] as? String }.filter { !$0.isEmpty }
    }

    /// Microsoft puts "AADSTS7000222: …" first in descriptions; a fallback when `error_codes` is absent.
    static func aadstsCodes(in text: String) -> [Int] {
        guard let range = text.range(of: "AADSTS") else { return [] }
        let digits = text[range.upperBound...].prefix { $0.isNumber }
        return Int(digits).map { [$0] } ?? []
    }

    /// Microsoft's descriptions run on with trace ids and timestamps on later lines.
    public static func firstLine(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        return line.count > 400 ? String(line.prefix(400)) + "…" : line
    }
}
