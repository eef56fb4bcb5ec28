/// Why the vault could not seal or open a secret. Messages name the key id and the
/// secret's location, never key material or secret values.
public enum VaultError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The master key ring text is unusable.
    case invalidKeyRing(String)
    /// The stored value is not a `v<id>:<base64>` envelope.
    case malformedEnvelope(SecretLocation)
    /// The envelope names a master key the ring does not hold.
    case unknownKey(UInt32, SecretLocation)
    /// Authentication failed: the wrong master key, a tampered value, or a value moved from another row or column.
    case authenticationFailed(SecretLocation)
    /// A replacement key ring lacks the key that seals new secrets now.
    case activeKeyMissing(UInt32)
    /// A replacement key ring gives a key id the ring in use holds other key bytes.
    case keyChanged(UInt32)

    public var description: String {
        switch self {
        case .invalidKeyRing(let reason):
            return "Invalid master key ring: \(reason)"
        case .malformedEnvelope(let location):
            return "The stored \(location.column) of server \(location.serverID) is not a sealed value."
        case .unknownKey(let id, let location):
            return
                "The \(location.column) of server \(location.serverID) is sealed with master key \(id), which the key ring does not hold."
        case .authenticationFailed(let location):
            return
                "The \(location.column) of server \(location.serverID) cannot be opened: wrong master key, or the stored value was altered or moved."
        case .keyChanged(let id):
            return
                "The new key ring gives master key \(id) other key bytes; what key \(id) sealed could no longer be opened. Add a new key with a higher id instead."
        case .activeKeyMissing(let id):
            return
                "The new key ring lacks master key \(id), which seals the secrets stored since it became active; keep it until `mailgate vault rotate` has re-sealed them."
        }
    }
}
