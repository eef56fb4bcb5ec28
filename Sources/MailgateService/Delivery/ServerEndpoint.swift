import Foundation
import MailgateCore
import MailgateMail
import MailgateStore

/// Why a server cannot be used for a send right now.
struct EndpointUnavailable: Error {
    var reason: String
    /// Whether waiting can help (e.g. an OAuth token still to be obtained).
    var retryable: Bool
}

extension ServerRecord {
    /// How the SMTP client reaches this server, with its secrets opened.
    func smtpEndpoint(vault: Vault, caFile: String?, timeout: Duration) throws(EndpointUnavailable) -> SMTPEndpoint {
        let definition = self.definition
        let security = definition.security ?? .starttls
        let authentication: SMTPEndpoint.Authentication
        do {
            switch definition.authType ?? .none {
            case .none:
                authentication = .none
            case .basic:
                guard let password = try self.openSecret(.password, with: vault) else {
                    throw EndpointUnavailable(reason: "server \(definition.name) uses basic auth but has no password; set one with PutServer", retryable: false)
                }
                authentication = .password(username: definition.username, password: password)
            case .oauth2:
                guard let token = try self.openSecret(.accessToken, with: vault),
                    let expiresAt = self.accessToken.expiresAt, expiresAt.timeIntervalSinceNow > 60
                else {
                    throw EndpointUnavailable(
                        reason: "server \(definition.name) has no valid OAuth access token; mail waits until one is obtained (RefreshToken)",
                        retryable: true
                    )
                }
                authentication = .xoauth2(username: definition.username.isEmpty ? definition.senderAddress : definition.username, accessToken: token)
            }
        } catch let error as EndpointUnavailable {
            throw error
        } catch {
            throw EndpointUnavailable(reason: "a secret of server \(definition.name) cannot be opened with the master key ring", retryable: true)
        }
        return SMTPEndpoint(
            host: definition.host,
            port: definition.port != 0 ? definition.port : security.defaultPort,
            security: security,
            authentication: authentication,
            caFile: caFile,
            totalTimeout: timeout,
            reuseConnection: definition.maxConnections == 0
        )
    }
}
