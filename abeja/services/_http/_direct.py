"""The fast path's wire: ``http.client`` connections kept per origin, no urllib3 on top.

When nothing watches the client (see ``_sender``), an attempt goes here. It keeps every
promise of the urllib3 path, which it mirrors:

- each phase bounded by the attempt's deadline: the name resolved (``_resolver``), the
  connect, every ``recv``/``send`` (``_connection.DeadlineSocket``);
- a failed connect is told from a failed send (``sent=False`` only when nothing was
  written), which the POST retry rule needs;
- a pooled connection is checked for a close by the server before reuse, put back only
  when its answer was read to the end and the server keeps it alive;
- the body read a ``recv`` at a time, gzip/deflate inflated a chunk at a time (a bomb
  cannot pass the cap); a body cut short of its Content-Length is an error (as urllib3);
- the same request bytes as urllib3 sends (http.client's own Host and Accept-Encoding).

A 1xx answer taken as the answer is refused by ``_reading.read_answer`` for both paths.
"""

from __future__ import annotations

import contextlib
import http.client
import select
import socket
import ssl
import threading
import urllib.parse
import weakref
from collections.abc import Iterator, Mapping
from typing import Any

from .._api._answers import Headers
from ._connection import (
    KERNEL_TIMEOUTS,
    RESOLVER,
    DeadlineSocket,
    KernelTimedSocket,
    connected,
    current_limits,
    is_address,
)
from ._failures import (
    LOCAL_ERRORS,
    NETWORK_ERRORS,
    AttemptFailed,
    Limits,
    classify,
    past_deadline,
)
from ._inflate import decoder_for
from ._reading import LeanResponse
from ._tls import tls_context

Origin = tuple[str, str, int]
"""``(scheme, host, port)``."""


class _Connection(http.client.HTTPConnection):
    """One keep-alive connection: connects within the attempt's limits, TLS if given a
    context; its socket is a ``DeadlineSocket``; its answers' heads are read without the
    email package (`LeanResponse`)."""

    response_class = LeanResponse

    def __init__(self, host: str, port: int, context: ssl.SSLContext | None) -> None:
        super().__init__(host, port)
        self._context = context

    def connect(self) -> None:
        """Resolve (bounded), connect and shake hands, each within the attempt's limits."""
        limits = current_limits.get()
        timeout = None if limits is None else min(limits.timeout, max(limits.remaining(), 0))
        host = self.host
        address = host
        if limits is not None and host != "localhost" and not is_address(host):
            address = RESOLVER.resolve(host, self.port, limits)
        sock = connected(address, self.port, timeout)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            if self._context is not None:
                if limits is not None:  # the handshake within what is left
                    sock.settimeout(min(limits.timeout, max(limits.remaining(), 0.001)))
                sock = self._context.wrap_socket(sock, server_hostname=host)
        except BaseException:
            sock.close()
            raise
        plain = self._context is None and KERNEL_TIMEOUTS
        self.sock = KernelTimedSocket(sock) if plain else DeadlineSocket(sock)

    def _send_output(self, message_body: Any = None, encode_chunked: bool = False) -> None:
        """As http.client's, except that a small body of bytes goes in the same ``send`` as
        the head: one system call, not two (each hands the GIL to another thread). The
        head lines are http.client's private ``_buffer``, as they have been since 3.0."""
        if type(message_body) is bytes and not encode_chunked and len(message_body) <= 65536:
            lines: list[bytes] = self._buffer  # type: ignore[attr-defined]
            lines.extend((b"", b""))
            head = b"\r\n".join(lines)
            del lines[:]
            self.send(head + message_body)
            return
        super()._send_output(message_body, encode_chunked)  # type: ignore[misc]

    def dropped(self) -> bool:
        """Whether the server closed (or wrote to) this idle connection: not reusable."""
        sock = self.sock
        if sock is None:
            return True
        if isinstance(sock, KernelTimedSocket):  # asked without handing the GIL over
            stirred = sock.stirred()
            if stirred is not None:
                return stirred
        try:  # poll, not select: select cannot watch a descriptor numbered 1024 or more
            watch = select.poll()
            watch.register(sock.fileno(), select.POLLIN)
            return bool(watch.poll(0))
        except (OSError, ValueError):
            return True


def _close_all(connections: list[_Connection]) -> None:
    for conn in connections:
        with contextlib.suppress(Exception):
            conn.close()


