/// A mailbox in a header: an address and an optional display name.
public struct MailAddress: Sendable, Hashable {
    public var address: EmailAddress
    public var displayName: String

    public init(_ address: EmailAddress, displayName: String = "") {
        self.address = address
        self.displayName = displayName
    }

    /// The header form: `"Name" <local@domain>`, with RFC 2047 encoded words for a
    /// non-ASCII name, or just the address.
    var headerForm: String {
        guard !self.displayName.isEmpty else { return self.address.description }
        return "\(HeaderEncoding.phrase(self.displayName)) <\(self.address.description)>"
    }
}
