import Logging
import MailgateProto
import NIOCore
import Tracing

/// Runs one call off the event loop: authenticates the caller, invokes the handler,
/// and turns the outcome into the reply frame.
struct CallDispatcher<Principal: Sendable>: Sendable {
    let router: RPCRouter<Principal>
    let authenticator: any CallAuthenticator<Principal>
    let logger: Logger
    /// Replies larger than this would break the client's framing: they are refused instead.
    let maximumReplyPayloadBytes: Int
    let metrics: RPCMetrics
    /// The tracer for call spans; nil uses the process-wide (bootstrapped) one.
    let tracer: (any Tracer)?

    /// Runs the call inside a server span named after the method, continuing the caller's
    /// trace when the metadata carries one (W3C `traceparent`, read by the tracer), with the
    /// tracer bound to the task so database, token and SMTP spans nest under it.
    /// `authenticated` is called once the caller was authenticated, before the handler runs.
    func reply(
        to call: Mailgate_V1_Call,
        callID: UInt64,
        method: RPCRouter<Principal>.Method,
        deadline: NIODeadline,
        peer: PeerAddress,
        authenticated: @Sendable () -> Void = {}
    ) async -> Mailgate_V1_Frame {
        let tracer = self.tracer ?? InstrumentationSystem.tracer
        var parent = ServiceContext.topLevel
        tracer.extract(call.metadata, into: &parent, using: CallMetadataExtractor())
        let span = tracer.startSpan(call.method, context: parent, ofKind: .server)
        span.attributes["rpc.system"] = "mailgate"
        span.attributes["rpc.method"] = call.method
        defer { span.end() }
        return await withTracer(tracer) {
            await ServiceContext.withValue(span.context) {
                await self.respond(
                    to: call,
                    callID: callID,
                    method: method,
                    deadline: deadline,
                    peer: peer,
                    authenticated: authenticated,
                    span: span
                )
            }
        }
    }

    private func respond(
        to call: Mailgate_V1_Call,
        callID: UInt64,
        method: RPCRouter<Principal>.Method,
        deadline: NIODeadline,
        peer: PeerAddress,
        authenticated: @Sendable () -> Void,
        span: any Span
    ) async -> Mailgate_V1_Frame {
        var logger = self.logger
        logger[metadataKey: "method"] = "\(call.method)"
        logger[metadataKey: "request_id"] = "\(RequestID.of(call.metadata))"
        let started = ContinuousClock.now
        self.metrics.callStarted()
        var code = StatusCode.ok
        var reason = ""
        defer {
            let duration = ContinuousClock.now - started
            self.metrics.callFinished(method: call.method, code: code, duration: duration)
            let codeName = RPCMetrics.name(of: code)
            // Built only when debug lines are written: this runs for every call.
            logger.debug(
                "call finished",
                metadata: {
                    var metadata: Logger.Metadata = [
                        "code": "\(codeName)", "duration_ms": "\(duration.loggedMilliseconds)",
                    ]
                    if !reason.isEmpty { metadata["reason"] = "\(reason)" }
                    return metadata
                }()
            )
            span.attributes["rpc.status_code"] = codeName
            if code != .ok { span.setStatus(SpanStatus(code: .error, message: reason.isEmpty ? nil : reason)) }
        }
        do {
            var principal: Principal?
            if method.requiresAuthentication {
                principal = try await self.authenticator.authenticate(
                    metadata: call.metadata,
                    method: call.method,
                    peer: peer
                )
                authenticated()
            }
            if let described = principal as? any LogDescribable {
                logger.merge(described.logMetadata)
            }
            let context = CallContext(
                method: call.method,
                metadata: call.metadata,
                deadline: continuousInstant(of: deadline, now: started),
                peer: peer,
                principal: principal,
                logger: logger
            )
            let payload = try await method.invoke(call.payload, context)
            guard payload.count <= self.maximumReplyPayloadBytes else {
                throw RPCError(
                    code: .resourceExhausted,
                    message:
                        "The response (\(payload.count) bytes) exceeds the frame limit; ask for less (e.g. a smaller page).",
                    reason: "RESPONSE_TOO_LARGE"
                )
            }
            return .reply(callID: callID, status: .ok, payload: payload)
        } catch {
            let rpcError = RPCError(converting: error)
            code = rpcError.code
            reason = rpcError.reason
            if rpcError.code == .internal || rpcError.code == .unknown {
                logger.error("call failed", metadata: ["error": "\(error)"])
            }
            return .reply(callID: callID, error: rpcError)
        }
    }
}

/// Reads trace context (`traceparent`, `tracestate`, …) from call metadata, whose keys are lowercase.
struct CallMetadataExtractor: Extractor {
    func extract(key: String, from carrier: [String: String]) -> String? {
        carrier[key.lowercased()]
    }

}

/// `deadline` on the clock handlers use (the event loop's clock is NIO's own), given that
/// `ContinuousClock` reads `now`. The server caps every deadline, so it is never far off.
private func continuousInstant(of deadline: NIODeadline, now: ContinuousClock.Instant) -> ContinuousClock.Instant {
    let loopNow = NIODeadline.now().uptimeNanoseconds
    let ahead = deadline.uptimeNanoseconds > loopNow ? min(deadline.uptimeNanoseconds - loopNow, 1 << 62) : 0
    return now + .nanoseconds(Int64(ahead))
}
