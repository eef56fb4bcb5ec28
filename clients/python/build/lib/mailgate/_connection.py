"""One multiplexed connection: frames out, replies routed to their calls by ``call_id``."""
import asyncio
import itertools
import ssl
import struct
from typing import Dict, Optional

from mailgate.errors import Code, MailgateError, Unavailable
from mailgate.v1 import rpc_pb2

#: Until a call on a connection has been authenticated, servers take frames of at most
#: 64 KiB; a larger first call is preceded by a small authenticated one.
UNAUTHENTICATED_FRAME_ALLOWANCE = 60 * 1024
MAX_FRAME_BYTES = 16 * 1024 * 1024


class NotSent(Exception):
    """The call never left: the connection was already closed or draining. Safe to retry."""


class Connection:
    """A TCP (or TLS) connection to one server, carrying any number of calls at once."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        self._reader = reader
        self._writer = writer
        self._calls: Dict[int, asyncio.Future] = {}
        self._ids = itertools.count(1)
        self._write_lock = asyncio.Lock()
        self._closed: Optional[MailgateError] = None
        self._draining = False
        self.has_authenticated_call = False
        self._reading = asyncio.get_running_loop().create_task(self._read_frames())

    @classmethod
    async def open(cls, host: str, port: int, tls: Optional[ssl.SSLContext], server_hostname: Optional[str],
                   timeout: float) -> "Connection":
        try:
            reader, writer = await asyncio.wait_for(
                asyncio.open_connection(host, port, ssl=tls, server_hostname=server_hostname if tls else None,
                                        limit=MAX_FRAME_BYTES + 4),
                timeout)
        except (OSError, asyncio.TimeoutError) as error:
            raise Unavailable(Code.UNAVAILABLE, f"cannot connect to {host}:{port}: {error}", "CONNECT_FAILED")
        return cls(reader, writer)

    @property
    def usable(self) -> bool:
        return self._closed is None and not self._draining and not self._writer.is_closing()

    async def call(self, method: str, metadata: Dict[str, str], timeout: float, payload: bytes) -> rpc_pb2.Reply:
        """Sends the call and waits for its reply; raises ``NotSent`` when it never left."""
        if not self.usable:
            raise NotSent()
        call_id = next(self._ids)
        frame = rpc_pb2.Frame(call_id=call_id, call=rpc_pb2.Call(
            method=method, metadata=metadata, timeout_ms=max(1, int(timeout * 1000)), payload=payload))
        reply: asyncio.Future = asyncio.get_running_loop().create_future()
        self._calls[call_id] = reply
        try:
            await self._send(frame, before_sending=lambda: self.usable)
        except NotSent:
            self._calls.pop(call_id, None)
            raise
        try:
            return await asyncio.wait_for(asyncio.shield(reply), timeout)
        except asyncio.TimeoutError:
            await self._cancel(call_id)
            raise MailgateError.from_status(rpc_pb2.Status(
                code=Code.DEADLINE_EXCEEDED, message=f"{method}: no reply within {timeout:g} s; it may have run",
                reason="DEADLINE_EXCEEDED"))
        except asyncio.CancelledError:
            await self._cancel(call_id)
            raise
        finally:
            self._calls.pop(call_id, None)

    async def close(self) -> None:
        self._fail_all(Unavailable(Code.UNAVAILABLE, "the client closed the connection", "CLIENT_CLOSED"))
        if self._reading is not asyncio.current_task():
            self._reading.cancel()
            await asyncio.gather(self._reading, return_exceptions=True)
        self._writer.close()
        try:
            await self._writer.wait_closed()
        except (OSError, ssl.SSLError):
            pass

    async def _cancel(self, call_id: int) -> None:
        if self.usable:
            try:
                await self._send(rpc_pb2.Frame(call_id=call_id, cancel=rpc_pb2.Cancel()), before_sending=lambda: True)
            except (NotSent, OSError):
                pass

    async def _send(self, frame: rpc_pb2.Frame, before_sending) -> None:
        data = frame.SerializeToString()
        async with self._write_lock:
            # Checked once the lock is held: a GoAway or a closed socket since means it never left.
            if not before_sending() or self._writer.is_closing():
                raise NotSent()
            self._writer.write(struct.pack(">I", len(data)) + data)
            try:
                await self._writer.drain()
            except (OSError, ssl.SSLError) as error:
                self._fail_all(Unavailable(Code.UNAVAILABLE, f"the connection broke: {error}; the call may have run",
                                           "CONNECTION_LOST"))

    async def _read_frames(self) -> None:
        try:
            while True:
                header = await self._reader.readexactly(4)
                (length,) = struct.unpack(">I", header)
                if length == 0 or length > MAX_FRAME_BYTES:
                    raise Unavailable(Code.INTERNAL, f"the server sent a frame of {length} bytes", "BAD_FRAME")
                frame = rpc_pb2.Frame.FromString(await self._reader.readexactly(length))
                kind = frame.WhichOneof("kind")
                if kind == "reply":
                    waiting = self._calls.get(frame.call_id)
                    if waiting is not None and not waiting.done():
                        waiting.set_result(frame.reply)
                elif kind == "go_away":
                    # No new calls here; calls in flight are still answered when it drains.
                    self._draining = True
                    if frame.go_away.status.code not in (Code.OK, Code.UNAVAILABLE):
                        self._fail_all(MailgateError.from_status(frame.go_away.status))
                elif kind == "ping":
                    await self._send(rpc_pb2.Frame(call_id=frame.call_id, pong=rpc_pb2.Pong(nonce=frame.ping.nonce)),
                                     before_sending=lambda: True)
        except asyncio.CancelledError:
            raise
        except MailgateError as error:
            self._fail_all(error)
        except (asyncio.IncompleteReadError, OSError, ssl.SSLError) as error:
            self._fail_all(Unavailable(Code.UNAVAILABLE, f"the connection closed: {error!r}; calls in flight may have run",
                                       "CONNECTION_LOST"))
        except Exception as error:  # a frame that does not parse
            self._fail_all(Unavailable(Code.INTERNAL, f"unreadable frame from the server: {error}", "BAD_FRAME"))

    def _fail_all(self, error: MailgateError) -> None:
        if self._closed is None:
            self._closed = error
        for waiting in self._calls.values():
            if not waiting.done():
                waiting.set_exception(error)
