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
    /// Where the language switch leads: this page again for a GET, else the start page (a
    /// form's answer cannot be asked for again).
    var pageForLanguageSwitch = "/"
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
