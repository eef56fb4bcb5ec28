import Crypto
import Foundation

/// The master keys secrets are sealed with: entries `id:base64` (a positive integer id
/// and 32 random bytes), one per line or separated by commas. The key with the highest
/// id is the active one: new secrets are sealed with it; the others only open old ones.
///
/// Keys come from a file or the environment, never from the database.
public struct MasterKeyRing: Sendable {
    public let activeKeyID: UInt32
    /// Raw key bytes (SymmetricKey is not Sendable in this swift-crypto).
    let keys: [UInt32: [UInt8]]

    /// The key ids in the ring, ascending.
    public var keyIDs: [UInt32] { self.keys.keys.sorted() }

    /// Parses a key ring; throws `VaultError.invalidKeyRing` naming the bad entry (never its value).
    public init(parsing text: String) throws(VaultError) {
        var keys: [UInt32: [UInt8]] = [:]
        // Lines first (scalars, so CRLF splits too), comments dropped, then commas.
        let entries = String.UnicodeScalarView(text.unicodeScalars).split(whereSeparator: { $0 == "\n" || $0 == "\r" })
            .map { String($0).trimmingCharacters(in: .whitespaces) }
            .filter { !$0.isEmpty && !$0.hasPrefix("#") }
            .flatMap { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
            .filter { !$0.isEmpty }
        for (index, entry) in entries.enumerated() {
            let position = "entry \(index + 1)"
            guard let colon = entry.firstIndex(of: ":") else {
                throw .invalidKeyRing("\(position) is not of the form id:base64.")
            }
            guard let id = UInt32(entry[..<colon]), id > 0 else {
                throw .invalidKeyRing("\(position): the key id must be a positive whole number.")
            }
            guard let bytes = Data(base64Encoded: String(entry[entry.index(after: colon)...])), bytes.count == 32 else {
                throw .invalidKeyRing("key \(id): the key must be 32 bytes, base64-encoded (openssl rand -base64 32).")
            }
            guard keys[id] == nil else { throw .invalidKeyRing("key \(id) appears twice.") }
            keys[id] = Array(bytes)
        }
        guard let active = keys.keys.max() else {
            throw .invalidKeyRing("The key ring is empty: give at least one id:base64 entry.")
        }
        self.keys = keys
        self.activeKeyID = active
    }

    /// A ring of one freshly generated key (development and tests).
    public static func generate(id: UInt32 = 1) -> (ring: MasterKeyRing, text: String) {
        let text = "\(id):\(Self.randomKeyBase64())"
        return (try! MasterKeyRing(parsing: text), text)
    }

    /// 32 random bytes from the system CSPRNG, base64-encoded: a new key for a ring.
    public static func randomKeyBase64() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    func key(id: UInt32) -> SymmetricKey? { self.keys[id].map { SymmetricKey(data: $0) } }

    /// The ids both rings hold with different key bytes: a ring that changes a key
    /// under the same id can no longer open what that id sealed.
    public func conflictingKeyIDs(with other: MasterKeyRing) -> [UInt32] {
        self.keys.compactMap { id, bytes in other.keys[id].map { $0 != bytes } == true ? id : nil }.sorted()
    }
}
