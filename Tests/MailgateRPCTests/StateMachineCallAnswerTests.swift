import MailgateProto
import Testing

@testable import MailgateRPC

/// The three ways a call gets its answer.
enum CallOutcome: CaseIterable, CustomTestStringConvertible {
    case handlerFinished
    case deadlinePassed
    case cancelled

    var testDescription: String {
        switch self {
        case .handlerFinished: "its handler finishes"
        case .deadlinePassed: "its deadline passes"
        case .cancelled: "the client cancels it"
        }
    }

    /// Feeds this outcome of call `callID` (with `token`) to `machine`.
    func happen(to machine: inout ConnectionStateMachine, callID: UInt64, token: UInt64)
        -> ConnectionStateMachine
        .AnswerAction
    {
        switch self {
        case .handlerFinished: machine.handlerFinished(callID: callID, token: token)
        case .deadlinePassed: machine.deadlinePassed(callID: callID, token: token)
        case .cancelled: machine.cancelReceived(callID: callID)
        }
    }
}

@Suite("Connection state machine: answering calls")
struct StateMachineCallAnswerTests {
    @Test("a call is answered once, whichever way its answer comes first", arguments: CallOutcome.allCases)
    func answeredOnce(first: CallOutcome) {
        var machine = makeStateMachine()
        let token = machine.startCall(1, handle: 7)
        #expect(first.happen(to: &machine, callID: 1, token: token) == .reply(7))
        #expect(machine.callsInFlight == 0)
        #expect(machine.isFlushPending)
        for later in CallOutcome.allCases {
            #expect(later.happen(to: &machine, callID: 1, token: token) == .none, "\(later) after \(first)")
        }
    }

    @Test("a call answered by its deadline keeps its slot until its handler actually ends")
    func slotHeldUntilHandlerEnds() {
        var machine = makeStateMachine(callsPerConnection: 1)
        let token = machine.startCall(1, handle: 1)
        #expect(machine.deadlinePassed(callID: 1, token: token) == .reply(1))
        #expect(machine.runningHandlers == 1)
        guard case .reply(let error) = machine.receiveCall(2) else {
            Issue.record("expected the limit to refuse call 2")
            return
        }
        #expect(error.reason == "CONNECTION_CALL_LIMIT")
        #expect(machine.handlerFinished(callID: 1, token: token) == .none)
        #expect(machine.runningHandlers == 0)
        machine.startCall(2, handle: 2)
        #expect(machine.runningHandlers == 1)
    }

    @Test("a call id reused after its call was answered is a new call: the old handler's end does not answer it")
    func reusedCallID() {
        var machine = makeStateMachine()
        let old = machine.startCall(1, handle: 1)
        #expect(machine.deadlinePassed(callID: 1, token: old) == .reply(1))
        let new = machine.startCall(1, handle: 2)
        #expect(old != new)
        #expect(machine.handlerFinished(callID: 1, token: old) == .none)
        #expect(machine.deadlinePassed(callID: 1, token: old) == .none)
        #expect(machine.callsInFlight == 1)
        #expect(machine.handlerFinished(callID: 1, token: new) == .reply(2))
    }

    @Test("a Cancel for a call that is not in flight does nothing")
    func cancelUnknown() {
        var machine = makeStateMachine()
        #expect(machine.cancelReceived(callID: 9) == .none)
        #expect(!machine.isFlushPending)
    }

    @Test(
        "after a protocol error a call's answer only stops its work: nothing is sent",
        arguments: CallOutcome.allCases
    )
    func answerAfterProtocolError(outcome: CallOutcome) {
        var machine = makeStateMachine()
        let token = machine.startCall(1, handle: 3)
        _ = machine.unexpectedFrameReceived()
        #expect(outcome.happen(to: &machine, callID: 1, token: token) == .cancelWork(3))
        #expect(!machine.isFlushPending)
    }

    @Test("when the channel closes every unanswered call's work is handed back for cancelling")
    func channelInactive() {
        var machine = makeStateMachine()
        let first = machine.startCall(1, handle: 1)
        machine.startCall(2, handle: 2)
        _ = machine.handlerFinished(callID: 1, token: first)
        machine.startCall(3, handle: 3)
        #expect(machine.channelInactive().sorted() == [2, 3])
        #expect(machine.state == .closed)
        #expect(machine.callsInFlight == 0)
        #expect(machine.channelInactive().isEmpty)
    }
}
