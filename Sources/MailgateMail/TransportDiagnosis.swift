import MailgateCore

/// What libcurl's result says went wrong below SMTP (name resolution, the connection,
/// TLS), in the cause catalogue that ValidateServer and delivery share.
public enum TransportDiagnosis {
    /// libcurl result codes that ValidateServer and delivery tell apart.
    public enum Curl {
        public static let couldNotResolve = 6
        public static let couldNotConnect = 7
        public static let timedOut = 28
        public static let sslConnect = 35
        public static let peerVerification = 60
        public static let useSSLFailed = 64
        public static let loginDenied = 67
        public static let caBundleUnreadable = 77
        /// 51 host check, 58/59 client certificate and ciphers, 66 engine, 80 shutdown,
        /// 82/83 CRL and issuer, 90/91 pinning and status, besides 35 and 60.
        static let tls = [sslConnect, peerVerification, 51, 58, 59, 66, 80, 82, 83, 90, 91]
    }

    /// The cause of a failure below SMTP, or nil when `curlCode` is not one.
    /// `error` is libcurl's detailed error text (its error buffer).
    public static func cause(curlCode: Int, error: String, implicitTLS: Bool) -> KnownCause? {
        switch curlCode {
        case Curl.couldNotResolve: .hostNotFound
        // libcurl says "Couldn't connect to server" for a refusal; a timeout is code 28.
        case Curl.couldNotConnect: error.lowercased().contains("timed out") ? .connectionTimedOut : .connectionRefused
        case Curl.timedOut: .connectionTimedOut
        case Curl.caBundleUnreadable: .caBundleUnreadable
        case Curl.useSSLFailed: .startTLSNotOffered
        case _ where Curl.tls.contains(curlCode):
            self.tlsCause(curlCode: curlCode, error: error, implicitTLS: implicitTLS)
        default: nil
        }
    }

    /// Whether `curlCode` is one of libcurl's TLS failures.
    public static func isTLSFailure(curlCode: Int) -> Bool {
        Curl.tls.contains(curlCode)
    }

    /// The cause of a failed TLS handshake, from libcurl's error text: the handshake can
    /// finish before the host name is checked, so the words decide.
    public static func tlsCause(curlCode: Int, error: String, implicitTLS: Bool) -> KnownCause {
        let error = error.lowercased()
        if error.contains("expired") { return .certificateExpired }
        if error.contains("subject name") || error.contains("does not match")
            || error.contains("no alternative certificate")
        {
            return .certificateHostMismatch
        }
        if curlCode == Curl.peerVerification || error.contains("certificate") || error.contains("self signed")
            || error.contains("self-signed") || error.contains("issuer")
        {
            return .certificateUntrusted
        }
        if implicitTLS,
            error.contains("wrong version number") || error.contains("packet length too long")
                || error.contains("unexpected eof")
        {
            return .plaintextOnTLSPort
        }
        return .tlsHandshakeFailed
    }
}
