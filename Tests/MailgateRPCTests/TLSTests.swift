import Foundation
import Logging
import MailgateProto
import MailgateRPC
import MailgateTestSupport
import NIOCore
import NIOSSL
import Testing

@Suite("RPC over TLS")
final class TLSTests {
    /// A folder of this test's own for its certificate files, removed afterwards.
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("mailgate-tls-\(UUID())")

    init() throws {
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(at: self.directory)
    }

    @Test("calls work over TLS with a trusted certificate; a plaintext client gets nothing")
    func tls() async throws {
        let files = try makeTestCertificate(in: self.directory)
        let serverTLS = try RPCServerConfiguration.serverTLS(
            certificatePath: files.certificate,
            privateKeyPath: files.key
        )
        #expect(serverTLS.minimumTLSVersion == .tlsv12)

        try await withTestServer(configure: { $0.tls = serverTLS }) { _, port in
            var clientTLS = TLSConfiguration.makeClientConfiguration()
            clientTLS.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(files.certificate))
            let connection = try await RPCClientConnection.connect(host: "127.0.0.1", port: port, tls: clientTLS)
            let reply = try await connection.call(
                method: TestMethods.echo,
                metadata: goodKey,
                timeout: .seconds(5),
                payload: payload(nonce: 11)
            )
            #expect(reply.status.code == .ok)
            #expect(try pong(of: reply).nonce == 11)
            await connection.close()

            let plaintext = try await RPCClientConnection.connect(host: "127.0.0.1", port: port)
            let error = await #expect(throws: RPCError.self) {
                _ = try await plaintext.call(
                    method: TestMethods.echo,
                    metadata: goodKey,
                    timeout: .seconds(2),
                    payload: payload(nonce: 1)
                )
            }
            // The server answers a plaintext hello with a TLS alert, which is no valid frame.
            #expect(error != nil && error?.code != .ok)
            await plaintext.close()
        }
    }

    @Test("a client that does not trust the certificate cannot call")
    func untrusted() async throws {
        let files = try makeTestCertificate(in: self.directory)
        let serverTLS = try RPCServerConfiguration.serverTLS(
            certificatePath: files.certificate,
            privateKeyPath: files.key
        )
        try await withTestServer(configure: { $0.tls = serverTLS }) { _, port in
            let connection = try await RPCClientConnection.connect(
                host: "127.0.0.1",
                port: port,
                tls: TLSConfiguration.makeClientConfiguration()
            )
            let error = await #expect(throws: RPCError.self) {
                _ = try await connection.call(
                    method: TestMethods.echo,
                    metadata: goodKey,
                    timeout: .seconds(2),
                    payload: payload(nonce: 1)
                )
            }
            #expect(error?.code == .unavailable)
            await connection.close()
        }
    }
}
