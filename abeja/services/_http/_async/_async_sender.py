"""One attempt on httpx (the async transport): send once, read the answer bounded.

The async twin of ``_sender`` and ``_reading``: every phase is clipped to the call's
deadline (httpx's per-phase timeouts at most the time left, and the whole attempt under
one ``asyncio`` timeout), the decompressed body is capped, and every failure of httpx or
the network becomes an `AttemptFailed` saying whether the request may have reached the
server. No httpx exception leaves this module. A cancelled attempt closes its response,
so a half-read connection never goes back to the pool.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import socket
import ssl
import sys
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar

import httpx

from ... import _constants as C
from ... import errors as exc
from ..._api._answers import HTTPResponse
from ..._api._bodies import BodyReadError
from .._failures import AttemptFailed, Limits, past_deadline
from .._transport_core import Call
from ._async_connection import RoutedTransport, answered_informational
from ._async_direct import SUPPORTED, AsyncDirectPools, fast_body, httpx_unwatched, plain_call
from ._async_reading import too_large

_T = TypeVar("_T")


async def _within(seconds: float, awaitable: Awaitable[_T]) -> _T:
    """``awaitable`` with at most ``seconds``; TimeoutError after them."""
    if sys.version_info >= (3, 11):
        async with asyncio.timeout(seconds):
            return await awaitable
    return await asyncio.wait_for(awaitable, seconds)


async def _chunks(data: Any) -> AsyncIterator[bytes]:
    """A file or an iterable of bytes, as httpx streams a body (in the event loop's thread:
    chunks of a local file are read at once)."""
    read = getattr(data, "read", None)
    if read is not None:
        while chunk := read(C.READ_CHUNK):
            yield chunk
        return
    for chunk in data:
        yield bytes(chunk)


def _content(data: object) -> bytes | AsyncIterator[bytes] | None:
    if data is None or isinstance(data, bytes):
        return data
    if isinstance(data, (bytearray, memoryview)):
        return bytes(data)
    if isinstance(data, str):
        return data.encode()
    if hasattr(data, "read") or isinstance(data, Iterable):
        return _chunks(data)
    raise TypeError(f"cannot send a {type(data).__name__} body")


def _chain(error: BaseException) -> Iterator[BaseException]:
    current: BaseException | None = error
    for _ in range(8):
        if current is None:
            return
        yield current
        current = current.__cause__ or current.__context__


def _caused_by(error: BaseException, kind: type[BaseException]) -> bool:
    return any(isinstance(link, kind) for link in _chain(error))


def _caused_by_tls(error: BaseException) -> bool:
    return any(isinstance(link, ssl.SSLError) or "SSL" in type(link).__name__
               for link in _chain(error))  # fmt: skip


# What httpx (and the network beneath it) raises: every one becomes an AttemptFailed.
_NETWORK_ERRORS = (httpx.HTTPError, httpx.StreamError, httpx.InvalidURL, OSError)


def classify(error: Exception, *, reading: bool) -> AttemptFailed:
    """httpx's (or the network's) exception as an `AttemptFailed`, once."""
    text = str(error) or type(error).__name__
    if isinstance(error, (httpx.UnsupportedProtocol, httpx.InvalidURL, httpx.LocalProtocolError)):
        return AttemptFailed(
            "local", f"the request could not be sent ({type(error).__name__})", sent=False
        )
    if isinstance(error, httpx.ConnectTimeout):
        return AttemptFailed("timeout", f"timed out connecting: {text}", sent=False)
    if isinstance(error, httpx.PoolTimeout):
        return AttemptFailed("timeout", f"no connection free in time: {text}", sent=False)
    if isinstance(error, (httpx.ConnectError, httpx.ProxyError)) and not reading:
        if _caused_by(error, socket.gaierror):
            return AttemptFailed("connect", f"could not resolve the host name: {text}", sent=False)
        if _caused_by_tls(error):
            return AttemptFailed("tls", f"TLS error: {text}", sent=False)
        return AttemptFailed("connect", f"could not connect: {text}", sent=False)
    if isinstance(
        error, (httpx.ReadTimeout, httpx.WriteTimeout, TimeoutError, asyncio.TimeoutError)
    ):
        return AttemptFailed("timeout", f"timed out reading the answer: {text}", sent=True)
    if _caused_by_tls(error):
        return AttemptFailed("tls", f"TLS error: {text}", sent=True)
    return AttemptFailed("dropped", f"the connection failed: {text}", sent=True)


def _answer(call: Call, response: httpx.Response, status: int, chunks: io.BytesIO) -> HTTPResponse:
    return HTTPResponse(
        method=call.method,
        url=call.url.split("?", 1)[0],
        status_code=status,
        reason=response.reason_phrase,
        headers=httpx.Headers(response.headers),
        content=chunks.getvalue(),
        elapsed=0.0,
    )


def _decoder(encoding: str) -> Callable[[bytes], Iterator[bytes]]:
    """Turns raw chunks into decoded ones, inflating at most ``READ_CHUNK`` bytes at a time
    (a gzip bomb cannot inflate past the cap in one step)."""
    name = encoding.strip().lower()
    if name in ("", "identity"):
        return lambda raw: iter((raw,))
    if name not in ("gzip", "x-gzip", "deflate"):
        raise AttemptFailed("dropped", f"the answer's encoding {name!r} is unknown", sent=True)
    inflater = zlib.decompressobj(zlib.MAX_WBITS | (16 if "gzip" in name else 0))

    def decode(raw: bytes) -> Iterator[bytes]:
        pending = raw
        while pending:
            try:
                piece = inflater.decompress(pending, C.READ_CHUNK)
            except zlib.error as error:
                raise AttemptFailed("dropped", f"the answer's {name} is corrupt: {error}",
                                    sent=True) from None  # fmt: skip
            pending = inflater.unconsumed_tail
            if piece:
                yield piece
            elif not pending:
                break

    return decode


_CLOSED = "this client is closed"
_ANOTHER_LOOP = (
    "this AsyncServiceClient keeps connections of the event loop it was first used on, and "
    "is now used on another one: a client belongs to one loop; make one in each "
    "asyncio.run() (`async with AsyncServiceClient() as client:` inside it)"
)


class AsyncSender:
    """Sends one attempt on an ``httpx.AsyncClient``.

    At most ``ASYNC_MAX_CONNECTIONS`` attempts are in flight at once, the pool's size: the
    others wait here, on a semaphore (cheap to wait on and to cancel), not in httpcore's
    queue, which scans every connection for every waiting request (a burst of 1,000
    cancelled tasks took 14.5 s to settle there). Waiting counts against the call's
    deadline. ``pooled``: the client keeps connections between calls, so it belongs to the
    event loop it was first used on (used on another, it says so rather than fail inside
    httpx).
    """

    def __init__(self, client: httpx.AsyncClient, *, pooled: bool = False) -> None:
        self.client = client
        self.pooled = pooled
        self.closed = False
        self._loop: asyncio.AbstractEventLoop | None = None
        self._slots = asyncio.Semaphore(C.ASYNC_MAX_CONNECTIONS)

    def _check_loop(self) -> None:
        loop = asyncio.get_running_loop()
        if loop is self._loop:
            return
        if self._loop is not None and self.pooled:
            raise exc.Error(_ANOTHER_LOOP)
        self._loop = loop
        self._slots = asyncio.Semaphore(C.ASYNC_MAX_CONNECTIONS)  # bound to this loop

    async def send(self, call: Call, limits: Limits) -> HTTPResponse:
        """Send once and read the whole answer; raises AttemptFailed or ResponseTooLargeError."""
        if self.closed:
            raise AttemptFailed("closed", _CLOSED, sent=False)
        self._check_loop()
        remaining = limits.remaining()
        if remaining <= 0:
            raise AttemptFailed("deadline", "the call's deadline passed", sent=False)
        phase = min(limits.timeout, remaining)
        phases = {"reading": False, "slot": False}
        try:
            return await self._attempt(call, limits, remaining, phase, phases)
        except BaseException:
            await self._prune()  # cancelled or cut short: no connection is left half-given
            raise

    async def _prune(self) -> None:
        prune = getattr(self.client._transport, "prune", None)  # our RoutedTransport's
        if prune is not None:
            with contextlib.suppress(Exception):  # never in place of the call's own error
                await prune()

    async def _attempt(
        self, call: Call, limits: Limits, remaining: float, phase: float, phases: dict[str, bool]
    ) -> HTTPResponse:
        try:
            return await _within(remaining, self._in_a_slot(call, limits, phase, phases))
        except (AttemptFailed, exc.ResponseTooLargeError):
            raise
        except RuntimeError as error:  # httpx's "the client has been closed"
            if not (self.closed or self.client.is_closed) or isinstance(error, BodyReadError):
                raise
            raise AttemptFailed("closed", _CLOSED, sent=False) from None
        except BodyReadError as error:  # the caller's file or iterable, as the sync client
            raise AttemptFailed("body", str(error), sent=error.produced > 0) from None
        except (TimeoutError, asyncio.TimeoutError):  # the attempt reached the deadline
            # (two classes on Python 3.10, one since 3.11)
            if not phases["slot"]:
                raise AttemptFailed(
                    "timeout", "no connection free in time (calls in flight at the limit)",
                    sent=False,
                ) from None  # fmt: skip
            raise AttemptFailed(
                "deadline", "the call's deadline passed", sent=phases["reading"]
            ) from None
        except _NETWORK_ERRORS as error:  # httpx's and the network's; a bug of ours propagates
            if self.closed:  # closed under it: say so, not how the connection broke
                raise AttemptFailed(
                    "closed", "the client was closed while this call was in flight",
                    sent=phases["reading"] or call.method != "GET",
                ) from None  # fmt: skip
            failure = classify(error, reading=phases["reading"])
            raise past_deadline(failure, limits) from None

    async def _in_a_slot(
        self, call: Call, limits: Limits, phase: float, phases: dict[str, bool]
    ) -> HTTPResponse:
        async with self._slots:
            phases["slot"] = True
            fast = None if limits.stream else self._fast_pools(call)
            if fast is not None:
                body = fast_body(call.data)
                if body is not False:
                    return await fast.send(call, body, limits, phase, _decoder, phases)
            return await self._exchange(call, limits, phase, phases)

    def _fast_pools(self, call: Call) -> AsyncDirectPools | None:
        """The fast path's pools when they may take ``call``: Python 3.11+, httpx's own
        client on our transport with no event hook, nothing watching httpx, no proxy for
        the call's origin, a head written as it is."""
        client = self.client
        transport = client._transport
        if (
            not SUPPORTED
            or type(client) is not httpx.AsyncClient
            or type(transport) is not RoutedTransport
            or any(client.event_hooks.values())
            or not httpx_unwatched()
            or transport.proxied(call.origin)
            or not plain_call(call)
        ):
            return None
        return transport.fast

    async def _exchange(
        self, call: Call, limits: Limits, phase: float, phases: dict[str, bool]
    ) -> HTTPResponse:
        headers = {"Accept-Encoding": "gzip, deflate", **call.headers}
        length = getattr(call.data, "content_length", None)
        if length is not None:  # a file of known size: sent with its length, as requests does
            headers["Content-Length"] = str(length)
        request = self.client.build_request(
            call.method,
            call.url,
            headers=headers,
            content=_content(call.data),
            # A streamed body's reads each have the call's timeout (the head, the deadline).
            timeout=httpx.Timeout(phase, read=limits.timeout if limits.stream else phase),
        )
        response = await self.client.send(request, stream=True)
        phases["reading"] = True
        streamed = False
        try:
            status = response.status_code
            if answered_informational(response):
                raise AttemptFailed(
                    "informational",
                    "the server answered 1xx (informational) as if it were the answer",
                    sent=True,
                )
            decoder = _decoder(response.headers.get("Content-Encoding", ""))
            if limits.stream and status < 300:
                answer = _answer(call, response, status, io.BytesIO())
                what = f"{call.method} {answer.url}"
                answer.body_stream = AsyncBodyStream(response, decoder, what)
                streamed = True
                return answer
            cap = limits.max_bytes if status < 300 else C.MAX_ERROR_BODY_BYTES
            chunks = io.BytesIO()  # held once: its buffer becomes the body (no join)
            total = 0
            async for raw in response.aiter_raw(C.READ_CHUNK):
                for chunk in decoder(raw):  # at most a chunk inflated at a time
                    total += len(chunk)
                    if total > cap:
                        if status < 300:
                            raise too_large(call, status, cap)
                        chunks.write(chunk[: cap - (total - len(chunk))])
                        return _answer(call, response, status, chunks)
                    chunks.write(chunk)
        finally:
            if not streamed:
                await response.aclose()  # unread bytes close the connection: never reused
        return _answer(call, response, status, chunks)


