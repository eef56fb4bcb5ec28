import Crypto
import Foundation
import Synchronization

/// Seals and opens secrets with AES-256-GCM: a fresh random 96-bit nonce per seal,
/// the secret's location as additional authenticated data, and the master key id in
/// the envelope `v<key id>:<base64 of nonce | ciphertext | tag>` so keys can rotate.
///
/// Copies of a vault share one key ring, which `replaceKeyRing` swaps at run time (SIGHUP).
public struct Vault: Sendable {
    private let ring: SharedKeyRing

    public init(keyRing: MasterKeyRing) {
        self.ring = SharedKeyRing(keyRing)
    }

    /// The master keys in use right now.
    public var keyRing: MasterKeyRing { self.ring.current.withLock { $0 } }

    /// Seals with `newRing`'s active key from now on, and opens with its keys. Refused when
    /// the new ring lacks the active key, or gives an id it shares with the current ring
    /// other key bytes: secrets sealed under those keys would become unreadable.
    public func replaceKeyRing(_ newRing: MasterKeyRing) throws(VaultError) {
        try self.ring.current.withLock { (current: inout MasterKeyRing) throws(VaultError) in
            try Self.check(newRing, replacing: current)
            current = newRing
        }
    }

    /// Why `newRing` cannot replace the ring in use, if it cannot.
    public func checkReplacement(_ newRing: MasterKeyRing) throws(VaultError) {
        try Self.check(newRing, replacing: self.keyRing)
    }

    private static func check(_ newRing: MasterKeyRing, replacing current: MasterKeyRing) throws(VaultError) {
        guard newRing.key(id: current.activeKeyID) != nil else { throw .activeKeyMissing(current.activeKeyID) }
        if let changed = current.conflictingKeyIDs(with: newRing).first { throw .keyChanged(changed) }
    }

    /// Seals `secret` for `location` under the active master key.
    public func seal(_ secret: Secret, at location: SecretLocation) -> String {
        let ring = self.keyRing
        let keyID = ring.activeKeyID
        let key = ring.key(id: keyID)!
        // AES.GCM.seal with a random nonce only fails for invalid nonce sizes, which cannot happen here.
        let box = try! AES.GCM.seal(
            Array(secret.exposedValue.utf8),
            using: key,
            nonce: AES.GCM.Nonce(),
            authenticating: location.additionalData
        )
        return "v\(keyID):" + box.combined!.base64EncodedString()
    }

    /// Opens an envelope sealed for `location`.
    public func open(_ envelope: String, at location: SecretLocation) throws(VaultError) -> Secret {
        guard let (keyID, combined) = Self.parse(envelope) else { throw .malformedEnvelope(location) }
        guard let key = self.keyRing.key(id: keyID) else { throw .unknownKey(keyID, location) }
        do {
            let box = try AES.GCM.SealedBox(combined: combined)
            let plaintext = try AES.GCM.open(box, using: key, authenticating: location.additionalData)
            guard let text = String(bytes: plaintext, encoding: .utf8) else {
                throw VaultError.authenticationFailed(location)
            }
            return Secret(text)
        } catch {
            throw .authenticationFailed(location)
        }
    }

    /// Whether `envelope` is sealed with the active key (rotation leaves those alone).
    public func isSealedWithActiveKey(_ envelope: String) -> Bool {
        Self.keyID(of: envelope) == self.keyRing.activeKeyID
    }

    /// The master key id an envelope names, if it is one.
    public static func keyID(of envelope: String) -> UInt32? {
        self.parse(envelope)?.keyID
    }

    private static func parse(_ envelope: String) -> (keyID: UInt32, combined: Data)? {
        guard envelope.hasPrefix("v"), let colon = envelope.firstIndex(of: ":"),
            let keyID = UInt32(envelope[envelope.index(after: envelope.startIndex)..<colon]),
            let combined = Data(base64Encoded: String(envelope[envelope.index(after: colon)...])),
            combined.count >= 12 + 16
        else { return nil }
        return (keyID, combined)
    }
}

/// The key ring every copy of one `Vault` reads.
private final class SharedKeyRing: Sendable {
    let current: Mutex<MasterKeyRing>

    init(_ ring: MasterKeyRing) {
        self.current = Mutex(ring)
    }
}