class DirectPool:
    """The idle connections of one origin (at most ``keep`` of them)."""

    def __init__(self, origin: Origin, context: ssl.SSLContext | None, keep: int) -> None:
        self.origin = origin
        self._context = context
        self._keep = keep
        self._idle: list[_Connection] = []
        self._lock = threading.Lock()
        self.in_use = 0
        self.closed = False
        self._lines: dict[tuple[str, str], bytes] = {}
        # A pool dropped unclosed (its client never closed) still closes its sockets.
        weakref.finalize(self, _close_all, self._idle)

    def _take(self) -> _Connection:
        with self._lock:
            self.in_use += 1
            while self._idle:
                conn = self._idle.pop()
                if not conn.dropped():
                    return conn
                conn.close()
        _, host, port = self.origin
        return _Connection(host, port, self._context)

    def give_back(self, conn: _Connection, reusable: bool) -> None:
        """Keep ``conn`` for the next call when ``reusable``, else close it."""
        with self._lock:
            self.in_use -= 1
            if reusable and not self.closed and len(self._idle) < self._keep:
                self._idle.append(conn)
                return
        conn.close()

    def close(self) -> None:
        """Close the idle connections; those in use close when given back."""
        with self._lock:
            self.closed = True
            idle = self._idle[:]
            self._idle.clear()
            self._lines.clear()  # the credential's line among them
        for conn in idle:
            conn.close()

    def forget(self) -> None:
        """Drop the idle connections unclosed (a forked child's: they are the parent's)."""
        with self._lock:
            self._idle.clear()

    def _put_headers(self, conn: _Connection, headers: Mapping[str, str]) -> None:
        """``conn.putheader`` of each header, its checked line kept (at most 64) for the
        next call: the same few headers go with every call."""
        lines = self._lines
        buffer: list[bytes] = conn._buffer  # type: ignore[attr-defined]
        for item in headers.items():
            line = lines.get(item)
            if line is None:
                conn.putheader(*item)
                if len(lines) >= 64:
                    lines.clear()
                lines[item] = buffer[-1]
            else:
                buffer.append(line)

    def send(
        self,
        method: str,
        path: str,
        headers: Mapping[str, str],
        body: Any,
        chunked: bool,
        limits: Limits,
        seconds: float,
        held: list[DirectResponse],
    ) -> None:
        """Send once, each ``recv``/``send`` waiting at most ``seconds`` (and never past the
        deadline); the answer's head read, its body left to the `DirectResponse` put in
        ``held``. From then on the caller closes it, whatever cuts the call short: a Ctrl-C
        landing as this returns (or before the caller's ``try``, which Python 3.10 allows
        between any two instructions) finds the answer in ``held``, not lost with its
        connection checked out."""
        conn = self._take()
        try:
            if conn.sock is None:
                _connect(conn, limits)
            sock = conn.sock
            if sock.gettimeout() != seconds:  # a syscall: only when it changes
                sock.settimeout(seconds)
            names = {name.lower() for name in headers}
            try:
                conn.putrequest(
                    method,
                    path,
                    skip_host="host" in names,
                    skip_accept_encoding="accept-encoding" in names,
                )
                self._put_headers(conn, headers)
                response = _sent_and_answered(conn, body, chunked)
            except NETWORK_ERRORS + LOCAL_ERRORS as error:  # a signal handler's propagates
                raise past_deadline(classify(error), limits) from None
            held.append(DirectResponse(self, conn, response))
        except BaseException:
            if not held:  # once held, the caller's to close
                self.give_back(conn, reusable=False)
            raise


def _sent_and_answered(conn: _Connection, body: Any, chunked: bool) -> http.client.HTTPResponse:
    """Send the request's head and body, then read the answer's head.

    A server may answer before it has read the whole body (413, 401) and close: the send
    then fails (broken pipe, reset) with the answer already waiting in the socket. That
    answer is read and returned, as urllib3 does; if there is none, the send's error stands.
    """
    try:
        conn.endheaders(body, encode_chunked=chunked)
    except (BrokenPipeError, ConnectionResetError) as failed:
        try:
            return conn.getresponse()
        except Exception:  # noqa: BLE001 - no answer: the send's own error is the one
            raise failed from None
    return conn.getresponse()


def _connect(conn: _Connection, limits: Limits) -> None:
    """Connect ``conn``; a failure here sent nothing (``sent=False``)."""
    try:
        conn.connect()
    except AttemptFailed:
        raise
    except ssl.SSLError as error:
        failure = AttemptFailed("tls", f"TLS error: {_text(error)}", sent=False)
    except TimeoutError as error:
        failure = AttemptFailed("timeout", f"timed out connecting: {_text(error)}", sent=False)
    except OSError as error:
        failure = AttemptFailed("connect", f"could not connect: {_text(error)}", sent=False)
    else:
        return
    raise past_deadline(failure, limits)


