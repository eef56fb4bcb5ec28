import MailgateProto
import NIOCore
import Testing

@testable import MailgateRPC

@Suite("Connection state machine: idle timeout")
struct StateMachineIdleTests {
    let idleGoAway = RPCError(code: .ok, message: "Idle connection closed.", reason: "IDLE_TIMEOUT")

    @Test(
        "a connection is closed with an OK GoAway once it went the idle timeout (200 ms) without a frame",
        arguments: [(199, false), (200, true), (5_000, true)]
    )
    func idle(elapsedMilliseconds: Int64, closes: Bool) {
        var machine = makeStateMachine()
        let action = machine.idleCheckFired(now: .start + .milliseconds(elapsedMilliseconds))
        #expect(action == (closes ? .goAwayThenClose(self.idleGoAway) : .none))
        #expect((machine.state == .closed) == closes)
    }

    @Test("any frame restarts the idle clock")
    func frameRestartsClock() {
        var machine = makeStateMachine()
        machine.frameReceived(at: .start + .milliseconds(150))
        #expect(machine.idleCheckFired(now: .start + .milliseconds(300)) == .none)
        #expect(machine.idleCheckFired(now: .start + .milliseconds(350)) == .goAwayThenClose(self.idleGoAway))
    }

    @Test("a connection with a call in flight is not idle, however long the call takes")
    func busyIsNotIdle() {
        var machine = makeStateMachine()
        let token = machine.startCall(1, handle: 1)
        #expect(machine.idleCheckFired(now: .start + .seconds(60)) == .none)
        _ = machine.handlerFinished(callID: 1, token: token)
        // Idle time counts from the last frame, not from the last reply.
        #expect(machine.idleCheckFired(now: .start + .seconds(60)) == .goAwayThenClose(self.idleGoAway))
    }

    @Test("a draining or closed connection is not closed for idleness")
    func notActive() {
        var draining = makeStateMachine()
        draining.startCall(1, handle: 1)
        _ = draining.drainRequested()
        _ = draining.cancelReceived(callID: 1)
        #expect(draining.idleCheckFired(now: .start + .seconds(60)) == .none)

        var closed = makeStateMachine()
        _ = closed.channelInactive()
        #expect(closed.idleCheckFired(now: .start + .seconds(60)) == .none)
    }

    @Test(
        "idleness is checked every quarter of the idle timeout, never more often than every 10 ms",
        arguments: [
            (TimeAmount.milliseconds(200), TimeAmount.milliseconds(50)),
            (.milliseconds(20), .milliseconds(10)),
            (.minutes(5), .seconds(75)),
        ]
    )
    func checkInterval(idleTimeout: TimeAmount, interval: TimeAmount) {
        let machine = ConnectionStateMachine(
            maximumCallsPerConnection: 1,
            maximumServerCalls: 1,
            defaultTimeout: .seconds(1),
            maximumTimeout: .seconds(1),
            idleTimeout: idleTimeout
        )
        #expect(machine.idleCheckInterval == interval)
    }
}
