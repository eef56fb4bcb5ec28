import MailgateProto
import NIOCore
import Testing

@testable import MailgateRPC

@Suite("Connection state machine: admitting calls")
struct StateMachineCallAdmissionTests {
    @Test("a call to a known method within the limits is dispatched, each with a token of its own")
    func dispatch() {
        var machine = makeStateMachine()
        let first = machine.receiveCall(1)
        let second = machine.receiveCall(2)
        guard case .dispatch(let firstToken, _) = first, case .dispatch(let secondToken, _) = second else {
            Issue.record("expected two dispatches, got \(first) and \(second)")
            return
        }
        #expect(firstToken != secondToken)
        #expect(machine.runningHandlers == 2)
        #expect(!machine.isFlushPending, "nothing was written")
    }

    @Test(
        "the deadline is the call's timeout, the default when it sends none, and never past the maximum",
        arguments: [
            (0 as UInt32, TimeAmount.seconds(1)),
            (250, .milliseconds(250)),
            (5_000, .seconds(5)),
            (60_000, .seconds(5)),
        ]
    )
    func deadline(timeoutMilliseconds: UInt32, expected: TimeAmount) {
        var machine = makeStateMachine()
        let now = NIODeadline.start + .seconds(42)
        let action = machine.callReceived(
            callID: 1,
            method: "/test.v1.Test/Echo",
            isKnownMethod: true,
            timeoutMilliseconds: timeoutMilliseconds,
            now: now,
            acquireServerSlot: { true }
        )
        guard case .dispatch(_, let deadline) = action else {
            Issue.record("expected a dispatch, got \(action)")
            return
        }
        #expect(deadline == now + expected)
    }

    @Test("an unknown method is refused UNIMPLEMENTED, before the limits are looked at")
    func unknownMethod() {
        var machine = makeStateMachine(callsPerConnection: 0)
        var asked = false
        let action = machine.callReceived(
            callID: 1,
            method: "/mailgate.v1.Nope/Nothing",
            isKnownMethod: false,
            timeoutMilliseconds: 0,
            now: .start,
            acquireServerSlot: {
                asked = true
                return true
            }
        )
        guard case .reply(let error) = action else {
            Issue.record("expected a refusal, got \(action)")
            return
        }
        #expect(error.code == .unimplemented)
        #expect(error.reason == "UNKNOWN_METHOD")
        #expect(error.message.contains("/mailgate.v1.Nope/Nothing"))
        #expect(!asked, "no server slot is taken for a refused call")
        #expect(machine.runningHandlers == 0)
    }

    @Test("calls past the per-connection limit are refused RESOURCE_EXHAUSTED; no server slot is taken for them")
    func perConnectionLimit() {
        var machine = makeStateMachine(callsPerConnection: 2)
        machine.startCall(1, handle: 1)
        machine.startCall(2, handle: 2)
        var asked = false
        let action = machine.callReceived(
            callID: 3,
            method: "/test.v1.Test/Echo",
            isKnownMethod: true,
            timeoutMilliseconds: 0,
            now: .start,
            acquireServerSlot: {
                asked = true
                return true
            }
        )
        #expect(
            action
                == .reply(
                    RPCError(
                        code: .resourceExhausted,
                        message: "More than 2 calls in flight on this connection.",
                        reason: "CONNECTION_CALL_LIMIT"
                    )
                )
        )
        #expect(!asked)
        #expect(machine.isFlushPending, "the refusal goes out with the read's flush")
    }

    @Test("calls past the server-wide limit are refused RESOURCE_EXHAUSTED with a 100 ms retry hint")
    func serverLimit() {
        var machine = makeStateMachine()
        let action = machine.receiveCall(1, serverHasRoom: false)
        guard case .reply(let error) = action else {
            Issue.record("expected a refusal, got \(action)")
            return
        }
        #expect(error.code == .resourceExhausted)
        #expect(error.reason == "SERVER_CALL_LIMIT")
        #expect(error.retryAfterMilliseconds == 100)
        #expect(error.message.contains("10 calls"))
        #expect(machine.runningHandlers == 0)
    }

    @Test("a call id still in flight is a protocol error: GoAway, then the connection takes nothing more")
    func duplicateCallID() {
        var machine = makeStateMachine()
        machine.startCall(5, handle: 5)
        let action = machine.receiveCall(5)
        guard case .goAwayThenClose(let error) = action else {
            Issue.record("expected a GoAway, got \(action)")
            return
        }
        #expect(error.code == .invalidArgument)
        #expect(error.reason == "DUPLICATE_CALL_ID")
        #expect(machine.state == .closed)
        #expect(machine.receiveCall(6) == .none)
        #expect(machine.pingReceived() == .none)
    }

    @Test("a call on a draining connection is refused UNAVAILABLE; on a closed one it is ignored")
    func drainingAndClosed() {
        var draining = makeStateMachine()
        _ = draining.drainRequested()
        #expect(
            draining.receiveCall(1)
                == .reply(RPCError(code: .unavailable, message: "The server is shutting down.", reason: "DRAINING"))
        )
        var closed = makeStateMachine()
        _ = closed.channelInactive()
        #expect(closed.receiveCall(1) == .none)
        #expect(!closed.isFlushPending)
    }
}
