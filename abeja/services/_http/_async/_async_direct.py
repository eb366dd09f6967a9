"""The async client's fast path: HTTP/1.1 on asyncio streams, when nothing watches httpx.

httpx and httpcore cost about 1.5 ms of CPU per call and, in a burst, their pool scans
every connection for every waiting request (a burst of 1,000 ran at 0.09x aiohttp's
rate). When nothing observes httpx (no OpenTelemetry instrumentation, respx or
pytest-httpx patching it: `httpx_unwatched`) and the call is a plain one (the client's
own transport, no proxy for its origin, a body of at most ``FAST_BODY_MAX`` bytes in
memory), an attempt goes here instead: a pool of asyncio stream connections per origin,
as the sync client's fast path is http.client under requests.

Its promises are the httpx path's: each phase (connect, write, every read) within the
call's per-read timeout and the attempt within its deadline; a 1xx answer refused; the
inflated body capped; a connection goes back to the pool only after its answer was read
to the end (cancelled, cut short or failed, it is closed); every failure is an
`AttemptFailed` saying whether the request may have reached the server. Python 3.11 and
later (it reschedules one ``asyncio.timeout`` per phase); 3.10 keeps the httpx path.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import select
import socket
import ssl
import sys
from collections.abc import Callable, Iterator
from typing import Any, Literal
from urllib.parse import urlsplit

import httpcore
import httpcore._async.connection_pool as pool_module
import httpx
import httpx._client as client_module
import httpx._transports.default as transport_module

from ... import _constants as C
from ... import errors as exc
from ..._api._answers import HTTPResponse
from .._failures import AttemptFailed, Limits, past_deadline
from .._sender import is_original
from .._transport_core import Call
from ._async_reading import Phases, read_answer

FAST_BODY_MAX = 256 * 1024
"""A larger body takes the httpx path (which watches for an early answer while sending)."""
_HEAD_MAX = 64 * 1024  # the status line and headers of an answer, at most
_DEFAULT_PORTS = {"http": 80, "https": 443}
SUPPORTED = sys.version_info >= (3, 11)
_timeout: Any = getattr(asyncio, "timeout", None)  # 3.11+: rescheduled at every phase


_verdict: tuple[tuple[object, ...], bool] | None = None


def httpx_unwatched() -> bool:
    """Whether httpx's and httpcore's send paths are their own (re-checked only when one
    of them changes): OpenTelemetry wraps the transport's, pytest-httpx replaces it,
    respx replaces httpcore's pool's."""
    global _verdict
    seen = (
        httpx.AsyncClient.send,
        httpx.AsyncHTTPTransport.handle_async_request,
        httpcore.AsyncConnectionPool.handle_async_request,
    )
    if _verdict is None or any(a is not b for a, b in zip(_verdict[0], seen, strict=True)):
        original = (
            is_original(seen[0], client_module)
            and is_original(seen[1], transport_module)
            and is_original(seen[2], pool_module)
        )
        _verdict = (seen, original)
    return _verdict[1]


def fast_body(data: object) -> bytes | None | Literal[False]:
    """The body as bytes (None: no body), or False when the httpx path must send it."""
    if data is None:
        return None
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data) if len(data) <= FAST_BODY_MAX else False
    if isinstance(data, str) and len(data) <= FAST_BODY_MAX // 4:
        return data.encode()
    return False


class _Connection:
    """One asyncio stream connection."""

    __slots__ = ("reader", "writer")

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader = reader
        self.writer = writer

    def dropped(self) -> bool:
        """Whether the server closed (or wrote to) this idle connection: not reusable."""
        reader = self.reader
        if reader.at_eof() or reader.exception() is not None or self.writer.is_closing():
            return True
        if getattr(reader, "_buffer", None):  # bytes nobody asked for
            return True
        sock = self.writer.get_extra_info("socket")
        try:  # EOF seen by the kernel, not yet by the loop
            watch = select.poll()
            watch.register(sock.fileno(), select.POLLIN)
            return bool(watch.poll(0))
        except (OSError, ValueError, AttributeError):
            return True

    def close(self) -> None:
        """Close at once (nothing pending is worth sending: an idle connection, or one
        cut short); the socket goes at the event loop's next turn."""
        with contextlib.suppress(Exception):
            self.writer.transport.abort()


