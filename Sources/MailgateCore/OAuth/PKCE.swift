import Crypto
import Foundation

/// Proof Key for Code Exchange (RFC 7636) with S256, and the random `state` of a consent.
public enum PKCE {
    /// A code verifier: 32 random bytes, base64url (43 characters).
    public static func makeVerifier() -> Secret {
        Secret(self.base64URL(self.randomBytes(32)))
    }

    /// `BASE64URL(SHA256(verifier))`.
    public static func challenge(for verifier: Secret) -> String {
        self.base64URL(Array(SHA256.hash(data: Array(verifier.exposedValue.utf8))))
    }

    /// A consent `state`: 32 random bytes (256 bits), base64url.
    public static func makeState() -> String {
        self.base64URL(self.randomBytes(32))
    }

    /// SHA-256 of a state: what the database keeps, so a leaked row cannot complete a consent.
    public static func stateDigest(_ state: String) -> [UInt8] {
        Array(SHA256.hash(data: Array(state.utf8)))
    }

    static func randomBytes(_ count: Int) -> [UInt8] {
        var generator = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: .min ... .max, using: &generator) }
    }

    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}
