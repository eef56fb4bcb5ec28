import CCurl
import Foundation
import MailgateCore
import Synchronization

/// Checks every address libcurl is about to connect to against a `DestinationPolicy`, after
/// name resolution and for each address it tries, so a name that resolves to a private
/// address (or re-resolves to one later) is refused like the address itself would be.
final class DestinationGuard: Sendable {
    let policy: DestinationPolicy
    private let refused = Mutex<DestinationRefusal?>(nil)

    init(policy: DestinationPolicy) {
        self.policy = policy
    }

    /// Why the last transfer failed, when it failed because an address was refused: a
    /// transfer that went on to an allowed address of the same name and succeeded is no refusal.
    func refusal(after code: CURLcode) -> DestinationRefusal? {
        code == CURLE_OK ? nil : self.refused.withLock { $0 }
    }

    /// Runs `curl_easy_perform` on `handle` with the check installed. Proxies from the
    /// environment (`https_proxy`, `all_proxy`, …) are ignored: through one, the check would
    /// see the proxy's address, and the proxy would connect wherever the name points.
    func perform(_ handle: UnsafeMutableRawPointer) -> CURLcode {
        self.refused.withLock { $0 = nil }
        _ = mg_curl_setopt_string(handle, CURLOPT_PROXY, "")
        _ = mg_curl_setopt_string(handle, CURLOPT_NOPROXY, "*")
        return withExtendedLifetime(self) {
            _ = mg_curl_setopt_pointer(handle, CURLOPT_OPENSOCKETDATA, Unmanaged.passUnretained(self).toOpaque())
            _ = mg_curl_setopt_opensocket_function(handle) { context, _, address in
                guard let context, let address else { return CURL_SOCKET_BAD }
                let destinations = Unmanaged<DestinationGuard>.fromOpaque(context).takeUnretainedValue()
                return destinations.openSocket(address)
            }
            defer {
                _ = mg_curl_setopt_opensocket_function(handle, nil)
                _ = mg_curl_setopt_pointer(handle, CURLOPT_OPENSOCKETDATA, nil)
            }
            return curl_easy_perform(handle)
        }
    }

    private func openSocket(_ address: UnsafeMutablePointer<curl_sockaddr>) -> curl_socket_t {
        var bytes = [UInt8](repeating: 0, count: 16)
        let count = Int(mg_curl_sockaddr_bytes(address, &bytes))
        guard count > 0, let ip = IPAddress(bytes: Array(bytes.prefix(count))) else {
            // Not an internet address: nothing Mailgate asks libcurl for.
            return CURL_SOCKET_BAD
        }
        if let refusal = self.policy.refusal(of: ip) {
            self.refused.withLock { $0 = refusal }
            return CURL_SOCKET_BAD
        }
        return socket(address.pointee.family, address.pointee.socktype, address.pointee.protocol)
    }
}
