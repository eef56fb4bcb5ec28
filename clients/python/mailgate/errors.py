"""The errors a call can end with: the server's status, typed by its code."""
from typing import List, NamedTuple, Optional

from mailgate.v1 import rpc_pb2

Code = rpc_pb2.Status.Code


class FieldViolation(NamedTuple):
    """One invalid field of a request, e.g. ``to[2].address``."""

    field: str
    description: str


class MailgateError(Exception):
    """A call that did not succeed: the status code (``mailgate.Code``), a message for
    people, a machine-readable ``reason`` (``UPPER_SNAKE_CASE``), the invalid fields, and
    ``retry_after_ms`` when the server says when to try again."""

    def __init__(self, code: int, message: str, reason: str = "",
                 field_violations: Optional[List[FieldViolation]] = None, retry_after_ms: int = 0):
        self.code = code
        self.message = message
        self.reason = reason
        self.field_violations = list(field_violations or [])
        self.retry_after_ms = retry_after_ms
        super().__init__(str(self))

    @property
    def code_name(self) -> str:
        return Code.Name(self.code)

    def __str__(self) -> str:
        text = f"{self.code_name}: {self.message}"
        if self.reason:
            text += f" [{self.reason}]"
        for violation in self.field_violations:
            text += f"; {violation.field}: {violation.description}"
        return text

    @classmethod
    def from_status(cls, status: "rpc_pb2.Status") -> "MailgateError":
        error_type = _BY_CODE.get(status.code, MailgateError)
        return error_type(
            status.code, status.message, status.reason,
            [FieldViolation(v.field, v.description) for v in status.field_violations], status.retry_after_ms)


class InvalidArgument(MailgateError): """The request is wrong; ``field_violations`` say where."""
class NotFound(MailgateError): """No such tenant, server or message (for this key)."""
class AlreadyExists(MailgateError): """It exists already."""
class PermissionDenied(MailgateError): """This key may not do that."""
class Unauthenticated(MailgateError): """No key, or not a valid one."""
class ResourceExhausted(MailgateError): """A limit or quota; ``retry_after_ms`` says when to try again."""
class FailedPrecondition(MailgateError): """The server is not in a state to do it (e.g. an OAuth consent is missing)."""
class Aborted(MailgateError): """A conflict, e.g. a version that changed meanwhile."""
class DeadlineExceeded(MailgateError): """No answer in time; the call may still have run."""
class Unavailable(MailgateError): """The server or its database cannot answer now; try again."""
class Cancelled(MailgateError): """The call was cancelled."""
class Internal(MailgateError): """The server failed; its logs say why."""


_BY_CODE = {
    Code.INVALID_ARGUMENT: InvalidArgument, Code.NOT_FOUND: NotFound, Code.ALREADY_EXISTS: AlreadyExists,
    Code.PERMISSION_DENIED: PermissionDenied, Code.UNAUTHENTICATED: Unauthenticated,
    Code.RESOURCE_EXHAUSTED: ResourceExhausted, Code.FAILED_PRECONDITION: FailedPrecondition,
    Code.ABORTED: Aborted, Code.DEADLINE_EXCEEDED: DeadlineExceeded, Code.UNAVAILABLE: Unavailable,
    Code.CANCELLED: Cancelled, Code.INTERNAL: Internal,
}
