import Foundation
import MailgateProto

extension Mailgate_V1_Frame {
    /// A reply frame answering `callID`.
    public static func reply(callID: UInt64, status: Mailgate_V1_Status, payload: Data = Data()) -> Self {
        var reply = Mailgate_V1_Reply()
        reply.status = status
        reply.payload = payload
        var frame = Self()
        frame.callID = callID
        frame.kind = .reply(reply)
        return frame
    }

    /// A reply frame carrying `error`.
    public static func reply(callID: UInt64, error: RPCError) -> Self {
        .reply(callID: callID, status: error.status)
    }

    /// A call frame.
    public static func call(
        callID: UInt64,
        method: String,
        metadata: [String: String],
        timeoutMilliseconds: UInt32,
        payload: Data
    ) -> Self {
        var call = Mailgate_V1_Call()
        call.method = method
        call.metadata = metadata
        call.timeoutMs = timeoutMilliseconds
        call.payload = payload
        var frame = Self()
        frame.callID = callID
        frame.kind = .call(call)
        return frame
    }

    /// A cancel frame for `callID`.
    public static func cancel(callID: UInt64) -> Self {
        var frame = Self()
        frame.callID = callID
        frame.kind = .cancel(Mailgate_V1_Cancel())
        return frame
    }

    /// A go-away frame carrying why the connection closes.
    public static func goAway(_ error: RPCError) -> Self {
        var goAway = Mailgate_V1_GoAway()
        goAway.status = error.status
        var frame = Self()
        frame.kind = .goAway(goAway)
        return frame
    }

    public static func ping(nonce: UInt64) -> Self {
        var ping = Mailgate_V1_Ping()
        ping.nonce = nonce
        var frame = Self()
        frame.kind = .ping(ping)
        return frame
    }

    public static func pong(callID: UInt64, nonce: UInt64) -> Self {
        var pong = Mailgate_V1_Pong()
        pong.nonce = nonce
        var frame = Self()
        frame.callID = callID
        frame.kind = .pong(pong)
        return frame
    }
}
