import Hummingbird
import Logging
import MailgateRPC
import MailgateService
import NIOCore

/// What the console knows about a request besides the request: the client's address, the
/// page language and, once the session middleware found one, who is signed in.
struct ConsoleRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The client's address, for sign-in limits, calls and the session record.
    var peer: PeerAddress
    var language: Language = .english
    /// Set by `SessionMiddleware` for a live session.
    var session: ConsoleSession?
    /// A POST's fields, read and checked for the CSRF token by `SessionMiddleware`.
    var form = FormBody()

    init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.peer = PeerAddress(source.channel.remoteAddress)
    }

    /// Sheets are uploaded to the import page, and carried sealed from its dry run to the import.
    var maxUploadSize: Int { 16 << 20 }
}

/// A signed-in browser: the key's principal and the token its forms must carry.
struct ConsoleSession: Sendable {
    var principal: Principal
    var csrfToken: String
    /// SHA-256 of the cookie's value: what sign-out deletes.
    var idHash: [UInt8]

    /// The tenant a tenant key is confined to; nil for operators.
    var ownTenant: String? {
        if case .tenant(let tenant) = self.principal.scope { return tenant.slug }
        return nil
    }
}
