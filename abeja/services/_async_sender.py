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
import socket
import ssl
import sys
import zlib
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Iterator
from typing import Any, TypeVar

import httpx

from . import _constants as C
from . import errors as exc
from ._async_connection import answered_informational
from ._failures import AttemptFailed, Limits, past_deadline
from ._response import HTTPResponse
from ._transport_core import Call

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


def _answer(call: Call, response: httpx.Response, status: int, chunks: list[bytes]) -> HTTPResponse:
    return HTTPResponse(
        method=call.method,
        url=call.url.split("?", 1)[0],
        status_code=status,
        reason=response.reason_phrase,
        headers=httpx.Headers(response.headers),
        content=b"".join(chunks),
        elapsed=0.0,
    )


def _too_large(call: Call, status: int, cap: int) -> exc.ResponseTooLargeError:
    url = call.url.split("?", 1)[0]
    return exc.ResponseTooLargeError(
        f"{call.method} {url}: the answer is larger than {cap} bytes (the cap)",
        status_code=status,
        url=url,
        limit=cap,
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


class AsyncSender:
    """Sends one attempt on an ``httpx.AsyncClient``."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client

    async def send(self, call: Call, limits: Limits) -> HTTPResponse:
        """Send once and read the whole answer; raises AttemptFailed or ResponseTooLargeError."""
        remaining = limits.remaining()
        if remaining <= 0:
            raise AttemptFailed("deadline", "the call's deadline passed", sent=False)
        phase = min(limits.timeout, remaining)
        phases = {"reading": False}
        try:
            return await _within(remaining, self._exchange(call, limits, phase, phases))
        except (AttemptFailed, exc.ResponseTooLargeError):
            raise
        except (TimeoutError, asyncio.TimeoutError):  # the attempt reached the deadline
            # (two classes on Python 3.10, one since 3.11)
            raise AttemptFailed(
                "deadline", "the call's deadline passed", sent=phases["reading"]
            ) from None
        except _NETWORK_ERRORS as error:  # httpx's and the network's; a bug of ours propagates
            failure = classify(error, reading=phases["reading"])
            raise past_deadline(failure, limits) from None

    async def _exchange(
        self, call: Call, limits: Limits, phase: float, phases: dict[str, bool]
    ) -> HTTPResponse:
        request = self.client.build_request(
            call.method,
            call.url,
            headers={"Accept-Encoding": "gzip, deflate", **call.headers},
            content=_content(call.data),
            timeout=httpx.Timeout(phase),
        )
        response = await self.client.send(request, stream=True)
        phases["reading"] = True
        try:
            status = response.status_code
            if answered_informational(response):
                raise AttemptFailed(
                    "informational",
                    "the server answered 1xx (informational) as if it were the answer",
                    sent=True,
                )
            cap = limits.max_bytes if status < 300 else C.MAX_ERROR_BODY_BYTES
            decoder = _decoder(response.headers.get("Content-Encoding", ""))
            chunks: list[bytes] = []
            total = 0
            async for raw in response.aiter_raw(C.READ_CHUNK):
                for chunk in decoder(raw):  # at most a chunk inflated at a time
                    total += len(chunk)
                    if total > cap:
                        if status < 300:
                            raise _too_large(call, status, cap)
                        chunks.append(chunk[: cap - (total - len(chunk))])
                        return _answer(call, response, status, chunks)
                    chunks.append(chunk)
        finally:
            await response.aclose()  # unread bytes close the connection: never reused
        return _answer(call, response, status, chunks)
