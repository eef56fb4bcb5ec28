import CCurl
import Foundation
import MailgateCore

/// HTTPS requests with one libcurl easy handle. Blocking: run it on a thread of
/// `HTTPTransport`, never an event loop. Only https (and http, for tests on
/// loopback) are allowed, redirects are not followed, and TLS is verified.
final class CurlHTTPClient {
    private let handle: UnsafeMutableRawPointer
    private let destinations: DestinationGuard

    init(destinations: DestinationPolicy) {
        self.destinations = DestinationGuard(policy: destinations)
        CurlGlobal.initialize()
        self.handle = curl_easy_init()!
    }

    deinit {
        curl_easy_cleanup(self.handle)
    }

    /// Accumulates the response body, up to a limit.
    private final class Collector {
        var body: [UInt8] = []
        /// Response headers by lowercase name (the last of a repeated one), of the last response.
        var headers: [String: String] = [:]
        let limit: Int
        /// Beyond `limit`, read on and drop the rest instead of failing.
        let keepsReading: Bool
        var overflowed = false
        let payload: [UInt8]
        var offset = 0

        init(limit: Int, keepsReading: Bool, payload: [UInt8]) {
            self.limit = limit
            self.keepsReading = keepsReading
            self.payload = payload
        }
    }

    func perform(_ request: HTTPRequest) -> Result<HTTPResponse, HTTPTransportError> {
        let h = self.handle
        curl_easy_reset(h)
        let collector = Collector(
            limit: request.maximumResponseBytes,
            keepsReading: request.keepsStatusOfLongResponses,
            payload: request.body
        )
        let unmanaged = Unmanaged.passRetained(collector)
        defer { unmanaged.release() }
        let headers = request.headers.reduce(nil as UnsafeMutablePointer<curl_slist>?) { list, line in
            curl_slist_append(list, line)
        }
        defer { curl_slist_free_all(headers) }

        _ = mg_curl_setopt_string(h, CURLOPT_URL, request.url)
        _ = mg_curl_setopt_string(h, CURLOPT_PROTOCOLS_STR, "https,http")
        _ = mg_curl_setopt_long(h, CURLOPT_NOSIGNAL, 1)
        _ = mg_curl_setopt_long(h, CURLOPT_FOLLOWLOCATION, 0)
        _ = mg_curl_setopt_long(h, CURLOPT_TIMEOUT_MS, Int(request.timeout.milliseconds))
        _ = mg_curl_setopt_long(h, CURLOPT_CONNECTTIMEOUT_MS, Int(min(request.timeout, .seconds(15)).milliseconds))
        _ = mg_curl_setopt_long(h, CURLOPT_SSLVERSION, CURL_SSLVERSION_TLSv1_2)
        _ = mg_curl_setopt_long(h, CURLOPT_SSL_VERIFYPEER, 1)
        _ = mg_curl_setopt_long(h, CURLOPT_SSL_VERIFYHOST, 2)
        // A CA file updated in place counts from the next request (libcurl may keep a store 24 h).
        _ = mg_curl_setopt_long(h, CURLOPT_CA_CACHE_TIMEOUT, 0)
        if let caFile = request.caFile { _ = mg_curl_setopt_string(h, CURLOPT_CAINFO, caFile) }
        _ = mg_curl_setopt_slist(h, CURLOPT_HTTPHEADER, headers)
        _ = mg_curl_setopt_string(h, CURLOPT_USERAGENT, "mailgate")
        if request.method == .post {
            _ = mg_curl_setopt_long(h, CURLOPT_POST, 1)
            _ = mg_curl_setopt_off_t(h, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(request.body.count))
            _ = mg_curl_setopt_read_function(h) { buffer, size, count, userdata in
                guard let buffer, let userdata else { return 0 }
                let collector = Unmanaged<Collector>.fromOpaque(userdata).takeUnretainedValue()
                let n = min(size * count, collector.payload.count - collector.offset)
                guard n > 0 else { return 0 }
                collector.payload.withUnsafeBytes { bytes in
                    UnsafeMutableRawPointer(buffer).copyMemory(
                        from: bytes.baseAddress! + collector.offset,
                        byteCount: n
                    )
                }
                collector.offset += n
                return n
            }
            _ = mg_curl_setopt_pointer(h, CURLOPT_READDATA, unmanaged.toOpaque())
        }
        _ = mg_curl_setopt_write_function(h) { data, size, count, userdata in
            guard let data, let userdata else { return 0 }
            let collector = Unmanaged<Collector>.fromOpaque(userdata).takeUnretainedValue()
            let n = size * count
            guard collector.body.count + n <= collector.limit else {
                guard collector.keepsReading else {
                    collector.overflowed = true
                    return 0
                }
                let room = collector.limit - collector.body.count
                collector.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: room))
                return n
            }
            collector.body.append(contentsOf: UnsafeRawBufferPointer(start: data, count: n))
            return n
        }
        _ = mg_curl_setopt_pointer(h, CURLOPT_WRITEDATA, unmanaged.toOpaque())
        _ = mg_curl_setopt_header_function(h) { data, size, count, userdata in
            guard let data, let userdata else { return 0 }
            let collector = Unmanaged<Collector>.fromOpaque(userdata).takeUnretainedValue()
            let n = size * count
            let line = String(decoding: UnsafeRawBufferPointer(start: data, count: n), as: UTF8.self)
            if line.hasPrefix("HTTP/") {
                // A new response (after a 100 Continue, say): only the last one's headers count.
                collector.headers = [:]
            } else if let colon = line.firstIndex(of: ":"), collector.headers.count < 100 {
                let name = line[..<colon].trimmingCharacters(in: .whitespaces).lowercased()
                let value = line[line.index(after: colon)...].trimmingCharacters(in: .whitespacesAndNewlines)
                collector.headers[name] = String(value.prefix(1024))
            }
            return n
        }
        _ = mg_curl_setopt_pointer(h, CURLOPT_HEADERDATA, unmanaged.toOpaque())

        let code = self.destinations.perform(h)
        if let refusal = self.destinations.refusal(after: code) {
            return .failure(HTTPTransportError(curlCode: Int(code.rawValue), detail: refusal.description))
        }
        if collector.overflowed {
            return .failure(
                HTTPTransportError(
                    curlCode: Int(code.rawValue),
                    detail: "the response is larger than \(request.maximumResponseBytes) bytes"
                )
            )
        }
        guard code == CURLE_OK else {
            return .failure(
                HTTPTransportError(curlCode: Int(code.rawValue), detail: String(cString: curl_easy_strerror(code)))
            )
        }
        var status = 0
        _ = mg_curl_getinfo_long(h, CURLINFO_RESPONSE_CODE, &status)
        return .success(HTTPResponse(status: status, body: collector.body, headers: collector.headers))
    }
}
