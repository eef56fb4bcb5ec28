import Foundation
import MailgateCore
import MailgateStore

extension MailerHandlers {
    /// Why a queued message waits beyond its next attempt time, in words for whoever asked
    /// (GetMessage's `waiting_reason`): its tenant is disabled, its server is blocked by a
    /// fault an operator can fix, or the server is paused. Empty when nothing holds it.
    /// Only operator keys reach a disabled tenant, so only they need `checkTenant`.
    func waitingReason(for message: MessageRecord, checkTenant: Bool) async throws -> String {
        guard message.state == .queued else { return "" }
        if checkTenant, let tenant = try await self.resolver.tenants.find(idOrSlug: message.tenantID.uuidString),
            tenant.status != .active
        {
            return "held: tenant \(tenant.slug) is disabled; its mail goes out once it is enabled again"
        }
        guard let blocks = self.blocks,
            let state = try await blocks.deliveryStates(serverIDs: [message.serverID])[message.serverID]
        else { return "" }
        if let block = state.block {
            let next =
                block.retryAt > Date()
                ? "the next attempt is at \(block.retryAt.formatted(.iso8601))" : "the server is tried again now"
            return
                "waiting: the server cannot take mail (\(block.reason)) since \(block.since.formatted(.iso8601)): \(block.detail). \(block.remedy) The mail goes out once this is fixed; \(next)."
        }
        if let pausedUntil = state.pausedUntil {
            return "waiting: the server is paused until \(pausedUntil.formatted(.iso8601)): \(state.pauseReason)"
        }
        return ""
    }
}
