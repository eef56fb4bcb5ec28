import Logging
import MailgateProto
import NIOCore

/// Runs one call off the event loop: authenticates the caller, invokes the handler,
/// and turns the outcome into the reply frame.
struct CallDispatcher<Principal: Sendable>: Sendable {
    let router: RPCRouter<Principal>
    let authenticator: any CallAuthenticator<Principal>
    let logger: Logger
    /// Replies larger than this would break the client's framing: they are refused instead.
    let maximumReplyPayloadBytes: Int
    let metrics: RPCMetrics

    func reply(
        to call: Mailgate_V1_Call,
        callID: UInt64,
        method: RPCRouter<Principal>.Method,
        deadline: NIODeadline,
        peer: String
    ) async -> Mailgate_V1_Frame {
        var logger = self.logger
        logger[metadataKey: "method"] = "\(call.method)"
        let started = ContinuousClock.now
        self.metrics.callStarted()
        var code = StatusCode.ok
        defer {
            self.metrics.callFinished(method: call.method, code: code, duration: ContinuousClock.now - started)
        }
        do {
            let principal: Principal? =
                method.requiresAuthentication
                ? try await self.authenticator.authenticate(metadata: call.metadata, method: call.method)
                : nil
            let context = CallContext(
                method: call.method,
                metadata: call.metadata,
                deadline: deadline,
                peer: peer,
                principal: principal,
                logger: logger
            )
            let payload = try await method.invoke(call.payload, context)
            guard payload.count <= self.maximumReplyPayloadBytes else {
                throw RPCError(
                    code: .resourceExhausted,
                    message: "The response (\(payload.count) bytes) exceeds the frame limit; ask for less (e.g. a smaller page).",
                    reason: "RESPONSE_TOO_LARGE"
                )
            }
            return .reply(callID: callID, status: .ok, payload: payload)
        } catch {
            let rpcError = RPCError(converting: error)
            code = rpcError.code
            if rpcError.code == .internal || rpcError.code == .unknown {
                logger.error("call failed", metadata: ["error": "\(error)"])
            } else {
                logger.debug("call refused", metadata: ["code": "\(rpcError.code)"])
            }
            return .reply(callID: callID, error: rpcError)
        }
    }
}
