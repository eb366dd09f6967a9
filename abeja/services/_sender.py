"""One attempt on the wire: send a prepared request once and read its answer, bounded.

With the transport, the only module that touches requests and urllib3. Two paths:

- fast: straight to the adapter's urllib3 pool, when nothing is watching (the client's
  own session, no hooks, no proxy for the origin, and requests' ``Session.send``,
  ``Session.get_adapter``, ``HTTPAdapter.send`` and the adapter itself unpatched);
- watched: through ``Session.request``, so instrumentation (OpenTelemetry, ddtrace),
  mocks (``responses``, ``requests-mock``), hooks, default headers and proxies all act.

Either way the body is read with ``read1`` in chunks: each ``recv`` waits at most until
the deadline, the decompressed size is capped, and a 1xx taken as the answer is refused.
Every failure becomes an :class:`AttemptFailed` saying whether the request may have
reached the server.
"""

from __future__ import annotations

import contextlib
import http.client
import socket
import threading
import time
import types
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests
import requests.adapters
import requests.sessions
import urllib3
import urllib3.exceptions

from .. import exceptions as exc
from . import _constants as C
from ._response import HTTPResponse
from ._types import Clock


class AttemptFailed(Exception):
    """An attempt got no usable answer; ``sent``: the server may have received the request."""

    def __init__(self, kind: str, message: str, *, sent: bool) -> None:
        super().__init__(kind, message, sent)
        self.kind = kind
        """``connect``, ``tls``, ``timeout``, ``dropped``, ``informational`` or ``deadline``."""
        self.message = message
        self.sent = sent

    def to_error(self, prefix: str, *, may_have_applied: bool) -> exc.APIConnectionError:
        """The public error for this failure."""
        cls = (
            exc.APITimeoutError if self.kind in ("timeout", "deadline") else exc.APIConnectionError
        )
        return cls(f"{prefix}: {self.message}", may_have_applied=may_have_applied)


@dataclass(frozen=True)
class Limits:
    """How long and how much one attempt may take."""

    timeout: float
    """Seconds for connecting and for each read."""
    deadline_at: float
    """The call's deadline, on ``clock``."""
    clock: Clock
    max_bytes: int
    """The largest 2xx body accepted (decompressed)."""

    def remaining(self) -> float:
        """Seconds left before the deadline."""
        return self.deadline_at - self.clock()


def _is_original(function: object, module: types.ModuleType) -> bool:
    """True for a plain function defined in ``module``: not wrapped, patched or mocked."""
    return (
        type(function) is types.FunctionType
        and not hasattr(function, "__wrapped__")
        and function.__code__.co_filename == module.__file__
    )


_verdict: tuple[object, object, object, bool] | None = None

# How long a host name's resolution is remembered: a failure briefly (retries then fail
# at once, naming the host), a success longer (the resolver is not asked twice a call).
_RESOLVED_FOR = 60.0
_UNRESOLVED_FOR = 5.0


class Resolver:
    """Resolves host names in a worker thread, so a slow resolver cannot outlast a deadline.

    ``getaddrinfo`` takes no timeout; a name that does not resolve would otherwise cost
    the system resolver's own timeouts (seconds) on every attempt.
    """

    def __init__(self) -> None:
        self._known: dict[tuple[str, int], tuple[float, str | None]] = {}
        self._lock = threading.Lock()

    def check(self, host: str, port: int, limits: Limits) -> None:
        """Return if ``host`` resolves in time; AttemptFailed (not sent) otherwise."""
        if not host or host.replace(".", "").isdigit() or ":" in host or host == "localhost":
            return  # an address literal: nothing to resolve
        key = (host, port)
        now = time.monotonic()
        known = self._known.get(key)
        if known is None or known[0] <= now:
            known = self._resolve(host, port, min(limits.timeout, max(limits.remaining(), 0.0)))
            with self._lock:
                self._known[key] = known
        if known[1] is not None:
            raise AttemptFailed("connect", known[1], sent=False)

    def _resolve(self, host: str, port: int, seconds: float) -> tuple[float, str | None]:
        outcome: list[str | None] = []

        def resolve() -> None:
            try:
                socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
                outcome.append(None)
            except OSError as error:
                outcome.append(f"host name {host!r} does not resolve ({error})")

        worker = threading.Thread(target=resolve, name="abeja-services-resolve", daemon=True)
        worker.start()
        worker.join(seconds)
        now = time.monotonic()
        if not outcome:
            return now + _UNRESOLVED_FOR, f"host name {host!r} did not resolve in {seconds:.1f} s"
        error = outcome[0]
        return now + (_RESOLVED_FOR if error is None else _UNRESOLVED_FOR), error