def _text(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


class DirectResponse:
    """An answer whose head is read: what ``_reading.read_answer`` reads, as it reads
    urllib3's (``status``, ``reason``, ``headers``, ``read1``, ``close``,
    ``release_conn``)."""

    def __init__(
        self, pool: DirectPool, conn: _Connection, response: http.client.HTTPResponse
    ) -> None:
        self._pool = pool
        self.connection: _Connection | None = conn
        self._response = response
        self.status = response.status
        self.reason = response.reason
        pairs = list(response.msg.raw_items())
        self.headers = Headers(pairs)
        encoding = next((v for k, v in pairs if k.lower() == "content-encoding"), None)
        self._decoder = decoder_for(encoding.strip().lower()) if encoding else None
        self._pending = b""  # compressed bytes not yet inflated
        self._ended = False

    def _raw_chunk(self, amount: int) -> bytes:
        response = self._response
        if response.length == 0:  # all of a Content-Length body: http.client would recv again
            return b""
        chunk = response.read1(amount)
        if not chunk and response.length:  # http.client returns b"" for a cut body
            raise http.client.IncompleteRead(b"", response.length)
        return chunk

    def read1(self, amount: int, decode_content: bool = True) -> bytes:
        """At most ``amount`` bytes of the body (inflated), after at most one ``recv``;
        b"" at its end."""
        decoder = self._decoder
        if decoder is None or not decode_content:
            return self._raw_chunk(amount)
        while True:
            if decoder.unconsumed_tail:
                out: bytes = decoder.decompress(decoder.unconsumed_tail, amount)
            else:
                if self._ended:
                    return b""
                raw = self._raw_chunk(amount)
                if not raw:
                    self._ended = True
                    return b""
                if decoder.eof and decoder.unused_data:  # another gzip member
                    raw = decoder.unused_data + raw
                    decoder = self._decoder = decoder_for("gzip")
                elif decoder.eof:
                    continue  # bytes after the end of the stream: ignored
                out = decoder.decompress(raw, amount)
            if out:
                return out

    def _finished(self) -> bool:
        """Whether the answer was read to its end on a connection the server keeps open
        (its reader then closed: http.client sends the next request only after that)."""
        response = self._response
        if response.length == 0:
            response.close()
        return response.isclosed() and not response.will_close

    def release_conn(self) -> None:
        """Give the connection back (kept alive when the answer was read to its end)."""
        conn, self.connection = self.connection, None
        if conn is not None:
            reusable = self._finished() and conn.sock is not None
            self._pool.give_back(conn, reusable=reusable)

    def close(self) -> None:
        """Close the connection: its unread bytes must not answer the next request."""
        conn, self.connection = self.connection, None
        with contextlib.suppress(Exception):
            self._response.close()
        if conn is not None:
            self._pool.give_back(conn, reusable=False)


class DirectPools:
    """A sender's pools, one per origin and TLS setting."""

    def __init__(self, keep: int) -> None:
        self._keep = keep
        self._pools: dict[tuple[str, bool | str], DirectPool] = {}
        self._contexts: dict[bool | str, ssl.SSLContext] = {}
        self._lock = threading.Lock()

    def pool(self, origin: str, verify: bool | str) -> DirectPool:
        """The pool of ``origin`` (``scheme://host[:port]``, parsed on first use only);
        ``verify`` as requests takes it (True or a CA path: a session that does not verify,
        or presents a client certificate, goes by requests)."""
        key = (origin, verify)
        found = self._pools.get(key)
        if found is not None:
            return found
        with self._lock:
            found = self._pools.get(key)
            if found is None:
                parts = urllib.parse.urlsplit(origin)
                scheme = parts.scheme
                port = parts.port or (443 if scheme == "https" else 80)
                context = self._context(verify) if scheme == "https" else None
                where = (scheme, parts.hostname or "", port)
                found = self._pools[key] = DirectPool(where, context, self._keep)
            return found

    def _context(self, verify: bool | str) -> ssl.SSLContext:
        context = self._contexts.get(verify)
        if context is None:
            context = self._contexts[verify] = tls_context(verify)
        return context

    def in_use(self) -> int:
        """Connections taken and not given back (0 between calls)."""
        return sum(pool.in_use for pool in list(self._pools.values()))

    def __iter__(self) -> Iterator[DirectPool]:
        return iter(list(self._pools.values()))

    def close(self) -> None:
        """Close every pool's idle connections."""
        for pool in self:
            pool.close()

    def forget(self) -> None:
        """After a fork: drop every pool's connections without closing them."""
        for pool in self:
            pool.forget()
        self._pools = {}
