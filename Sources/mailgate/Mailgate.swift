import ArgumentParser
import MailgateService

@main
struct Mailgate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mailgate",
        abstract: "Multi-tenant outbound mail over a length-prefixed protobuf RPC protocol.",
        discussion: """
            Run the server with `mailgate serve`; everything else talks to a running server
            (`--address`, `--key`) or, for `migrate`, to the database directly.
            Every option has an environment twin (MAILGATE_…); flags win over the
            environment, the environment over a --config-file.
            """,
        version: MailgateVersion.current,
        subcommands: [
            ServeCommand.self, MigrateCommand.self, TenantCommand.self, KeyCommand.self, ServerCommand.self,
            EventsCommand.self, WebhookCommand.self, SendCommand.self, MessageCommand.self, VaultCommand.self,
            PingCommand.self,
            WhoAmICommand.self, CallCommand.self, ProtoCommand.self, BenchCommand.self,
            ExpiryCommand.self, HealthcheckCommand.self, DevCommand.self,
        ]
    )
}
