import Foundation
import Logging
import MailgateCore
import MailgateMail
import MailgateStore

/// Reads a Microsoft client secret's end date from its app registration
/// (`GET /v1.0/applications(appId='…')?$select=passwordCredentials`, which needs
/// `Application.Read.All`), matching the stored secret by its hint (first three
/// characters). Problems are raised as an event once; the operator's date stays.
struct GraphDiscovery: Sendable {
    let expiry: ExpiryRepository
    let servers: ServerRepository
    let vault: Vault
    let tokens: TokenService
    let http: HTTPTransport
    let baseURL: String
    let caFile: String?
    let logger: Logger

    /// Checks every server due for it (claimed, so each is checked by one replica).
    func discoverDue(now: Date) async {
        let claimed: [(tenantID: UUID, serverID: UUID)]
        do {
            claimed = try await self.expiry.claimDiscovery(now: now)
        } catch {
            self.logger.warning(
                "claiming servers for Graph discovery failed",
                metadata: ["error": "\(String(reflecting: error))"]
            )
            return
        }
        // One server's trouble never keeps the others from being checked.
        for (tenantID, serverID) in claimed {
            do {
                guard let server = try await self.servers.find(tenantID: tenantID, idOrName: serverID.uuidString) else {
                    continue
                }
                try await self.discover(server)
            } catch {
                self.logger.warning(
                    "reading secret expiry from Graph failed",
                    metadata: ["server_id": "\(serverID)", "error": "\(String(reflecting: error))"]
                )
            }
        }
    }

    private func discover(_ server: ServerRecord) async throws {
        guard var oauth = server.definition.oauth, let setAt = server.clientSecret.setAt,
            let secret = try server.openSecret(.clientSecret, with: self.vault)
        else { return }
        // The app-only scope of the Graph instance asked (https://graph.microsoft.com/.default by default).
        oauth.scopes = [self.baseURL + "/.default"]
        let token: Secret
        switch await self.tokens.request(.clientCredentials, oauth: oauth, clientSecret: secret, server: server) {
        case .success(let issued):
            token = issued.accessToken
        case .failure(let failure):
            // A passing problem (logged by the token service) waits for the next check.
            guard !failure.reason.isTransient else { return }
            try await self.problem(server, "TOKEN_\(failure.reason.rawValue)", "no Graph token: \(failure.detail)")
            return
        }
        let url =
            "\(self.baseURL)/v1.0/applications(appId='\(FormEncoding.percentEncode(oauth.clientID))')?$select=passwordCredentials"
        let request = HTTPRequest(
            method: .get,
            url: url,
            headers: ["Authorization: Bearer \(token.exposedValue)", "Accept: application/json"],
            caFile: self.caFile
        )
        switch await self.http.perform(request) {
        case .failure(let transport):
            self.logger.info(
                "Graph request failed; trying again later",
                metadata: ["server": "\(server.definition.name)", "error": "\(transport.detail)"]
            )
        case .success(let response) where response.status == 401:
            self.logger.info(
                "Graph refused its token; trying again later",
                metadata: ["server": "\(server.definition.name)"]
            )
        case .success(let response) where response.status == 403:
            try await self.problem(
                server,
                "PERMISSION_MISSING",
                "the app may not read its registration: grant it the Application.Read.All application permission (with admin consent) to read the secret's end date; the date given on PutServer is kept"
            )
        case .success(let response) where response.status == 404:
            try await self.problem(
                server,
                "APP_NOT_FOUND",
                "Graph knows no application with client id \(oauth.clientID)"
            )
        case .success(let response) where response.status != 200:
            self.logger.info(
                "Graph answered an error; trying again later",
                metadata: ["server": "\(server.definition.name)", "status": "\(response.status)"]
            )
        case .success(let response):
            let hint = String(secret.exposedValue.prefix(3))
            let ends = Self.endDates(in: response.body, hint: hint)
            guard let end = ends.min() else {
                try await self.problem(
                    server,
                    "NO_MATCHING_SECRET",
                    "none of the app's client secrets has the hint of the stored one; is the stored secret current?"
                )
                return
            }
            try await self.expiry.storeDiscoveredExpiry(serverID: server.id, secretSetAt: setAt, expiresAt: end)
            self.logger.info(
                "client secret expiry read from Graph",
                metadata: ["server": "\(server.definition.name)", "expires_at": "\(end.formatted(.iso8601))"]
            )
        }
    }

    /// End dates of the `passwordCredentials` whose hint is `hint`.
    static func endDates(in body: [UInt8], hint: String) -> [Date] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any],
            let credentials = object["passwordCredentials"] as? [[String: Any]]
        else { return [] }
        let iso = ISO8601DateFormatter()
        let fractional = ISO8601DateFormatter()
        fractional.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return credentials.compactMap { credential in
            guard credential["hint"] as? String == hint, let text = credential["endDateTime"] as? String else {
                return nil
            }
            return iso.date(from: text) ?? fractional.date(from: text)
        }
    }

    private func problem(_ server: ServerRecord, _ code: String, _ detail: String) async throws {
        let event = NewEvent(
            tenantID: server.tenantID,
            kind: EventKind.clientSecretDiscoveryFailed,
            severity: .warning,
            serverID: server.id,
            message:
                "Cannot read the client secret's expiry from Microsoft Graph for server \(server.definition.name): \(detail).",
            details: ["server": server.definition.name, "reason": code]
        )
        if try await self.expiry.recordDiscoveryProblem(serverID: server.id, problem: code, event: event) {
            self.logger.warning(
                "secret expiry discovery failed",
                metadata: ["server": "\(server.definition.name)", "reason": "\(code)"]
            )
        }
    }
}
