import NIOCore
import Testing

@testable import MailgateRPC

/// The connection state machine under test; a call's handle is a number naming its work.
typealias ConnectionStateMachine = ServerConnectionHandler<TestPrincipal>.StateMachine<Int>

/// A state machine with small limits: 2 calls per connection, 10 on the server, a 1 s default
/// and 5 s maximum timeout, and a 200 ms idle timeout, active since time zero.
func makeStateMachine(callsPerConnection: Int = 2) -> ConnectionStateMachine {
    var machine = ConnectionStateMachine(
        maximumCallsPerConnection: callsPerConnection,
        maximumServerCalls: 10,
        defaultTimeout: .seconds(1),
        maximumTimeout: .seconds(5),
        idleTimeout: .milliseconds(200)
    )
    machine.channelActive(at: .start)
    return machine
}

extension NIODeadline {
    /// Time zero of a test's clock.
    static let start = NIODeadline.uptimeNanoseconds(0)
}

extension ConnectionStateMachine {
    /// Receives a call to a known method and registers `handle` as its work, as the handler
    /// does once the call is dispatched. Returns the call's token; a call that is not
    /// dispatched is a test failure.
    @discardableResult
    mutating func startCall(
        _ callID: UInt64,
        handle: Int,
        sourceLocation: SourceLocation = #_sourceLocation
    ) -> UInt64 {
        let action = self.receiveCall(callID)
        guard case .dispatch(let token, _) = action else {
            Issue.record("call \(callID) was not dispatched: \(action)", sourceLocation: sourceLocation)
            return 0
        }
        self.callDispatched(callID: callID, token: token, handle: handle)
        return token
    }

    /// Receives a call with the given method knowledge and server slot, without registering it.
    mutating func receiveCall(
        _ callID: UInt64,
        isKnownMethod: Bool = true,
        serverHasRoom: Bool = true
    ) -> CallAction {
        self.callReceived(
            callID: callID,
            method: "/test.v1.Test/Echo",
            isKnownMethod: isKnownMethod,
            timeoutMilliseconds: 0,
            now: .start,
            acquireServerSlot: { serverHasRoom }
        )
    }
}
