import Foundation
import Logging
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore
import SwiftProtobuf

/// `mailgate.v1.Mailer`: SendMail, GetMessage, CancelMessage, ValidateServer and RefreshToken. Tenant keys act in
/// their own tenant; operator keys name one in the `tenant` call metadata.
public struct MailerHandlers: Sendable {
    static let service = "/mailgate.v1.Mailer/"

    let servers: ServerRepository
    let messages: MessageRepository
    let tokens: TokenService
    let validator: ServerValidator
    let resolver: TenantResolver
    let settings: MailerSettings
    let wakeUp: DeliveryWakeUp
    let health: DatabaseHealth
    let quotas: TenantQuotaGate
    let blocks: ServerBlockRepository?
    let serverCache = ServerLookupCache()

    public init(
        tenants: TenantRepository,
        servers: ServerRepository,
        messages: MessageRepository,
        tokens: TokenService,
        validator: ServerValidator,
        settings: MailerSettings,
        wakeUp: DeliveryWakeUp,
        quotas: TenantQuotaGate,
        blocks: ServerBlockRepository? = nil,
        health: DatabaseHealth
    ) {
        self.quotas = quotas
        self.blocks = blocks
        self.servers = servers
        self.messages = messages
        self.tokens = tokens
        self.validator = validator
        self.resolver = TenantResolver(tenants: tenants)
        self.settings = settings
        self.wakeUp = wakeUp
        self.health = health
    }

    public func register(into router: inout RPCRouter<Principal>) {
        self.registerTokenMethods(into: &router)
        self.registerValidation(into: &router)
        router.registerStoreBacked(
            Self.service + "SendMail",
            request: Mailgate_V1_SendMailRequest.self,
            health: self.health
        ) { request, context in
            try await self.sendMail(request, context: context)
        }
        router.registerStoreBacked(
            Self.service + "GetMessage",
            request: Mailgate_V1_GetMessageRequest.self,
            health: self.health
        ) { request, context in
            let tenant = try await self.resolver.requireTenant("", context: context)
            let found: MessageRecord?
            if let id = UUID(uuidString: request.messageID) {
                found = try await self.messages.find(tenantID: tenant.id, id: id)
            } else {
                found = try await self.messages.find(
                    tenantID: tenant.id,
                    rfc822MessageID: try Self.rfc822MessageID(request.messageID)
                )
            }
            guard let message = found else {
                throw RPCError(code: .notFound, message: "No message \(request.messageID.prefix(256)) in this tenant.")
            }
            var response = Mailgate_V1_GetMessageResponse(message)
            let byOperator = if case .operator_ = try context.requirePrincipal().scope { true } else { false }
            response.waitingReason = try await self.waitingReason(for: message, checkTenant: byOperator)
            return response
        }
        router.registerStoreBacked(
            Self.service + "CancelMessage",
            request: Mailgate_V1_CancelMessageRequest.self,
            health: self.health
        ) { request, context in
            let tenant = try await self.resolver.requireTenant("", context: context)
            let state = try await self.messages.cancel(tenantID: tenant.id, id: try Self.messageID(request.messageID))
            context.logger.info(
                "message cancelled",
                metadata: ["tenant": "\(tenant.slug)", "message_id": "\(request.messageID)"]
            )
            var response = Mailgate_V1_CancelMessageResponse()
            response.state = Mailgate_V1_MessageState(state)
            return response
        }
    }

