/// Where a sealed secret lives: its tenant, server and column. It is the additional
/// authenticated data of the seal, so a ciphertext copied to another row or column
/// fails to open.
public struct SecretLocation: Sendable, Hashable {
    public var tenantID: String
    public var serverID: String
    public var column: String

    public init(tenantID: String, serverID: String, column: String) {
        self.tenantID = tenantID.lowercased()
        self.serverID = serverID.lowercased()
        self.column = column
    }

    var additionalData: [UInt8] { Array("\(self.tenantID)|\(self.serverID)|\(self.column)".utf8) }
}
