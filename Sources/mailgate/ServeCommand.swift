import ArgumentParser
import Foundation
import Logging
import MailgateConsole
import MailgateCore
import MailgateRPC
import MailgateService
import MailgateStore
import NIOCore
import NIOSSL
import OTel
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
            "Console (web pages) listen address; off = none. TLS with the RPC certificate when one is set. [env: MAILGATE_CONSOLE_LISTEN] (default: 127.0.0.1:7589)"
    )
    var consoleListen: String?

    @Option(
        help:
            "The console's URL as browsers reach it (behind a proxy); its /oauth/callback is the consent redirect. [env: MAILGATE_CONSOLE_PUBLIC_URL] (default: from the request's Host)"
    )
    var consolePublicURL: String?

    @Option(
        help:
            "Console sessions end after this many idle seconds. [env: MAILGATE_CONSOLE_SESSION_IDLE_SECONDS] (default: 1800)"
    )
    var consoleSessionIdleSeconds: Int?

    @Option(
        help:
            "Console sessions end this many seconds after sign-in. [env: MAILGATE_CONSOLE_SESSION_LIFETIME_SECONDS] (default: 43200)"
    )
    var consoleSessionLifetimeSeconds: Int?

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

    @OptionGroup(title: "Limits")
    var limits: LimitOptions

    @OptionGroup(title: "Webhooks")
    var webhooks: WebhookOptions

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

    /// The settings given as flags; the environment and the configuration file fill the rest.
    private var flags: [Setting: String?] {
        let table = SettingsTable.self
        return [
            table.configFile: self.configFile, table.databaseURL: self.databaseURL, table.listen: self.listen,
            table.opsListen: self.opsListen, table.oauthRedirectURI: self.oauthRedirectURI,
            table.consoleListen: self.consoleListen, table.consolePublicURL: self.consolePublicURL,
            table.consoleSessionIdleSeconds: self.consoleSessionIdleSeconds.map(String.init),
            table.consoleSessionLifetimeSeconds: self.consoleSessionLifetimeSeconds.map(String.init),
            table.masterKeysFile: self.masterKeysFile, table.tlsCert: self.tlsCert, table.tlsKey: self.tlsKey,
            table.logLevel: self.logLevel, table.logFormat: self.logFormat, table.migrationsDir: self.migrationsDir,
            table.shutdownGraceSeconds: self.shutdownGraceSeconds.map(String.init),
        ].merging(self.delivery.flags) { given, _ in given }.merging(self.expiry.flags) { given, _ in given }
            .merging(self.limits.flags) { given, _ in given }.merging(self.webhooks.flags) { given, _ in given }
    }

    func run() async throws {
        ReturnLargeAllocations.apply()
        let values = try SettingValues(flags: self.flags)
        let logger = try makeLogger(
            level: values.given(SettingsTable.logLevel) ?? (self.dev ? "debug" : "info"),
            format: values[SettingsTable.logFormat] ?? "text"
        )
        do {
            // Before the application, which takes the process-wide tracer when it is made.
            let traceExport =
                TraceExport.isRequested(by: ProcessInfo.processInfo.environment)
                ? try TraceExport.bootstrap(logger: logger) : nil
            let configuration = try self.applicationConfiguration(values, logger: logger)
            let application = try MailgateApplication(configuration: configuration, logger: logger)
            var frontEnds: [(service: any Service, name: String)] = []
            // The console serves the RPC certificate, as the RPC server holds it now (SIGHUP renews both).
            let tls: (@Sendable () -> NIOSSLContext)? = try configuration.rpc.tls.map { initial in
                let fallback = try NIOSSLContext(configuration: initial)
                return { [rpc = application.rpcServer] in rpc.currentTLSContext ?? fallback }
            }
            if let console = try Self.consoleConfiguration(values, tls: tls, logger: logger) {
                let server = try ConsoleServer(
                    configuration: console,
                    backend: ConsoleBackend(application: application, logger: logger),
                    logger: logger
                )
                frontEnds.append((server, "console"))
            }
            try await application.makeServiceGroup(
                frontEnds: frontEnds,
                exporters: traceExport.map { [($0, "trace-export")] } ?? []
            ).run()
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

    private func applicationConfiguration(_ values: SettingValues, logger: Logger) throws
        -> MailgateApplication.Configuration
    {
        let table = SettingsTable.self
        guard let databaseURL = values[table.databaseURL] ?? (self.dev ? DevEnvironment.databaseURL() : nil) else {
            throw ConfigurationError(
                "No database: set MAILGATE_DATABASE_URL or --database-url (scripts/dev starts a local one)."
            )
        }
        let database = try DatabaseConfiguration.parse(databaseURL)

        let listen = try values.listenAddress(table.listen) ?? ("127.0.0.1", 7587)
        var rpc = RPCServerConfiguration(host: listen.host, port: listen.port)
        if let grace = try values.seconds(table.shutdownGraceSeconds, minimum: 0) {
            rpc.shutdownGracePeriod = .nanoseconds(Int64(grace.seconds * 1e9))
        }
        rpc.tls = try values.rpcTLS()
        try values.checkPlaintextListener(host: listen.host, hasTLS: rpc.tls != nil, logger: logger)
        try rpc.applyLimits(values)

        guard
            let migrationsDirectory = values[table.migrationsDir].map(URL.init(fileURLWithPath:))
                ?? Migration.defaultDirectory()
        else {
            throw ConfigurationError("Cannot find the migrations folder: set MAILGATE_MIGRATIONS_DIR.")
        }
        let migrations = try Migration.load(from: migrationsDirectory)

        var operatorKey: APIKey?
        if let presented = values[table.bootstrapOperatorKey] {
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
        let masterKeys = try MasterKeys.load(values, dev: self.dev)
        var ops: OpsConfiguration?
        if values[table.opsListen]?.lowercased() != "off", let address = try values.listenAddress(table.opsListen) {
            ops = OpsConfiguration(host: address.host, port: address.port, redirectURI: values[table.oauthRedirectURI])
        }
        var mailer = try MailerSettings(values)
        // --dev: the local SMTP catcher and fixtures listen on loopback.
        if self.dev { mailer.destinations.allowedNetworks += DestinationPolicy.loopbackAllowed.allowedNetworks }
        // SIGHUP: the master key ring and the TLS files are read again, through the same
        // settings as at start-up (the configuration file too, for where they are).
        let reloadSettings: @Sendable () throws -> ReloadableSettings = { [flags = self.flags, dev = self.dev] in
            let values = try SettingValues(flags: flags)
            return ReloadableSettings(masterKeys: try MasterKeys.load(values, dev: dev), tls: try values.rpcTLS())
        }
        return MailgateApplication.Configuration(
            database: database,
            rpc: rpc,
            migrations: migrations,
            bootstrapOperatorKey: operatorKey,
            masterKeys: masterKeys,
            authentication: try AuthenticationSettings(values),
            mailer: mailer,
            tokens: TokenSettings(caFile: mailer.caFile),
            ops: ops,
            expiry: try ExpirySettings(values),
            webhooks: try WebhookSettings(values),
            reloadSettings: reloadSettings
        )
    }
}

extension ServeCommand {
    /// The console's settings; nil when `MAILGATE_CONSOLE_LISTEN` is `off`.
    static func consoleConfiguration(
        _ values: SettingValues,
        tls: (@Sendable () -> NIOSSLContext)?,
        logger: Logger
    ) throws
        -> ConsoleConfiguration?
    {
        let table = SettingsTable.self
        guard values[table.consoleListen]?.lowercased() != "off",
            let address = try values.listenAddress(table.consoleListen)
        else { return nil }
        try values.checkPlaintextListener(host: address.host, hasTLS: tls != nil, listener: "console", logger: logger)
        if let publicURL = values[table.consolePublicURL],
            let problem = ConsoleConfiguration.publicURLProblem(publicURL)
        {
            throw ConfigurationError("\(table.consolePublicURL): \(problem).")
        }
        return ConsoleConfiguration(
            host: address.host,
            port: address.port,
            tls: tls,
            idleTimeout: try values.seconds(table.consoleSessionIdleSeconds) ?? .seconds(1800),
            lifetime: try values.seconds(table.consoleSessionLifetimeSeconds) ?? .seconds(43200),
            publicURL: values[table.consolePublicURL]
        )
    }
}

func makeLogger(level: String, format: String) throws -> Logger {
    guard let logLevel = Logger.Level(rawValue: level.lowercased()) else {
        throw ConfigurationError("Unknown log level \(level).")
    }
    // Every handler sits behind the redaction layer: no credential shape reaches the output.
    // Lines written inside a span carry its trace_id and span_id (when traces are exported).
    let spanMetadata = OTel.makeLoggingMetadataProvider()
    switch format.lowercased() {
    case "json":
        LoggingSystem.bootstrap(
            { label, provider in
                var handler = JSONLogHandler(label: label, logLevel: logLevel)
                handler.metadataProvider = provider
                return RedactingLogHandler(wrapping: handler)
            },
            metadataProvider: spanMetadata
        )
    case "text":
        LoggingSystem.bootstrap(
            { label, provider in
                var handler = StreamLogHandler.standardError(label: label, metadataProvider: provider)
                handler.logLevel = logLevel
                return RedactingLogHandler(wrapping: handler)
            },
            metadataProvider: spanMetadata
        )
    default:
        throw ConfigurationError("Unknown log format \(format): use text or json.")
    }
    var logger = Logger(label: "mailgate")
    logger.logLevel = logLevel
    return logger
}