class AsyncDirectPools:
    """The fast path's pools, one per origin; keeps at most ``keep`` idle connections each
    (none when ``keep_alive`` is off)."""

    def __init__(self, ssl_context: ssl.SSLContext, *, keep_alive: bool) -> None:
        self._ssl_context = ssl_context
        self._keep = C.ASYNC_MAX_CONNECTIONS if keep_alive else 0
        self._idle: dict[str, list[_Connection]] = {}
        self._busy: set[_Connection] = set()
        self.closed = False
        self.sends = 0
        """How many attempts took this path (tests and benchmarks read it)."""

    def in_use(self) -> int:
        """Connections busy with a request (0 between calls)."""
        return len(self._busy)

    def close(self) -> None:
        """Close every connection, busy ones too (their calls end as closed)."""
        self.closed = True
        for idle in self._idle.values():
            for conn in idle:
                conn.close()
        self._idle.clear()
        for conn in list(self._busy):
            conn.close()

    async def send(
        self,
        call: Call,
        body: bytes | None,
        limits: Limits,
        phase: float,
        decoder: Callable[[str], Callable[[bytes], Iterator[bytes]]],
        flags: dict[str, bool],
    ) -> HTTPResponse:
        """One attempt: raises AttemptFailed or ResponseTooLargeError."""
        phases = Phases(phase)
        try:
            async with _timeout(None) as phases.timer:
                return await self._exchange(call, body, limits, phases, decoder, flags)
        except (AttemptFailed, exc.ResponseTooLargeError):
            raise
        except TimeoutError as error:  # this phase's timer (the deadline's cancels instead)
            if phases.timer.expired():
                raise past_deadline(_timed_out(phases.stage), limits) from None
            raise self._failure(error, phases.stage) from None  # the system's own
        except (OSError, ValueError, EOFError, asyncio.IncompleteReadError,
                asyncio.LimitOverrunError, ssl.SSLError) as error:  # fmt: skip
            raise self._failure(error, phases.stage) from None

    def _failure(self, error: BaseException, stage: str) -> AttemptFailed:
        sent = stage != "connect"
        if self.closed:
            return AttemptFailed(
                "closed", "the client was closed while this call was in flight", sent=sent
            )
        text = str(error) or type(error).__name__
        if isinstance(error, (ssl.SSLError, ssl.CertificateError)):
            return AttemptFailed("tls", f"TLS error: {text}", sent=sent)
        if not sent:
            if isinstance(error, socket.gaierror):
                return AttemptFailed(
                    "connect", f"could not resolve the host name: {text}", sent=False
                )
            return AttemptFailed("connect", f"could not connect: {text}", sent=False)
        if isinstance(error, asyncio.IncompleteReadError):
            text = "the server closed the connection before the answer ended"
        return AttemptFailed("dropped", f"the connection failed: {text}", sent=True)

    async def _exchange(
        self,
        call: Call,
        body: bytes | None,
        limits: Limits,
        phases: Phases,
        decoder: Callable[[str], Callable[[bytes], Iterator[bytes]]],
        flags: dict[str, bool],
    ) -> HTTPResponse:
        conn = self._idle_one(call.origin)
        if conn is None:
            phases.next("connect")
            conn = await self._connect(call.origin)
        self._busy.add(conn)
        self.sends += 1
        kept = False
        try:
            phases.next("write")
            flags["reading"] = True  # from here the request may have reached the server
            conn.writer.write(_head(call, body) + (body or b""))
            await conn.writer.drain()
            phases.next("read")
            answer, kept = await read_answer(conn.reader, call, limits, phases, decoder)
            return answer
        finally:
            self._busy.discard(conn)
            if kept and not self.closed and len(self._idle.get(call.origin, ())) < self._keep:
                self._idle.setdefault(call.origin, []).append(conn)
            else:
                conn.close()

    def _idle_one(self, origin: str) -> _Connection | None:
        idle = self._idle.get(origin)
        while idle:
            conn = idle.pop()
            if not conn.dropped():
                return conn
            conn.close()
        return None

    def _refuse_if_closed(self) -> None:
        if self.closed:
            raise AttemptFailed("closed", "this client is closed", sent=False)

    async def _connect(self, origin: str) -> _Connection:
        self._refuse_if_closed()
        tls, host, port, _ = _origin(origin)
        reader, writer = await asyncio.open_connection(
            host,
            port,
            ssl=self._ssl_context if tls else None,
            server_hostname=host if tls else None,
            limit=_HEAD_MAX,
        )
        conn = _Connection(reader, writer)
        try:
            self._refuse_if_closed()  # closed while connecting
        except AttemptFailed:
            conn.close()
            raise
        return conn


def _timed_out(stage: str) -> AttemptFailed:
    if stage == "connect":
        return AttemptFailed("timeout", "timed out connecting", sent=False)
    return AttemptFailed("timeout", "timed out reading the answer", sent=True)


@functools.lru_cache(maxsize=64)
def _origin(origin: str) -> tuple[bool, str, int, str]:
    """``scheme://host[:port]`` as (TLS or not, host, port, the Host header)."""
    parts = urlsplit(origin)
    host = parts.hostname or ""
    port = parts.port or _DEFAULT_PORTS[parts.scheme]
    shown = f"[{host}]" if ":" in host else host
    if port != _DEFAULT_PORTS[parts.scheme]:
        shown = f"{shown}:{port}"
    return parts.scheme == "https", host, port, shown


_FRAMING = frozenset(("host", "content-length", "transfer-encoding"))


def _head(call: Call, body: bytes | None) -> bytes:
    """The request's head as httpx writes it: Host, httpx's default headers (the call's
    own in their place when it sets one), the call's, then Content-Length."""
    defaults = {"accept": "Accept: */*", "accept-encoding": "Accept-Encoding: gzip, deflate",
                "connection": "Connection: keep-alive"}  # fmt: skip
    rest = []
    for name, value in call.headers.items():
        key = name.lower()
        if key in _FRAMING:
            continue
        if key in defaults:
            defaults[key] = f"{name}: {value}"
        else:
            rest.append(f"{name}: {value}")
    lines = [f"{call.method} {call.path} HTTP/1.1", f"Host: {_origin(call.origin)[3]}",
             *defaults.values(), *rest]  # fmt: skip
    if body is not None or call.method in ("POST", "PUT", "PATCH"):
        lines.append(f"Content-Length: {len(body or b'')}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def plain_call(call: Call) -> bool:
    """Whether the fast path can write ``call``'s head as it is (else httpx checks and
    encodes it)."""
    if any(c <= " " or c == "\x7f" for c in call.path) or not call.path.startswith("/"):
        return False
    for name, value in call.headers.items():
        if not name.isascii() or not value.isascii() or any(c in value for c in "\r\n\0"):
            return False
        if not name or any(c in name for c in " \t\r\n:\0"):
            return False
    return True
