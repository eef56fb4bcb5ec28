import CCurl
import Foundation
import MailgateCore

/// A diagnostic SMTP session with libcurl and the same connection options as delivery:
/// connect, greeting, EHLO, STARTTLS or implicit TLS, AUTH with the endpoint's
/// credentials, then NOOP and QUIT; nothing is sent. Blocking: run it on a thread pool.
public enum SMTPProbe {
    /// Runs the session; `responseTimeout` bounds each wait for a reply (a server that
    /// accepts and never answers fails within it).
    public static func run(_ endpoint: SMTPEndpoint, responseTimeout: Duration) -> SMTPProbeReport {
        CurlGlobal.initialize()
        guard let handle = curl_easy_init() else {
            var report = SMTPProbeReport()
            report.curlCode = Int(CURLE_FAILED_INIT.rawValue)
            report.error = "libcurl could not start a session"
            return report
        }
        defer { curl_easy_cleanup(handle) }
        let trace = SMTPProbeTrace()
        let unmanaged = Unmanaged.passRetained(trace)
        defer { unmanaged.release() }
        let errorBuffer = UnsafeMutablePointer<CChar>.allocate(capacity: Int(CURL_ERROR_SIZE))
        errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        defer { errorBuffer.deallocate() }

        CurlSMTPClient.configureConnection(handle, endpoint: endpoint)
        _ = mg_curl_setopt_long(handle, CURLOPT_FRESH_CONNECT, 1)
        _ = mg_curl_setopt_long(handle, CURLOPT_FORBID_REUSE, 1)
        _ = mg_curl_setopt_string(handle, CURLOPT_CUSTOMREQUEST, "NOOP")
        _ = mg_curl_setopt_long(
            handle,
            CURLOPT_SERVER_RESPONSE_TIMEOUT,
            max(1, Int(responseTimeout.seconds.rounded(.up)))
        )
        _ = mg_curl_setopt_pointer(handle, CURLOPT_ERRORBUFFER, errorBuffer)
        // The NOOP reply arrives as the transfer's body: nothing to keep.
        _ = mg_curl_setopt_write_function(handle) { _, size, count, _ in size * count }
        _ = mg_curl_setopt_long(handle, CURLOPT_VERBOSE, 1)
        _ = mg_curl_setopt_debug_function(handle) { _, type, data, size, userdata in
            guard let data, let userdata else { return 0 }
            let trace = Unmanaged<SMTPProbeTrace>.fromOpaque(userdata).takeUnretainedValue()
            let text = String(decoding: UnsafeRawBufferPointer(start: data, count: size), as: UTF8.self)
            for line in text.split(whereSeparator: { $0 == "\r\n" || $0 == "\n" || $0 == "\r" }) {
                switch type {
                case CURLINFO_TEXT: trace.info(String(line))
                case CURLINFO_HEADER_IN: trace.received(String(line))
                case CURLINFO_HEADER_OUT: trace.sent(String(line))
                default: break
                }
            }
            return 0
        }
        _ = mg_curl_setopt_pointer(handle, CURLOPT_DEBUGDATA, unmanaged.toOpaque())

        let destinations = DestinationGuard(policy: endpoint.destinations)
        let code = destinations.perform(handle)
        var report = trace.report
        report.curlCode = Int(code.rawValue)
        if let refusal = destinations.refusal(after: code) {
            report.destinationRefusal = refusal.description
            report.error = refusal.description
        } else if code != CURLE_OK {
            let detail = String(cString: errorBuffer)
            report.error = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        }
        return report
    }
}
