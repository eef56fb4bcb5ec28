/// Who is making a call, as established by the authenticator.
public struct Principal: Sendable, Hashable {
    /// What a key may act on.
    public enum Scope: Sendable, Hashable {
        /// Platform-wide: operators.
        case operator_
        /// One tenant, by id.
        case tenant(String)
    }

    /// The key id (public part of the key).
    public var keyID: String
    public var scope: Scope

    public init(keyID: String, scope: Scope) {
        self.keyID = keyID
        self.scope = scope
    }

    public var isOperator: Bool { self.scope == .operator_ }
}
