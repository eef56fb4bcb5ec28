"""``AsyncClient`` (asyncio) and ``Client`` (blocking): every method of Health, Mailer and
Admin, over one multiplexed connection that is replaced when it breaks."""
import asyncio
import re
import ssl
import threading
from typing import Dict, Iterable, Optional, Tuple, Type

from google.protobuf.message import Message

from mailgate._connection import UNAUTHENTICATED_FRAME_ALLOWANCE, Connection, NotSent
from mailgate.errors import Code, InvalidArgument, MailgateError, Unavailable
from mailgate.v1 import admin_pb2, health_pb2, mailer_pb2, rpc_pb2

_MODULES = (health_pb2, mailer_pb2, admin_pb2)
_WHO_AM_I = "/mailgate.v1.Health/WhoAmI"


def _methods() -> Dict[str, Tuple[str, Type[Message], Type[Message]]]:
    """Every RPC of the contract: snake_case name -> (full method, request type, response type)."""
    classes = {}
    for module in _MODULES:
        for name in module.DESCRIPTOR.message_types_by_name:
            message = getattr(module, name)
            classes[message.DESCRIPTOR.full_name] = message
    methods = {}
    for module in _MODULES:
        for service in module.DESCRIPTOR.services_by_name.values():
            for method in service.methods:
                snake = re.sub(r"(?<!^)(?=[A-Z])", "_", method.name).lower()
                methods[snake] = (f"/{service.full_name}/{method.name}",
                                  classes[method.input_type.full_name], classes[method.output_type.full_name])
    return methods


METHODS = _methods()


def _split_address(address: str) -> Tuple[str, int]:
    if address.startswith("["):
        host, _, rest = address[1:].partition("]")
        return host, int(rest[1:]) if rest.startswith(":") else 7587
    host, sep, port = address.rpartition(":")
    return (host, int(port)) if sep else (address, 7587)


