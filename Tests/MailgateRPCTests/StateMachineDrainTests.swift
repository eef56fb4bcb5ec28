import MailgateProto
import Testing

@testable import MailgateRPC

@Suite("Connection state machine: draining")
struct StateMachineDrainTests {
    let goAway = RPCError(code: .unavailable, message: "The server is shutting down.", reason: "DRAINING")

    @Test("draining with no call in flight sends a GoAway and closes")
    func drainIdle() {
        var machine = makeStateMachine()
        #expect(machine.drainRequested() == .sendGoAwayAndClose(self.goAway))
        #expect(machine.state == .draining)
        #expect(!machine.isFlushPending, "the GoAway is flushed at once")
    }

    @Test(
        "draining with calls in flight sends a GoAway; the last answer closes the connection",
        arguments: CallOutcome.allCases
    )
    func drainBusy(last: CallOutcome) {
        var machine = makeStateMachine()
        let first = machine.startCall(1, handle: 1)
        let second = machine.startCall(2, handle: 2)
        #expect(machine.drainRequested() == .sendGoAway(self.goAway))
        #expect(machine.handlerFinished(callID: 1, token: first) == .reply(1))
        #expect(machine.isFlushPending)
        #expect(last.happen(to: &machine, callID: 2, token: second) == .replyAndClose(2))
        #expect(!machine.isFlushPending, "the last reply is flushed before the close")
    }

    @Test("a draining connection still answers pings")
    func pingWhileDraining() {
        var machine = makeStateMachine()
        machine.startCall(1, handle: 1)
        _ = machine.drainRequested()
        #expect(machine.pingReceived() == .sendPong)
    }

    @Test("draining twice, or once the connection is closed, does nothing")
    func drainOnce() {
        var draining = makeStateMachine()
        draining.startCall(1, handle: 1)
        _ = draining.drainRequested()
        #expect(draining.drainRequested() == .none)

        var closed = makeStateMachine()
        _ = closed.frameErrorCaught(FrameError(.emptyFrame))
        #expect(closed.drainRequested() == .none)
        #expect(closed.state == .closed)
    }
}
