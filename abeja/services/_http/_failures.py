"""What went wrong in an attempt: foreign exceptions classified once, for the retry policy.

An `AttemptFailed` says whether the request may have reached the server; the
foreign error's tracebacks are dropped (they would hold the connection in a cycle).
"""

from __future__ import annotations

import http.client
import socket

import requests
import urllib3.exceptions

from .. import errors as exc
from .._api._bodies import BodyReadError
from ._types import Clock


class AttemptFailed(Exception):
    """An attempt got no usable answer; ``sent``: the server may have received the request."""

    def __init__(self, kind: str, message: str, *, sent: bool) -> None:
        super().__init__(kind, message, sent)
        self.kind = kind
        """``connect``, ``tls``, ``timeout``, ``dropped``, ``informational``, ``deadline``,
        ``local`` (the request could not be sent: never retried), ``body`` (the caller's
        body failed while read: never retried) or ``closed`` (the client was closed)."""
        self.message = message
        self.sent = sent

    def to_error(
        self, prefix: str, *, may_have_applied: bool, hint: str = ""
    ) -> exc.APIConnectionError:
        """The public error for this failure (``hint``: what to check, appended)."""
        cls = (
            exc.APITimeoutError
            if self.kind in ("timeout", "deadline")
            else exc.ClientClosedError
            if self.kind == "closed"
            else exc.APIConnectionError
        )
        return cls(f"{prefix}: {self.message}{hint}", may_have_applied=may_have_applied)


class Limits:
    """How long and how much one attempt may take (a plain slotted class: one is made
    per call, and a frozen dataclass's ``__init__`` costs several times as much)."""

    __slots__ = ("timeout", "deadline_at", "clock", "max_bytes", "stream")

    def __init__(self, timeout: float, deadline_at: float, clock: Clock, max_bytes: int) -> None:
        self.timeout = timeout
        """Seconds for connecting and for each read."""
        self.deadline_at = deadline_at
        """The call's deadline, on ``clock``."""
        self.clock = clock
        self.max_bytes = max_bytes
        """The largest 2xx body accepted (decompressed)."""
        self.stream = False
        """A 2xx body is left unread, to be read as it arrives (``with_streaming_response``):
        ``max_bytes`` and the deadline then end with the head; each read of the body has
        ``timeout``."""

    def __repr__(self) -> str:
        return f"Limits(timeout={self.timeout}, deadline_at={self.deadline_at})"

    def remaining(self) -> float:
        """Seconds left before the deadline."""
        return self.deadline_at - self.clock()


def past_deadline(failure: AttemptFailed, limits: Limits) -> AttemptFailed:
    """A timeout that happened because the deadline clipped the wait says so."""
    if failure.kind == "timeout" and limits.remaining() <= 0.05:
        return AttemptFailed(
            "deadline", f"the call's deadline passed ({failure.message})", sent=failure.sent
        )
    return failure


def _wrapped(error: BaseException) -> BaseException | None:
    """The error ``error`` wraps: its ``reason``, ``original_error`` (urllib3's ProxyError)
    or the first exception among its arguments."""
    for name in ("reason", "original_error"):
        inner = getattr(error, name, None)
        if isinstance(inner, BaseException):
            return inner
    return next((arg for arg in error.args if isinstance(arg, BaseException)), None)


def _reason(error: BaseException) -> str:
    seen: set[int] = set()
    while True:
        inner = getattr(error, "reason", None)
        if (
            not isinstance(inner, BaseException)
            and error.args
            and isinstance(error.args[0], BaseException)
        ):
            inner = error.args[0]
        if not isinstance(inner, BaseException) or id(inner) in seen:
            return f"{type(error).__name__}: {error}"
        seen.add(id(error))
        error = inner


