import MailgateProto
import Testing

@testable import MailgateRPC

@Suite("Connection state machine: flushing and back-pressure")
struct StateMachineFlowControlTests {
    @Test("what one read wrote is flushed once, when the read completes")
    func flushOnReadComplete() {
        var machine = makeStateMachine()
        #expect(machine.readComplete() == .none, "nothing written, nothing to flush")
        #expect(machine.pingReceived() == .sendPong)
        _ = machine.receiveCall(1, isKnownMethod: false)
        #expect(machine.readComplete() == .flush)
        #expect(machine.readComplete() == .none)
    }

    @Test("a scheduled flush flushes only what is still unflushed")
    func scheduledFlush() {
        var machine = makeStateMachine()
        let first = machine.startCall(1, handle: 1)
        let second = machine.startCall(2, handle: 2)
        #expect(machine.handlerFinished(callID: 1, token: first) == .reply(1))
        #expect(machine.handlerFinished(callID: 2, token: second) == .reply(2))
        // Both replies scheduled a flush: the first takes both, the second has nothing left.
        #expect(machine.scheduledFlushFired() == .flush)
        #expect(machine.scheduledFlushFired() == .none)
    }

    @Test("a protocol error's GoAway takes what was written before it; nothing is flushed after it")
    func goAwayFlushes() {
        var machine = makeStateMachine()
        #expect(machine.pingReceived() == .sendPong)
        #expect(machine.unexpectedFrameReceived() != .none)
        #expect(!machine.isFlushPending)
        #expect(machine.pingReceived() == .none)
        #expect(machine.readComplete() == .none)
    }

    @Test(
        "reading pauses while the peer does not read its replies, and resumes once it does",
        arguments: [
            ([false], [ConnectionStateMachine.ReadingAction.pauseReading]),
            ([false, false], [.pauseReading, .none]),
            ([false, true], [.pauseReading, .resumeReading]),
            ([true], [.none]),
            ([false, true, true, false], [.pauseReading, .resumeReading, .none, .pauseReading]),
        ]
    )
    func backPressure(writability: [Bool], expected: [ConnectionStateMachine.ReadingAction]) {
        var machine = makeStateMachine()
        let actions = writability.map { machine.writabilityChanged(isWritable: $0) }
        #expect(actions == expected)
        #expect(machine.isReadingPaused == (writability.last == false))
    }
}