    func sendMail(_ request: Mailgate_V1_SendMailRequest, context: CallContext<Principal>) async throws
        -> Mailgate_V1_SendMailResponse
    {
        let tenant = try await self.resolver.requireSendingTenant(context: context)
        let server = try await self.server(request.server, in: tenant)
        let now = Date()
        let envelopeViolations = request.envelopeViolations()
        guard let senderAddress = EmailAddress(server.definition.senderAddress) else {
            throw RPCError(
                code: .failedPrecondition,
                message: "Server \(server.definition.name) has no valid sender address.",
                reason: "SERVER_MISCONFIGURED"
            )
        }
        let composer = MessageComposer(
            sender: MailAddress(senderAddress, displayName: server.definition.senderName),
            limits: self.settings.limits
        )
        let composed: ComposedMessage
        do throws(ValidationError) {
            composed = try composer.compose(request.draft, date: now)
        } catch {
            throw ValidationError(error.summary, violations: envelopeViolations + error.violations)
        }
        guard envelopeViolations.isEmpty else {
            throw ValidationError("The message is not valid; nothing was queued.", violations: envelopeViolations)
        }
        let daily = server.definition.dailyRecipientLimit
        if daily > 0, composed.envelopeRecipients.count > daily {
            throw RPCError(
                code: .failedPrecondition,
                message:
                    "Server \(server.definition.name) may send to \(daily) recipients a day; this message has \(composed.envelopeRecipients.count).",
                reason: "DAILY_RECIPIENT_LIMIT"
            )
        }
        do {
            try await self.quotas.admit(
                tenant,
                bytes: composed.bytes.count,
                notBefore: request.hasNotBefore ? request.notBefore.date : nil,
                now: now
            )
        } catch let refusal as RPCError where !request.idempotencyKey.isEmpty {
            // A retry of a request already stored is answered with its message, quota or not.
            guard
                let first = try await self.messages.find(
                    tenantID: tenant.id,
                    idempotencyKey: request.idempotencyKey,
                    contentDigest: try request.contentDigest()
                )
            else { throw refusal }
            var response = Mailgate_V1_SendMailResponse()
            response.messageID = first.id.uuidString.lowercased()
            response.state = Mailgate_V1_MessageState(first.state)
            response.rfc822MessageID = first.rfc822MessageID
            return response
        }
        let message = NewMessage(
            tenantID: tenant.id,
            serverID: server.id,
            idempotencyKey: request.idempotencyKey.isEmpty ? nil : request.idempotencyKey,
            // Only a keyed request is ever compared with another.
            contentDigest: request.idempotencyKey.isEmpty ? [] : try request.contentDigest(),
            rfc822MessageID: composed.messageID,
            subject: request.subject,
            envelopeFrom: senderAddress.description,
            recipients: composed.envelopeRecipients,
            body: composed.bytes,
            requiresSMTPUTF8: composed.requiresSMTPUTF8,
            tags: request.tags,
            notBefore: request.hasNotBefore ? request.notBefore.date : nil
        )
        let outcome = try await self.messages.enqueue(message, idempotencyWindow: self.settings.idempotencyWindow)
        let record: MessageRecord
        switch outcome {
        case .queued(let queued):
            record = queued
            if message.notBefore.map({ $0 <= now }) ?? true { self.wakeUp.messageQueued() }
            context.logger.info(
                "message queued",
                metadata: [
                    "tenant": "\(tenant.slug)", "server": "\(server.definition.name)",
                    "message_id": "\(record.id.uuidString.lowercased())", "recipients": "\(message.recipients.count)",
                    "size": "\(message.body.count)",
                ]
            )
        case .replayed(let first):
            record = first
            context.logger.info(
                "idempotent replay",
                metadata: ["tenant": "\(tenant.slug)", "message_id": "\(first.id.uuidString.lowercased())"]
            )
        }
        var response = Mailgate_V1_SendMailResponse()
        response.messageID = record.id.uuidString.lowercased()
        response.state = Mailgate_V1_MessageState(record.state)
        response.rfc822MessageID = record.rfc822MessageID
        return response
    }

    private func server(_ idOrName: String, in tenant: TenantReference) async throws -> ServerRecord {
        let found = try await self.serverCache.server(tenantID: tenant.id, idOrName: idOrName) {
            idOrName.isEmpty
                ? try await self.servers.findDefault(tenantID: tenant.id)
                : try await self.servers.find(tenantID: tenant.id, idOrName: idOrName)
        }
        if idOrName.isEmpty {
            guard let server = found else {
                throw RPCError(
                    code: .failedPrecondition,
                    message: "Tenant \(tenant.slug) has no output server yet; create one with PutServer.",
                    reason: "NO_DEFAULT_SERVER"
                )
            }
            return server
        }
        guard let server = found else {
            throw RPCError(
                code: .notFound,
                message: "No server \(idOrName) in this tenant.",
                fieldViolations: [.init(field: "server", description: "no such server")]
            )
        }
        return server
    }

    /// An RFC 5322 Message-ID as the messages table keeps it (`<left@right>`), from the
    /// header value with or without its angle brackets; INVALID_ARGUMENT otherwise.
    static func rfc822MessageID(_ text: String) throws -> String {
        let trimmed = text.trimmingCharacters(in: .whitespaces)
        let bare =
            trimmed.hasPrefix("<") && trimmed.hasSuffix(">") && trimmed.count >= 2
            ? String(trimmed.dropFirst().dropLast()) : trimmed
        let parts = bare.split(separator: "@", omittingEmptySubsequences: false)
        guard bare.utf8.count <= 996, parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty,
            !bare.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || !$0.isASCII })
        else {
            throw RPCError(
                code: .invalidArgument,
                message: "\"\(text.prefix(64))\" is neither a message id nor a Message-ID header.",
                fieldViolations: [
                    .init(
                        field: "message_id",
                        description: "must be the id SendMail returned or its rfc822_message_id (<left@right>)"
                    )
                ]
            )
        }
        return "<\(bare)>"
    }

    static func messageID(_ text: String) throws -> UUID {
        guard let id = UUID(uuidString: text) else {
            throw RPCError(
                code: .invalidArgument,
                message: "\"\(text.prefix(64))\" is not a message id.",
                fieldViolations: [.init(field: "message_id", description: "must be the id SendMail returned")]
            )
        }
        return id
    }
}
