import Foundation
import MailgateCore
import MailgateStore

/// The warning mail sent to a tenant's alert contacts: what expires, when, and how to rotate it.
struct ExpiryWarningMail {
    let secret: ExpiringSecret
    let threshold: Int
    let now: Date

    var subject: String {
        let date = Self.day(self.secret.expiresAt)
        if self.threshold == ExpiryWarnings.expired {
            return
                "[Mailgate] OAuth client secret EXPIRED for server \(self.secret.serverName) (tenant \(self.secret.tenantSlug))"
        }
        let days = ExpiryWarnings.daysLeft(expiresAt: self.secret.expiresAt, now: self.now)
        let when = days < 1 ? "in less than a day" : "in \(days) day\(days == 1 ? "" : "s")"
        return "[Mailgate] OAuth client secret for server \(self.secret.serverName) expires \(when) (\(date))"
    }

    var text: String {
        let secret = self.secret
        let date = Self.day(secret.expiresAt)
        let provider = secret.provider?.rawValue ?? "generic"
        let status =
            self.threshold == ExpiryWarnings.expired
            ? "The OAuth client secret of output server \"\(secret.serverName)\" in tenant \"\(secret.tenantSlug)\" expired on \(date). Mail through this server cannot authenticate and waits until a new secret is stored."
            : "The OAuth client secret of output server \"\(secret.serverName)\" in tenant \"\(secret.tenantSlug)\" expires on \(date), in \(ExpiryWarnings.daysLeft(expiresAt: secret.expiresAt, now: self.now)) days. After that every message through this server fails to authenticate (Microsoft: AADSTS7000222) and waits until a new secret is stored."
        let portal =
            secret.provider == .google
            ? "In the Google Cloud console: APIs & Services > Credentials > the OAuth client \(secret.clientID) > Add secret."
            : "In the Microsoft Entra admin center: App registrations > the app with client id \(secret.clientID) > Certificates & secrets > New client secret. Copy its Value (not its Secret ID)."
        return """
            \(status)

            Server:     \(secret.serverName)
            Tenant:     \(secret.tenantSlug)
            Provider:   \(provider)
            Client id:  \(secret.clientID)
            Expires:    \(secret.expiresAt.formatted(.iso8601)) (date source: \(secret.source?.rawValue ?? "unknown"))

            To rotate it:
            1. \(portal)
            2. Store it in Mailgate:
               mailgate server put \(secret.serverName) --tenant \(secret.tenantSlug) --client-secret-file new-secret.txt --client-secret-expires YYYY-MM-DD
            3. Check that tokens come: mailgate server refresh-token \(secret.serverName) --tenant \(secret.tenantSlug)
            4. Delete the old secret in the portal.

            This warning is sent once per threshold; see `mailgate expiry check` for everything that expires soon.

            """
    }

    static func day(_ date: Date) -> String {
        String(date.formatted(.iso8601).prefix(10))
    }
}
