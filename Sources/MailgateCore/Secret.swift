/// A secret value (password, token, API key) that cannot be printed by accident:
/// its `description` is `<redacted>`, so string interpolation into logs, errors or
/// events never reveals it. Read `exposedValue` only where the secret is used.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret itself: use it, never log it.
    public let exposedValue: String

    public init(_ value: String) {
        self.exposedValue = value
    }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
}
