import ArgumentParser
import Foundation
import Logging
import MailgateCore
import MailgateRPC
import MailgateService
import MailgateStore
import NIOCore
import ServiceLifecycle

struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the Mailgate server: RPC, migrations, heartbeat, delivery workers.",
        discussion: """
            Stops gracefully on SIGTERM or SIGINT: GoAway to every client, no new calls,
            calls in flight finish within the grace period, exit status 0. SIGHUP reads the
            master key ring and the TLS certificate and key again, without dropping connections.
            """
    )

    @Option(help: "PostgreSQL URL, postgres://user:password@host:port/db. [env: MAILGATE_DATABASE_URL]")
    var databaseURL: String?

    @Option(help: "RPC listen address host:port. [env: MAILGATE_LISTEN] (default: 127.0.0.1:7587)")
    var listen: String?

    @Option(
        help:
            "Ops HTTP listen address: /healthz and the OAuth consent callback /oauth/callback; off = none. [env: MAILGATE_OPS_LISTEN] (default: 127.0.0.1:7588)"
    )
    var opsListen: String?

    @Option(
        help:
            "The consent callback URL as browsers reach it (behind a proxy). [env: MAILGATE_OAUTH_REDIRECT_URI] (default: http://localhost:<ops port>/oauth/callback)"
    )
    var oauthRedirectURI: String?

    @Option(
        help:
            "Master key ring file: id:base64 lines, the highest id seals new secrets. Required (--dev keeps one in .mailgate/). [env: MAILGATE_MASTER_KEYS_FILE, or MAILGATE_MASTER_KEYS inline]"
    )
    var masterKeysFile: String?

    @Option(help: "PEM certificate chain for RPC over TLS. [env: MAILGATE_TLS_CERT]")
    var tlsCert: String?

    @Option(help: "PEM private key for RPC over TLS. [env: MAILGATE_TLS_KEY]")
    var tlsKey: String?

    @OptionGroup(title: "Sending and delivery")
    var delivery: DeliveryOptions

    @OptionGroup(title: "Client-secret expiry")
    var expiry: ExpiryOptions

    @Option(
        help:
            "Log level: trace, debug, info, notice, warning, error, critical. [env: MAILGATE_LOG_LEVEL] (default: info)"
    )
    var logLevel: String?

    @Option(help: "Log format: text for people, json for machines. [env: MAILGATE_LOG_FORMAT] (default: text)")
    var logFormat: String?

    @Option(
        help: "Folder of NNNN_name.sql migrations. [env: MAILGATE_MIGRATIONS_DIR] (default: found next to the binary)"
    )
    var migrationsDir: String?

    @Option(help: "Configuration file of MAILGATE_NAME=value lines. [env: MAILGATE_CONFIG_FILE]")
    var configFile: String?

    @Option(
        help: "Seconds in-flight calls may take after SIGTERM. [env: MAILGATE_SHUTDOWN_GRACE_SECONDS] (default: 20)"
    )
    var shutdownGraceSeconds: Int?

    @Flag(help: "Local development defaults: debug logs, the database of scripts/dev, and a printed operator key.")
    var dev = false

    func run() async throws {
        let settings = try Settings(configFile: self.configFile)
        let logger = try makeLogger(
            level: settings.value(self.logLevel, "MAILGATE_LOG_LEVEL") ?? (self.dev ? "debug" : "info"),
            format: settings.value(self.logFormat, "MAILGATE_LOG_FORMAT") ?? "text"
        )
        do {
            let configuration = try self.applicationConfiguration(settings: settings, logger: logger)
            let application = try MailgateApplication(configuration: configuration, logger: logger)
            try await application.makeServiceGroup().run()
        } catch let error as ConfigurationError {
            logger.critical("cannot start: \(error.description)")
            throw ExitCode(78)
        } catch let error as StoreError {
            logger.critical("cannot start: \(error.message)")
            throw ExitCode(1)
        } catch let error as ExitCode {
            throw error
        } catch {
            // Most often the database cannot be reached while migrating (the pool gives up
            // after its connection attempts fail): said once, as a log line, not a stack.
            logger.critical(
                "stopped: \(String(describing: error)); check MAILGATE_DATABASE_URL and that PostgreSQL accepts connections"
            )
            throw ExitCode(1)
        }
    }

    private func applicationConfiguration(settings: Settings, logger: Logger) throws
        -> MailgateApplication.Configuration
    {
        guard
            let databaseURL = settings.value(self.databaseURL, "MAILGATE_DATABASE_URL")
                ?? (self.dev ? DevEnvironment.databaseURL() : nil)
        else {
            throw ConfigurationError(
                "No database: set MAILGATE_DATABASE_URL or --database-url (scripts/dev starts a local one)."
            )
        }
        let database = try DatabaseConfiguration.parse(databaseURL)

        let (host, port) = try parseListenAddress(settings.value(self.listen, "MAILGATE_LISTEN") ?? "127.0.0.1:7587")
        var rpc = RPCServerConfiguration(host: host, port: port)
        if let grace = settings.value(self.shutdownGraceSeconds.map(String.init), "MAILGATE_SHUTDOWN_GRACE_SECONDS") {
            guard let seconds = Int(grace), seconds >= 0 else {
                throw ConfigurationError("MAILGATE_SHUTDOWN_GRACE_SECONDS must be a whole number of seconds.")
            }
            rpc.shutdownGracePeriod = .seconds(Int64(seconds))
        }
        let certificate = settings.value(self.tlsCert, "MAILGATE_TLS_CERT")
        let privateKey = settings.value(self.tlsKey, "MAILGATE_TLS_KEY")
        switch (certificate, privateKey) {
        case (let certificate?, let privateKey?):
            do {
                rpc.tls = try RPCServerConfiguration.serverTLS(certificatePath: certificate, privateKeyPath: privateKey)
            } catch {
                throw ConfigurationError("Cannot load the TLS certificate or key: \(error)")
            }
        case (nil, nil):
            break
        default:
            throw ConfigurationError("TLS needs both MAILGATE_TLS_CERT and MAILGATE_TLS_KEY.")
        }

        guard
            let migrationsDirectory = settings.value(self.migrationsDir, "MAILGATE_MIGRATIONS_DIR").map(
                URL.init(fileURLWithPath:)
            )
                ?? Migration.defaultDirectory()
        else {
            throw ConfigurationError("Cannot find the migrations folder: set MAILGATE_MIGRATIONS_DIR.")
        }
        let migrations = try Migration.load(from: migrationsDirectory)

        var operatorKey: APIKey?
        if let presented = settings.value(nil, "MAILGATE_BOOTSTRAP_OPERATOR_KEY") {
            guard let key = APIKey(parsing: presented) else {
                throw ConfigurationError("MAILGATE_BOOTSTRAP_OPERATOR_KEY is not of the form mgk_<id>_<secret>.")
            }
            operatorKey = key
        } else if self.dev {
            let key = try DevEnvironment.operatorKey()
            operatorKey = key
            // Straight to the terminal, not through stdout's buffer: it must show before the logs.
            FileHandle.standardError.write(Data("development operator key: \(key.presentedForm.exposedValue)\n".utf8))
        }
        let masterKeys = try MasterKeys.load(file: self.masterKeysFile, settings: settings, dev: self.dev)
        var ops: OpsConfiguration?
        let opsListen = settings.value(self.opsListen, "MAILGATE_OPS_LISTEN") ?? "127.0.0.1:7588"
        if opsListen.lowercased() != "off" {
            let (opsHost, opsPort) = try parseListenAddress(opsListen)
            ops = OpsConfiguration(
                host: opsHost,
                port: opsPort,
                redirectURI: settings.value(self.oauthRedirectURI, "MAILGATE_OAUTH_REDIRECT_URI")
            )
        }
        let mailer = try self.delivery.settings(settings)
        // SIGHUP: the master key file and the TLS files are read again (the configuration
        // file too, for where they are).
        let reloadSettings: @Sendable () throws -> ReloadableSettings = {
            [
                configFile = self.configFile, masterKeysFile = self.masterKeysFile, dev = self.dev,
                tlsCert = self.tlsCert, tlsKey = self.tlsKey
            ] in
            let settings = try Settings(configFile: configFile)
            let ring = try MasterKeys.load(file: masterKeysFile, settings: settings, dev: dev)
            guard let certificate = settings.value(tlsCert, "MAILGATE_TLS_CERT"),
                let privateKey = settings.value(tlsKey, "MAILGATE_TLS_KEY")
            else {
                return ReloadableSettings(masterKeys: ring, tls: nil)
            }
            return ReloadableSettings(
                masterKeys: ring,
                tls: try RPCServerConfiguration.serverTLS(certificatePath: certificate, privateKeyPath: privateKey)
            )
        }
        return MailgateApplication.Configuration(
            database: database,
            rpc: rpc,
            migrations: migrations,
            bootstrapOperatorKey: operatorKey,
            masterKeys: masterKeys,
            mailer: mailer,
            tokens: TokenSettings(caFile: mailer.caFile),
            ops: ops,
            expiry: try self.expiry.settings(settings),
            reloadSettings: reloadSettings
        )
    }
}

