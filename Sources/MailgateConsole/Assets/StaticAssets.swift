import Hummingbird
import NIOCore

/// `/static/console.css` and `/static/console.js`, compiled into the binary: nothing to
/// install beside it, nothing from a CDN.
enum StaticAssets {
    static func register(on router: Router<ConsoleRequestContext>) {
        let style = ByteBuffer(string: ConsoleStyle.source)
        let script = ByteBuffer(string: ConsoleScript.source)
        router.get("/static/console.css") { _, _ in
            Self.asset(style, type: "text/css; charset=utf-8")
        }
        router.get("/static/console.js") { _, _ in
            Self.asset(script, type: "text/javascript; charset=utf-8")
        }
        // Browsers ask for it on their own; the console has none.
        router.get("/favicon.ico") { _, _ in
            Response(status: .noContent, headers: [.cacheControl: "public, max-age=86400"])
        }
    }

    private static func asset(_ body: ByteBuffer, type: String) -> Response {
        Response(
            status: .ok,
            headers: [.contentType: type, .cacheControl: "public, max-age=300"],
            body: ResponseBody(byteBuffer: body)
        )
    }
}
