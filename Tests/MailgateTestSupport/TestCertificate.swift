import Foundation

/// A self-signed P-256 certificate and key made with the openssl command, valid for
/// `days`, for `subjectAltName` (e.g. `IP:127.0.0.1`); files `<prefix>cert.pem` and
/// `<prefix>key.pem` in `folder`. Trust the certificate itself as the CA.
public func makeTestCertificate(
    in folder: URL,
    prefix: String = "",
    subjectAltName: String = "IP:127.0.0.1",
    days: Int = 90
) throws -> (certificate: String, key: String) {
    let certificate = folder.appendingPathComponent("\(prefix)cert.pem").path
    let key = folder.appendingPathComponent("\(prefix)key.pem").path
    let arguments = [
        "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes",
        "-keyout", key, "-out", certificate, "-days", "\(days)", "-subj", "/CN=mailgate-test",
        "-addext", "subjectAltName=\(subjectAltName)",
    ]
    guard try ChildProcess("/usr/bin/openssl", arguments).waitUntilExit() == 0 else {
        throw TestEnvironmentError("openssl could not make a test certificate (scripts/test installs openssl)")
    }
    return (certificate, key)
}