/// Splits `host:port` (`[v6]:port` for IPv6).
func parseListenAddress(_ text: String) throws -> (String, Int) {
    var host = text
    var portText = ""
    if text.hasPrefix("["), let close = text.firstIndex(of: "]") {
        host = String(text[text.index(after: text.startIndex)..<close])
        portText = String(text[text.index(after: close)...].dropFirst())
    } else if let colon = text.lastIndex(of: ":") {
        host = String(text[..<colon])
        portText = String(text[text.index(after: colon)...])
    }
    guard let port = Int(portText), (0...65535).contains(port), !host.isEmpty else {
        throw ConfigurationError("\(text) is not a listen address of the form host:port.")
    }
    return (host, port)
}

func makeLogger(level: String, format: String) throws -> Logger {
    guard let logLevel = Logger.Level(rawValue: level.lowercased()) else {
        throw ConfigurationError("Unknown log level \(level).")
    }
    // Every handler sits behind the redaction layer: no credential shape reaches the output.
    switch format.lowercased() {
    case "json":
        LoggingSystem.bootstrap { label in
            RedactingLogHandler(wrapping: JSONLogHandler(label: label, logLevel: logLevel))
        }
    case "text":
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = logLevel
            return RedactingLogHandler(wrapping: handler)
        }
    default:
        throw ConfigurationError("Unknown log format \(format): use text or json.")
    }
    var logger = Logger(label: "mailgate")
    logger.logLevel = logLevel
    return logger
}
