import CCurl

/// libcurl's process-wide set-up, done once before the first handle.
enum CurlGlobal {
    private static let initialized: Void = {
        curl_global_init(Int(CURL_GLOBAL_DEFAULT))
    }()

    static func initialize() {
        _ = self.initialized
    }
}
