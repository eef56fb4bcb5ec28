"""Mailgate's client: ``Client`` (blocking) and ``AsyncClient`` (asyncio), the messages of
the contract in ``mailgate.v1`` (``mailer_pb2``, ``admin_pb2``, ``health_pb2``), and the
errors a call can end with."""
from mailgate.client import METHODS, AsyncClient, Client
from mailgate.errors import (Aborted, AlreadyExists, Cancelled, Code, DeadlineExceeded, FailedPrecondition,
                             FieldViolation, Internal, InvalidArgument, MailgateError, NotFound, PermissionDenied,
                             ResourceExhausted, Unauthenticated, Unavailable)
from mailgate.v1 import admin_pb2, health_pb2, mailer_pb2

__all__ = [
    "AsyncClient", "Client", "METHODS", "Code", "MailgateError", "FieldViolation", "InvalidArgument", "NotFound",
    "AlreadyExists", "PermissionDenied", "Unauthenticated", "ResourceExhausted", "FailedPrecondition", "Aborted",
    "DeadlineExceeded", "Unavailable", "Cancelled", "Internal", "admin_pb2", "health_pb2", "mailer_pb2",
]
