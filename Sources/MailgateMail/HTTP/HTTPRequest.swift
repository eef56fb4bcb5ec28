import MailgateCore

/// One HTTPS request for libcurl: what the token service and Graph discovery send.
public struct HTTPRequest: Sendable, Hashable {
    public enum Method: String, Sendable, Hashable {
        case get = "GET"
        case post = "POST"
    }

    public var method: Method
    public var url: String
    /// Header lines as "Name: value".
    public var headers: [String]
    public var body: [UInt8]
    /// PEM bundle of trusted CAs; nil = the system bundle.
    public var caFile: String?
    public var timeout: Duration
    /// Larger responses are cut off and reported as a failure (unless `keepsStatusOfLongResponses`).
    public var maximumResponseBytes: Int
    /// A longer response is read to its end, its first `maximumResponseBytes` kept: for a caller
    /// that wants the status, not the body (a webhook receiver's 200 with a large page).
    public var keepsStatusOfLongResponses = false

    public init(
        method: Method,
        url: String,
        headers: [String] = [],
        body: [UInt8] = [],
        caFile: String? = nil,
        timeout: Duration = .seconds(30),
        maximumResponseBytes: Int = 1 << 20
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.caFile = caFile
        self.timeout = timeout
        self.maximumResponseBytes = maximumResponseBytes
    }

    /// A POST of `application/x-www-form-urlencoded` fields, as OAuth token requests are.
    public static func form(
        url: String,
        fields: [(String, String)],
        caFile: String? = nil,
        timeout: Duration = .seconds(30)
    ) -> HTTPRequest {
        HTTPRequest(
            method: .post,
            url: url,
            headers: ["Content-Type: application/x-www-form-urlencoded", "Accept: application/json"],
            body: Array(FormEncoding.encode(fields).utf8),
            caFile: caFile,
            timeout: timeout
        )
    }
}

/// What came back: the status and body (the token service reads JSON bodies of errors too).
public struct HTTPResponse: Sendable, Hashable {
    public var status: Int
    public var body: [UInt8]
    /// Header values by lowercase name (webhook deliveries read Retry-After).
    public var headers: [String: String]

    public init(status: Int, body: [UInt8], headers: [String: String] = [:]) {
        self.status = status
        self.body = body
        self.headers = headers
    }
}

/// No HTTP response at all: resolution, connection, TLS, timeout, or an oversized body.
public struct HTTPTransportError: Error, Sendable, Hashable, CustomStringConvertible {
    public var curlCode: Int
    public var detail: String

    public init(curlCode: Int, detail: String) {
        self.curlCode = curlCode
        self.detail = detail
    }

    public var description: String { self.detail }
}
