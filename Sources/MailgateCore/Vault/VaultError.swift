/// Why the vault could not seal or open a secret, or refused a key ring. A struct with a
/// `Code` (as `StoreError` is), so codes can be added without breaking callers that switch
/// on them. Messages name the key id and the secret's location, never key material or
/// secret values.
public struct VaultError: Error, Sendable, Equatable, CustomStringConvertible {
    public struct Code: Hashable, Sendable, CustomStringConvertible {
        private enum Base: String {
            case invalidKeyRing, malformedEnvelope, unknownKey, authenticationFailed, activeKeyMissing, keyChanged
        }

        private let base: Base
        private init(_ base: Base) { self.base = base }

        /// The master key ring text is unusable.
        public static let invalidKeyRing = Code(.invalidKeyRing)
        /// The stored value is not a `v<id>:<base64>` envelope.
        public static let malformedEnvelope = Code(.malformedEnvelope)
        /// The envelope names a master key the ring does not hold.
        public static let unknownKey = Code(.unknownKey)
        /// Authentication failed: the wrong master key, a tampered value, or a value moved
        /// from another row or column.
        public static let authenticationFailed = Code(.authenticationFailed)
        /// A replacement key ring lacks the key that seals new secrets now.
        public static let activeKeyMissing = Code(.activeKeyMissing)
        /// A replacement key ring gives a key id the ring in use holds other key bytes.
        public static let keyChanged = Code(.keyChanged)

        public var description: String { self.base.rawValue }
    }

    public let code: Code
    /// The stored secret concerned, for errors about one sealed value.
    public let location: SecretLocation?
    /// The master key concerned.
    public let keyID: UInt32?
    /// What is wrong with a key ring's text (never its key material).
    public let reason: String?

    private init(_ code: Code, location: SecretLocation? = nil, keyID: UInt32? = nil, reason: String? = nil) {
        self.code = code
        self.location = location
        self.keyID = keyID
        self.reason = reason
    }

    /// The master key ring text is unusable, for `reason`.
    public static func invalidKeyRing(_ reason: String) -> VaultError {
        VaultError(.invalidKeyRing, reason: reason)
    }

    /// The value stored at `location` is not a sealed envelope.
    public static func malformedEnvelope(_ location: SecretLocation) -> VaultError {
        VaultError(.malformedEnvelope, location: location)
    }

    /// The value at `location` is sealed with master key `keyID`, which the ring lacks.
    public static func unknownKey(_ keyID: UInt32, _ location: SecretLocation) -> VaultError {
        VaultError(.unknownKey, location: location, keyID: keyID)
    }

    /// The value at `location` does not open: wrong key, altered, or moved.
    public static func authenticationFailed(_ location: SecretLocation) -> VaultError {
        VaultError(.authenticationFailed, location: location)
    }

    /// A replacement ring lacks `keyID`, which seals new secrets now.
    public static func activeKeyMissing(_ keyID: UInt32) -> VaultError {
        VaultError(.activeKeyMissing, keyID: keyID)
    }

    /// A replacement ring gives `keyID` other key bytes.
    public static func keyChanged(_ keyID: UInt32) -> VaultError {
        VaultError(.keyChanged, keyID: keyID)
    }

    public var description: String {
        let column = self.location?.column ?? "secret"
        let server = self.location.map { "\($0.serverID)" } ?? "?"
        let id = self.keyID.map(String.init) ?? "?"
        switch self.code {
        case .invalidKeyRing:
            return "Invalid master key ring: \(self.reason ?? "unreadable")"
        case .malformedEnvelope:
            return "The stored \(column) of server \(server) is not a sealed value."
        case .unknownKey:
            return
                "The \(column) of server \(server) is sealed with master key \(id), which the key ring does not hold."
        case .authenticationFailed:
            return
                "The \(column) of server \(server) cannot be opened: wrong master key, or the stored value was altered or moved."
        case .keyChanged:
            return
                "The new key ring gives master key \(id) other key bytes; what key \(id) sealed could no longer be opened. Add a new key with a higher id instead."
        case .activeKeyMissing:
            return
                "The new key ring lacks master key \(id), which seals the secrets stored since it became active; keep it until `mailgate vault rotate` has re-sealed them."
        default:
            return "The vault refused: \(self.code)."
        }
    }
}