class AsyncClient:
    """A Mailgate client for asyncio.

    ``address`` is ``host:port`` (default port 7587). With ``tls=True`` the server's
    certificate is checked against the system's CAs, or ``ca_file`` when given. ``api_key``
    goes with every call as ``authorization: Bearer …``; ``metadata`` too (e.g.
    ``{"tenant": "acme"}`` for an operator key). ``timeout`` is each call's deadline unless
    the call gives its own.

    Every method of the contract is a coroutine named in snake_case (``send_mail``,
    ``get_message``, ``validate_server``, ``refresh_token``, ``list_servers``, …) taking the
    request message (or its fields as keyword arguments) and returning the response message.
    A failed call raises a ``MailgateError`` subclass for its status code.

    A call is sent again on a new connection only when it provably never left (the old
    connection was closed or draining before it was written): never once the server may
    have run it.
    """

    def __init__(self, address: str = "127.0.0.1:7587", *, api_key: Optional[str] = None, tls: bool = False,
                 ca_file: Optional[str] = None, server_hostname: Optional[str] = None, timeout: float = 30.0,
                 metadata: Optional[Dict[str, str]] = None):
        self.host, self.port = _split_address(address)
        self.timeout = timeout
        self.metadata = dict(metadata or {})
        if api_key:
            self.metadata["authorization"] = f"Bearer {api_key}"
        self._tls: Optional[ssl.SSLContext] = None
        if tls or ca_file:
            self._tls = ssl.create_default_context(cafile=ca_file)
            self._tls.minimum_version = ssl.TLSVersion.TLSv1_2
        self._server_hostname = server_hostname or self.host
        self._connection: Optional[Connection] = None
        self._connecting: Optional[asyncio.Lock] = None

    async def __aenter__(self) -> "AsyncClient":
        return self

    async def __aexit__(self, *_) -> None:
        await self.close()

    async def close(self) -> None:
        """Closes the connection; calls in flight end with UNAVAILABLE."""
        if self._connection is not None:
            await self._connection.close()
            self._connection = None

    async def call(self, method: str, request: Message, response_type: Type[Message], *,
                   timeout: Optional[float] = None, metadata: Optional[Dict[str, str]] = None) -> Message:
        """Calls ``method`` (e.g. ``/mailgate.v1.Mailer/SendMail``) with ``request``."""
        payload = request.SerializeToString()
        sent = {**self.metadata, **(metadata or {})}
        deadline = timeout if timeout is not None else self.timeout
        for attempt in (1, 2):
            connection = await self._current()
            try:
                reply = await self._call(connection, method, sent, deadline, payload)
                break
            except NotSent:
                await self._discard(connection)
                if attempt == 2:
                    raise Unavailable(Code.UNAVAILABLE, "no usable connection to the server", "NOT_SENT")
            except Unavailable:
                await self._discard(connection)
                raise
        if reply.status.code != Code.OK:
            raise MailgateError.from_status(reply.status)
        response = response_type()
        response.ParseFromString(reply.payload)
        return response

    async def wait_for_message(self, message_id: str, states: Iterable[int] = (
            mailer_pb2.MESSAGE_STATE_SENT, mailer_pb2.MESSAGE_STATE_FAILED, mailer_pb2.MESSAGE_STATE_CANCELLED),
            timeout: float = 60.0, interval: float = 0.5) -> Message:
        """Polls GetMessage until the message is in one of ``states`` (by default: final)."""
        loop = asyncio.get_running_loop()
        end = loop.time() + timeout
        wanted = set(states)
        while True:
            message = await self.get_message(message_id=message_id)
            if message.state in wanted:
                return message
            if loop.time() >= end:
                raise MailgateError.from_status(rpc_pb2.Status(
                    code=Code.DEADLINE_EXCEEDED, reason="STILL_WAITING",
                    message=f"message {message_id} is still {mailer_pb2.MessageState.Name(message.state)}"))
            await asyncio.sleep(interval)

    async def _call(self, connection: Connection, method: str, metadata: Dict[str, str], timeout: float,
                    payload: bytes) -> rpc_pb2.Reply:
        # A new connection takes only small frames until a call on it was authenticated.
        if ("authorization" in metadata and not connection.has_authenticated_call
                and len(payload) + 1024 > UNAUTHENTICATED_FRAME_ALLOWANCE):
            first = await connection.call(_WHO_AM_I, {"authorization": metadata["authorization"]}, timeout, b"")
            if first.status.code != Code.OK:
                return first
            connection.has_authenticated_call = True
        reply = await connection.call(method, metadata, timeout, payload)
        if "authorization" in metadata and reply.status.code != Code.UNAUTHENTICATED:
            connection.has_authenticated_call = True
        return reply

    async def _current(self) -> Connection:
        if self._connecting is None:
            self._connecting = asyncio.Lock()
        async with self._connecting:
            if self._connection is None or not self._connection.usable:
                if self._connection is not None:
                    await self._connection.close()
                self._connection = await Connection.open(self.host, self.port, self._tls, self._server_hostname,
                                                         self.timeout)
            return self._connection

    async def _discard(self, connection: Connection) -> None:
        if self._connection is connection:
            self._connection = None
        await connection.close()

    def __getattr__(self, name: str):
        if name not in METHODS:
            raise AttributeError(name)
        method, request_type, response_type = METHODS[name]

        async def rpc(request: Optional[Message] = None, *, timeout: Optional[float] = None,
                      metadata: Optional[Dict[str, str]] = None, **fields) -> Message:
            if request is None:
                request = request_type(**fields)
            elif not isinstance(request, request_type):
                raise InvalidArgument(Code.INVALID_ARGUMENT,
                                      f"{name} takes a {request_type.DESCRIPTOR.full_name}, not {type(request).__name__}")
            return await self.call(method, request, response_type, timeout=timeout, metadata=metadata)

        rpc.__name__ = name
        rpc.__doc__ = f"{method}: {request_type.DESCRIPTOR.full_name} -> {response_type.DESCRIPTOR.full_name}"
        return rpc


class Client:
    """The blocking twin of ``AsyncClient`` (same arguments and methods), for code without
    an event loop: its calls run on a loop of its own in a background thread, so one
    ``Client`` may be used from several threads at once."""

    def __init__(self, address: str = "127.0.0.1:7587", **options):
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="mailgate-client", daemon=True)
        self._thread.start()
        self._client = self._run(self._make(address, options))

    async def _make(self, address: str, options) -> AsyncClient:
        return AsyncClient(address, **options)

    def _run(self, coroutine):
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result()

    def __enter__(self) -> "Client":
        return self

    def __exit__(self, *_) -> None:
        self.close()

    def close(self) -> None:
        """Closes the connection and stops the client's thread."""
        if self._loop.is_running():
            self._run(self._client.close())
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join()

    def call(self, method: str, request: Message, response_type: Type[Message], **options) -> Message:
        return self._run(self._client.call(method, request, response_type, **options))

    def wait_for_message(self, message_id: str, **options) -> Message:
        return self._run(self._client.wait_for_message(message_id, **options))

    def __getattr__(self, name: str):
        if name.startswith("_") or name not in METHODS:
            raise AttributeError(name)
        rpc = getattr(self._client, name)

        def blocking(request: Optional[Message] = None, **options) -> Message:
            return self._run(rpc(request, **options))

        blocking.__name__ = name
        blocking.__doc__ = rpc.__doc__
        return blocking
