import Foundation
import MailgateCore
import MailgateProto
import MailgateRPC
import MailgateStore

extension MailerHandlers {
    func registerValidation(into router: inout RPCRouter<Principal>) {
        router.registerStoreBacked(
            Self.service + "ValidateServer",
            request: Mailgate_V1_ValidateServerRequest.self,
            health: self.health
        ) { request, context in
            if request.hasDraft {
                // A draft carries what only PutServer may write: the same key rule.
                _ = try context.requireOperator()
            }
            let tenant = try await self.resolver.requireTenant(
                request.tenant.isEmpty && request.hasDraft ? request.draft.tenant : request.tenant,
                context: context
            )
            if !request.hasDraft, request.server.isEmpty {
                throw ValidationError("Name the server to validate.", violations: [Violation("server", "required")])
            }
            if !request.testRecipient.isEmpty, EmailAddress(request.testRecipient) == nil {
                throw ValidationError(
                    "The test recipient is not a valid address.",
                    violations: [Violation("test_recipient", "not a valid email address")]
                )
            }
            let stored: ServerRecord?
            if request.server.isEmpty {
                stored = nil
            } else {
                guard let found = try await self.servers.find(tenantID: tenant.id, idOrName: request.server) else {
                    throw RPCError(code: .notFound, message: "No server \(request.server) in this tenant.")
                }
                stored = found
            }
            let server: ServerRecord
            // A draft with the stored server's OAuth settings and secrets takes its token as
            // the stored server does: a refresh token the provider rotates is then stored, so
            // testing an edit never spends the stored one.
            var tokenSource: ServerRecord?
            if request.hasDraft {
                // PutServer's own preparation (its rules, presets and destination policy), over
                // the stored server's secrets when `server` names one; nothing is written.
                let (definition, changes) = try AdminHandlers.preparation(
                    of: request.draft,
                    destinations: self.settings.destinations
                )(stored)
                server = self.servers.draft(
                    tenantID: tenant.id,
                    existing: stored,
                    definition: definition,
                    changes: changes
                )
                if let stored, definition.authType == .oauth2, definition.authType == stored.definition.authType,
                    definition.oauth == stored.definition.oauth, changes.clientSecret == .keep,
                    changes.refreshToken == .keep
                {
                    tokenSource = stored
                }
            } else if let stored {
                server = stored
            } else {
                throw ValidationError("Name the server to validate.", violations: [Violation("server", "required")])
            }
            let options = ServerValidator.Request(
                sendTestMessage: request.hasSendTestMessage ? request.sendTestMessage : true,
                testRecipient: request.testRecipient
            )
            let deadline = min(context.deadline, .now + .seconds(3600))
            var progress: (@Sendable ([ServerCheck]) -> Void)?
            if let report = context.progress {
                progress = { @Sendable checks in report(Mailgate_V1_ValidateServerResponse(partial: checks)) }
            }
            let report: ServerValidator.Report?
            do {
                // Only a new run counts against the tenant's validations a minute; callers that
                // join one under way pay nothing.
                report = try await self.validator.validate(
                    server,
                    tenant: tenant,
                    request: options,
                    deadline: deadline,
                    isDraft: request.hasDraft,
                    tokensOf: tokenSource,
                    progress: progress
                ) {
                    try await self.quotas.admitValidation(tenant)
                }
            } catch let busy as ServerValidator.TenantBusy {
                throw RPCError(
                    code: .resourceExhausted,
                    message:
                        "Tenant \(tenant.slug) already runs \(busy.running) validations on this replica; retry when one ends.",
                    reason: "TENANT_VALIDATIONS_BUSY",
                    retryAfterMilliseconds: 2000
                )
            }
            guard let report else {
                throw RPCError(
                    code: .deadlineExceeded,
                    message:
                        "A validation of server \(server.definition.name) started earlier is still running and outlasts this call's deadline; call again with a longer timeout.",
                    reason: "VALIDATION_IN_PROGRESS"
                )
            }
            return Mailgate_V1_ValidateServerResponse(report)
        }
    }
}

extension Mailgate_V1_ValidateServerResponse {
    init(_ result: ServerValidator.Report) {
        self.init()
        self.ok = result.passed
        self.summary = result.checks.summary
        self.checks = result.checks.map(Mailgate_V1_ValidationCheck.init)
        self.testMessageID = result.testMessageID?.uuidString.lowercased() ?? ""
        self.queuedMessages = UInt64(result.backlog.waiting)
        self.oldestQueuedAgeSeconds =
            result.backlog.oldestDueSince.map { UInt64(max(0, Date().timeIntervalSince($0))) } ?? 0
        self.workerRunning = result.deliveryWorkers > 0
    }
}

extension Mailgate_V1_ValidateServerResponse {
    /// The checks done so far of a run under way (`CallContext.progress`).
    init(partial checks: [ServerCheck]) {
        self.init()
        self.checks = checks.map(Mailgate_V1_ValidationCheck.init)
    }
}

extension Mailgate_V1_ValidationCheck {
    init(_ check: ServerCheck) {
        self.init()
        self.name = check.name.rawValue
        self.outcome =
            switch check.outcome {
            case .ok: .ok
            case .failed: .failed
            case .skipped: .skipped
            case .warning: .warning
            }
        self.durationMs = UInt32(clamping: check.durationMilliseconds)
        self.detail = check.detail
        self.remedy = check.remedy
        self.reason = check.reason
    }
}