class AsyncBodyStream:
    """A 2xx body not yet read (``with_streaming_response``): ``next_chunk`` reads the
    next piece (at most ``READ_CHUNK`` bytes inflated at a time), each read on the per-read
    timeout. Read to its end, the connection goes back to the pool; closed before, broken
    or cancelled, it is closed. A failure raises the public error (``may_have_applied``)."""

    def __init__(
        self, response: httpx.Response, decoder: Callable[[bytes], Iterator[bytes]], what: str
    ) -> None:
        self._response = response
        self._raw = response.aiter_raw()  # as it comes (a chunk_size would wait to fill it)
        self._decoder = decoder
        self._pieces: Iterator[bytes] = iter(())
        self._what = what
        self.ended = False
        """Read to its end, failed or closed: nothing more comes."""

    async def next_chunk(self) -> bytes:
        """The next piece of the body; b"" at its end."""
        try:
            while not self.ended:
                piece = next(self._pieces, b"")
                if piece:
                    return piece
                try:
                    raw = await self._raw.__anext__()
                except StopAsyncIteration:
                    await self.close()
                    break
                self._pieces = self._decoder(raw)
        except AttemptFailed as failure:  # a corrupt gzip
            await self.close()
            raise failure.to_error(self._what, may_have_applied=True) from None
        except _NETWORK_ERRORS as error:
            await self.close()
            broken = classify(error, reading=True)
            raise broken.to_error(self._what, may_have_applied=True) from None
        except BaseException:  # cancelled mid-read: the connection is given up
            await asyncio.shield(self.close())
            raise
        return b""

    async def close(self) -> None:
        """Stop reading (a connection with unread bytes is closed, never reused)."""
        if not self.ended:
            self.ended = True
            with contextlib.suppress(Exception):
                await self._response.aclose()
