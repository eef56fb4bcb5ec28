import Logging
import MailgateCore
import MailgateRPC
import MailgateStore
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
    /// changing nothing, when the ring lacks the active key, drops a key that still seals a
    /// stored secret (or the database cannot say), or changes a key's bytes, when the
    /// certificate does not load, or when TLS would be switched on or off (that needs a
    /// restart).
    public func reload(_ settings: ReloadableSettings) async throws(ReloadError) {
        do {
            try self.vault.checkReplacement(settings.masterKeys)
        } catch {
            throw ReloadError(description: error.description)
        }
        try await self.checkKeysInUse(kept: settings.masterKeys)
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

extension MailgateApplication {
    /// Refuses a ring that drops a key still sealing a stored secret: every replica would
    /// then fail to open it (deliveries waiting, tokens unreadable) until the key came back.
    /// Only the keys the new ring drops are looked for, so a reload that keeps every key
    /// (a renewed TLS certificate) needs no database, and a value sealed by a key lost long
    /// ago blocks nothing but dropping that key.
    fileprivate func checkKeysInUse(kept ring: MasterKeyRing) async throws(ReloadError) {
        let droppedKeys = Set(self.vault.keyRing.keyIDs).subtracting(ring.keyIDs)
        guard !droppedKeys.isEmpty else { return }
        let usage: [UInt32: Int]
        do {
            let keyUsage = self.database.masterKeyUsage
            usage = try await withTimeLimit(.seconds(10), throwing: { try await keyUsage.sealedValuesByKey() })
        } catch {
            throw ReloadError(
                description:
                    "Cannot check which master keys seal the stored secrets (the database did not answer); send SIGHUP again once it does."
            )
        }
        let dropped = usage.filter { droppedKeys.contains($0.key) }.sorted { $0.key < $1.key }
        guard dropped.isEmpty else {
            let keys = dropped.map { "key \($0.key) (\($0.value) sealed values)" }.joined(separator: ", ")
            throw ReloadError(
                description:
                    "The new master key ring drops \(keys) still in use: run `mailgate vault rotate` with the old and new keys in the ring, then remove the old key."
            )
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
                await self.reloadOnce()
            }
        }
    }

    func reloadOnce() async {
        do {
            let settings = try self.read()
            try await self.application.reload(settings)
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
