import MailgateProto
import NIOCore
import Testing

@testable import MailgateRPC

@Suite("Connection state machine: protocol errors")
struct StateMachineProtocolErrorTests {
    @Test(
        "a framing error closes the connection with a GoAway carrying its status",
        arguments: [
            (FrameError(.emptyFrame), StatusCode.invalidArgument, "EMPTY_FRAME"),
            (FrameError(.frameTooLarge(announced: 0x7FFF_FFFF, limit: 1024)), .resourceExhausted, "FRAME_TOO_LARGE"),
            (FrameError(.malformedFrame), .invalidArgument, "MALFORMED_FRAME"),
        ]
    )
    func framingError(error: FrameError, code: StatusCode, reason: String) {
        var machine = makeStateMachine()
        guard case .goAwayThenClose(let status) = machine.frameErrorCaught(error) else {
            Issue.record("expected a GoAway")
            return
        }
        #expect(status.code == code)
        #expect(status.reason == reason)
        #expect(machine.state == .closed)
    }

    @Test("a frame only a server may send closes the connection with an INVALID_ARGUMENT GoAway")
    func unexpectedFrame() {
        var machine = makeStateMachine()
        guard case .goAwayThenClose(let status) = machine.unexpectedFrameReceived() else {
            Issue.record("expected a GoAway")
            return
        }
        #expect(status.code == .invalidArgument)
        #expect(status.reason == "UNEXPECTED_FRAME")
    }

    @Test("only the first protocol error sends a GoAway")
    func oneGoAway() {
        var machine = makeStateMachine()
        #expect(machine.unexpectedFrameReceived() != .none)
        #expect(machine.unexpectedFrameReceived() == .none)
        #expect(machine.frameErrorCaught(FrameError(.malformedFrame)) == .none)
        #expect(machine.idleCheckFired(now: .start + .seconds(60)) == .none)
    }

    @Test("a protocol error on a draining connection still sends its GoAway")
    func protocolErrorWhileDraining() {
        var machine = makeStateMachine()
        machine.startCall(1, handle: 1)
        _ = machine.drainRequested()
        #expect(machine.frameErrorCaught(FrameError(.emptyFrame)) != .none)
        #expect(machine.cancelReceived(callID: 1) == .cancelWork(1))
    }
}