def _forget(error: BaseException) -> None:
    """Drop the tracebacks of a foreign error and what it chains to.

    Their frames hold the error back (``except ... as e: new_e = e``) and the connection
    with it, in a cycle only the garbage collector would break; nobody reads them.
    """
    pending = [error]
    seen: set[int] = set()
    while pending:
        current = pending.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        current.__traceback__ = None
        for linked in (current.__cause__, current.__context__, getattr(current, "reason", None)):
            if isinstance(linked, BaseException):
                pending.append(linked)
        pending += [arg for arg in current.args if isinstance(arg, BaseException)]


# What the network stack raises (requests, urllib3, http.client, sockets, TLS), and what
# http.client raises for a request it refuses to write (a bad header value, a body it
# cannot encode). Anything else, a signal handler's exception say, is not a failure of the
# attempt and propagates unchanged.
NETWORK_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    urllib3.exceptions.HTTPError,
    requests.exceptions.RequestException,
    http.client.HTTPException,
)
LOCAL_ERRORS: tuple[type[BaseException], ...] = (ValueError, OverflowError, TypeError)
# requests' and urllib3's own refusals of a request they will not write (they are also
# OSError or HTTPError subclasses, so they are named here).
_REFUSED: tuple[type[BaseException], ...] = (
    requests.exceptions.InvalidHeader,
    requests.exceptions.InvalidURL,
    requests.exceptions.InvalidSchema,
    requests.exceptions.MissingSchema,
    requests.exceptions.InvalidJSONError,
    requests.exceptions.URLRequired,
    urllib3.exceptions.LocationValueError,
)


def _body_error(error: BaseException) -> BodyReadError | None:
    """The caller's body's failure, if it is what ``error`` is (or wraps)."""
    current: BaseException | None = error
    for _ in range(8):
        if current is None:
            return None
        if isinstance(current, BodyReadError):
            return current
        current = current.__cause__ or current.__context__
    return None


def classify(error: BaseException, *, reading: bool = False) -> AttemptFailed:
    """What a foreign exception means for the retry policy (the message names no header)."""
    try:
        return _kind_of(error, reading)
    finally:
        _forget(error)


def _kind_of(error: BaseException, reading: bool) -> AttemptFailed:
    body_error = _body_error(error)
    if body_error is not None:
        return AttemptFailed("body", str(body_error), sent=body_error.produced > 0)
    if isinstance(error, _REFUSED) or (
        isinstance(error, LOCAL_ERRORS) and not isinstance(error, NETWORK_ERRORS)
    ):
        # Raised before the request was written; its text may quote a header (a credential).
        return AttemptFailed(
            "local", f"the request could not be sent ({type(error).__name__})", sent=False
        )
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(chain) < 8:
        chain.append(current)
        current = _wrapped(current)
    kinds = tuple(type(e) for e in chain)
    text = _reason(error)

    def has(*classes: type[BaseException]) -> bool:
        return any(issubclass(k, classes) for k in kinds)

    if has(requests.exceptions.SSLError, urllib3.exceptions.SSLError):
        return AttemptFailed("tls", f"TLS error: {text}", sent=reading)
    if not reading and has(
        urllib3.exceptions.NewConnectionError, requests.exceptions.ConnectTimeout
    ):
        # Through a proxy too: a ProxyError wrapping a failed connection sent nothing.
        return AttemptFailed("connect", f"could not connect: {text}", sent=False)
    if not reading and has(urllib3.exceptions.ConnectTimeoutError):
        return AttemptFailed("timeout", f"timed out connecting: {text}", sent=False)
    if has(
        urllib3.exceptions.ReadTimeoutError,
        requests.exceptions.ReadTimeout,
        socket.timeout,
        TimeoutError,
    ):
        return AttemptFailed("timeout", f"timed out reading the answer: {text}", sent=True)
    if has(
        urllib3.exceptions.ProtocolError,
        urllib3.exceptions.DecodeError,
        requests.exceptions.ConnectionError,
        requests.exceptions.ChunkedEncodingError,
        requests.exceptions.ContentDecodingError,
        http.client.HTTPException,
        OSError,
    ):
        return AttemptFailed("dropped", f"connection failed: {text}", sent=True)
    return AttemptFailed("dropped", f"request failed: {text}", sent=True)
