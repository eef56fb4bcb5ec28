import Foundation
import MailgateCore
import MailgateMail
import MailgateStore

/// Why a server cannot be used for a send right now.
struct EndpointUnavailable: Error {
    var reason: String
    /// Whether waiting can help (e.g. an OAuth token still to be obtained).
    var retryable: Bool
    /// When trying again can help; nil = the retry policy's backoff.
    var retryAt: Date? = nil
    /// Where it stopped, for the attempt record.
    var stage = "prepare"
    /// An OAuth problem an operator must fix: the mail waits however long that takes,
    /// rather than failing when retries run out.
    var waitsForOperator = false
}

extension ServerRecord {
    /// How the SMTP client reaches this server, with its secrets opened; `accessToken`
    /// is the token service's for `oauth2` servers. `withoutCredentials` connects
    /// anonymously (a diagnosis of a server whose credentials are missing).
    func smtpEndpoint(
        vault: Vault,
        accessToken: Secret?,
        caFile: String?,
        destinations: DestinationPolicy,
        timeout: Duration,
        withoutCredentials: Bool = false
    ) throws(EndpointUnavailable) -> SMTPEndpoint {
        let definition = self.definition
        let security = definition.security ?? .starttls
        let authentication: SMTPEndpoint.Authentication
        do {
            switch withoutCredentials ? .none : definition.authType ?? .none {
            case .none:
                authentication = .none
            case .basic:
                guard let password = try self.openSecret(.password, with: vault) else {
                    throw EndpointUnavailable(
                        reason: "server \(definition.name) uses basic auth but has no password; set one with PutServer",
                        retryable: false
                    )
                }
                authentication = .password(username: definition.username, password: password)
            case .oauth2:
                guard let token = accessToken else {
                    throw EndpointUnavailable(
                        reason: "server \(definition.name) has no OAuth access token yet",
                        retryable: true
                    )
                }
                authentication = .xoauth2(
                    username: definition.username.isEmpty ? definition.senderAddress : definition.username,
                    accessToken: token
                )
            }
        } catch let error as EndpointUnavailable {
            throw error
        } catch {
            throw EndpointUnavailable(
                reason: "a secret of server \(definition.name) cannot be opened with the master key ring",
                retryable: true
            )
        }
        return SMTPEndpoint(
            host: definition.host,
            port: definition.port != 0 ? definition.port : security.defaultPort,
            security: security,
            authentication: authentication,
            caFile: caFile,
            totalTimeout: timeout,
            reuseConnection: definition.maxConnections == 0,
            destinations: destinations
        )
    }
}