def requests_unpatched() -> bool:
    """Whether requests' send path is its own (cheap: re-checked only when it changes)."""
    global _verdict
    send = requests.Session.send
    get_adapter = requests.Session.get_adapter
    adapter_send = requests.adapters.HTTPAdapter.send
    seen = _verdict
    if (
        seen is None
        or seen[0] is not send
        or seen[1] is not get_adapter
        or seen[2] is not adapter_send
    ):
        original = (
            _is_original(send, requests.sessions)
            and _is_original(get_adapter, requests.sessions)
            and _is_original(adapter_send, requests.adapters)
        )
        seen = _verdict = (send, get_adapter, adapter_send, original)
    return seen[3]


class Sender:
    """Sends prepared requests over one session, by the fast or the watched path."""

    def __init__(self, session: requests.Session, *, owns_session: bool) -> None:
        self.session = session
        self.owns_session = owns_session
        self.resolver = Resolver()
        self.fast_sends = 0
        """How many attempts took the fast path (tests and benchmarks read it)."""

    def _fast_adapter(
        self, url: str, proxies: Mapping[str, str]
    ) -> requests.adapters.HTTPAdapter | None:
        session = self.session
        if not self.owns_session or proxies or any(session.hooks.get("response") or ()):
            return None
        if not requests_unpatched():
            return None
        adapter = session.get_adapter(url)
        if type(adapter) is not requests.adapters.HTTPAdapter or "send" in vars(adapter):
            return None
        return adapter

    def send(
        self,
        prepared: requests.PreparedRequest,
        *,
        path: str,
        proxies: Mapping[str, str],
        limits: Limits,
    ) -> HTTPResponse:
        """Send once and read the whole answer; raises AttemptFailed or ResponseTooLargeError."""
        url = prepared.url or ""
        remaining = limits.remaining()
        if remaining <= 0:
            raise AttemptFailed("deadline", "the call's deadline passed", sent=False)
        seconds = min(limits.timeout, remaining)
        if not proxies:  # through a proxy, the proxy resolves the name
            parts = urllib3.util.parse_url(url)
            self.resolver.check(parts.host or "", parts.port or 0, limits)
        adapter = self._fast_adapter(url, proxies)
        if adapter is not None:
            raw = self._send_fast(adapter, prepared, path, seconds, limits)
            self.fast_sends += 1
            return _read(
                raw, url, str(prepared.method), limits, lambda: _as_requests(adapter, prepared, raw)
            )
        response = self._send_watched(prepared, proxies, seconds, limits)
        return _read(response.raw, url, str(prepared.method), limits, lambda: response, response)

    def _send_fast(
        self,
        adapter: requests.adapters.HTTPAdapter,
        prepared: requests.PreparedRequest,
        path: str,
        seconds: float,
        limits: Limits,
    ) -> urllib3.BaseHTTPResponse:
        session = self.session
        verify = True if session.verify is None else session.verify
        try:
            pool = adapter.get_connection_with_tls_context(prepared, verify, None, session.cert)
            assert isinstance(pool, urllib3.HTTPConnectionPool)
            return pool.urlopen(
                method=str(prepared.method),
                url=path,
                body=prepared.body,
                headers=prepared.headers,
                redirect=False,
                assert_same_host=False,
                preload_content=False,
                decode_content=False,
                retries=False,
                timeout=urllib3.Timeout(connect=seconds, read=seconds),
                chunked="Content-Length" not in prepared.headers and prepared.body is not None,
            )
        except Exception as error:  # noqa: BLE001 - every failure is classified, none escapes
            raise _past_deadline(_classify(error), limits) from None

    def _send_watched(
        self,
        prepared: requests.PreparedRequest,
        proxies: Mapping[str, str],
        seconds: float,
        limits: Limits,
    ) -> requests.Response:
        session = self.session
        try:
            return session.request(
                str(prepared.method),
                str(prepared.url),
                data=prepared.body,
                headers=dict(prepared.headers),
                timeout=(seconds, seconds),
                proxies=dict(proxies),
                stream=True,
                allow_redirects=False,
            )
        except Exception as error:  # noqa: BLE001 - instrumentation and mocks raise anything
            raise _past_deadline(_classify(error), limits) from None


def _as_requests(
    adapter: requests.adapters.HTTPAdapter,
    prepared: requests.PreparedRequest,
    raw: urllib3.BaseHTTPResponse,
) -> requests.Response:
    """A ``requests.Response`` for a fast-path answer, built only when someone asks for it."""
    response = adapter.build_response(prepared, raw)
    return response


def _socket_of(raw: Any) -> socket.socket | None:
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    return sock if isinstance(sock, socket.socket) else None


