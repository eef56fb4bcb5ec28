import Logging
import MailgateCore
import MailgateRPC
import NIOSSL
import ServiceLifecycle
import UnixSignals

/// What SIGHUP reads again without a restart: the master key ring and the RPC TLS
/// certificate and key.
public struct ReloadableSettings: Sendable {
    public var masterKeys: MasterKeyRing
    /// The RPC listener's TLS; nil for a plaintext listener.
    public var tls: TLSConfiguration?

    public init(masterKeys: MasterKeyRing, tls: TLSConfiguration?) {
        self.masterKeys = masterKeys
        self.tls = tls
    }
}

/// Why a reload was refused; the running settings stay as they were.
public struct ReloadError: Error, CustomStringConvertible {
    public let description: String
}

extension MailgateApplication {
    /// Applies `settings` all or nothing: new connections get the new certificate (open
    /// ones keep theirs), new secrets are sealed with the new ring's active key. Refused,
    /// changing nothing, when the ring lacks the active key or changes a key's bytes, when
    /// the certificate does not load, or when TLS would be switched on or off (that needs a
    /// restart).
    public func reload(_ settings: ReloadableSettings) throws(ReloadError) {
        do {
            try self.vault.checkReplacement(settings.masterKeys)
        } catch {
            throw ReloadError(description: error.description)
        }
        switch (settings.tls, self.rpcServer.usesTLS) {
        case (let tls?, true):
            do {
                try self.rpcServer.reloadTLS(tls)
            } catch {
                throw ReloadError(description: "The new TLS certificate or key does not load: \(error).")
            }
        case (nil, false):
            break
        case (nil, true), (_?, false):
            throw ReloadError(description: "TLS cannot be switched on or off by a reload; restart the server.")
        }
        do {
            try self.vault.replaceKeyRing(settings.masterKeys)
        } catch {
            throw ReloadError(description: error.description)
        }
    }
}

/// Reloads settings on each SIGHUP until graceful shutdown, logging what changed or why
/// nothing did.
struct ReloadOnHangup: Service {
    let application: MailgateApplication
    let read: @Sendable () throws -> ReloadableSettings
    let logger: Logger

    func run() async {
        let hangups = await UnixSignalsSequence(trapping: .sighup)
        await cancelWhenGracefulShutdown {
            for await _ in hangups {
                self.reloadOnce()
            }
        }
    }

    func reloadOnce() {
        do {
            let settings = try self.read()
            try self.application.reload(settings)
            self.logger.notice(
                "settings reloaded",
                metadata: [
                    "master_key_ids": "\(settings.masterKeys.keyIDs.map(String.init).joined(separator: ","))",
                    "active_master_key": "\(settings.masterKeys.activeKeyID)",
                    "tls": "\(settings.tls != nil)",
                ]
            )
        } catch {
            self.logger.error("reload refused; the running settings stay", metadata: ["reason": "\(error)"])
        }
    }
}