def _read(
    raw: Any,
    url: str,
    method: str,
    limits: Limits,
    to_requests: Callable[[], requests.Response],
    watched: requests.Response | None = None,
) -> HTTPResponse:
    status = int(getattr(raw, "status", 0) or (watched.status_code if watched is not None else 0))
    if status < 200:
        _discard(raw)
        raise AttemptFailed(
            "informational",
            f"the server answered {status} (informational) as if it were the answer",
            sent=True,
        )
    cap = limits.max_bytes if status < 300 else C.MAX_ERROR_BODY_BYTES
    content, complete = _read_body(raw, limits, cap)
    if not complete and status < 300:
        raise exc.ResponseTooLargeError(
            f"{method} {url}: the answer is larger than {cap} bytes (the cap)",
            status_code=status,
            url=url,
            limit=cap,
        )
    headers = watched.headers if watched is not None else raw.headers
    reason = watched.reason if watched is not None else raw.reason

    def requests_response() -> requests.Response:
        response = to_requests()
        response._content = content
        response._content_consumed = True  # type: ignore[attr-defined]
        return response

    return HTTPResponse(
        method=method,
        url=url,
        status_code=status,
        reason=reason or "",
        headers=headers,
        content=content,
        elapsed=0.0,
        raw=requests_response,
    )


def _read_body(raw: Any, limits: Limits, cap: int) -> tuple[bytes, bool]:
    """The body up to ``cap`` bytes, and whether it was all of it."""
    read1 = getattr(raw, "read1", None)
    if read1 is None:  # not a urllib3 response (a custom adapter's): read it whole
        body = raw.read() if hasattr(raw, "read") else b""
        return body[:cap], len(body) <= cap
    sock = _socket_of(raw)
    chunks: list[bytes] = []
    total = 0
    try:
        while True:
            remaining = limits.remaining()
            if remaining <= 0:
                _discard(raw)
                raise AttemptFailed(
                    "deadline", "the call's deadline passed while reading the answer", sent=True
                )
            if sock is not None:
                sock.settimeout(min(limits.timeout, remaining))
            chunk = read1(C.READ_CHUNK, decode_content=True)
            if not chunk:
                break
            total += len(chunk)
            if total > cap:
                _discard(raw)
                kept = b"".join(chunks) if cap <= C.MAX_ERROR_BODY_BYTES else b""
                return kept + chunk[: cap - (total - len(chunk))], False
            chunks.append(chunk)
    except AttemptFailed:
        raise
    except Exception as error:  # noqa: BLE001 - every failure is classified, none escapes
        _discard(raw)
        raise _past_deadline(_classify(error, reading=True), limits) from None
    _release(raw)
    return b"".join(chunks), True


def _discard(raw: Any) -> None:
    """Close the connection (its unread bytes must not answer the next request)."""
    with contextlib.suppress(Exception):  # closing a broken connection may fail; it is gone
        raw.close()
    _release(raw)


def _release(raw: Any) -> None:
    release = getattr(raw, "release_conn", None)
    if release is not None:
        with contextlib.suppress(Exception):  # the pool will drop it
            release()


def _past_deadline(failure: AttemptFailed, limits: Limits) -> AttemptFailed:
    """A timeout that happened because the deadline clipped the wait says so."""
    if failure.kind == "timeout" and limits.remaining() <= 0.05:
        return AttemptFailed(
            "deadline", f"the call's deadline passed ({failure.message})", sent=failure.sent
        )
    return failure


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


def _classify(error: BaseException, *, reading: bool = False) -> AttemptFailed:
    """What a foreign exception means for the retry policy (the message names no header)."""
    try:
        return _kind_of(error, reading)
    finally:
        _forget(error)


def _kind_of(error: BaseException, reading: bool) -> AttemptFailed:
    chain: list[BaseException] = []
    current: BaseException | None = error
    while current is not None and len(chain) < 8:
        chain.append(current)
        nxt = getattr(current, "reason", None)
        if not isinstance(nxt, BaseException):
            nxt = (
                current.args[0]
                if current.args and isinstance(current.args[0], BaseException)
                else None
            )
        current = nxt
    kinds = tuple(type(e) for e in chain)
    text = _reason(error)

    def has(*classes: type[BaseException]) -> bool:
        return any(issubclass(k, classes) for k in kinds)

    if has(requests.exceptions.SSLError, urllib3.exceptions.SSLError):
        return AttemptFailed("tls", f"TLS error: {text}", sent=reading)
    if not reading and has(
        urllib3.exceptions.NewConnectionError, requests.exceptions.ConnectTimeout
    ):
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
