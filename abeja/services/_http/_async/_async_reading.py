"""The async fast path's reading: an HTTP/1.1 answer off an asyncio stream, each read
within the phase's timer, the body sized or chunked, inflated and capped as it comes."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Iterator
from typing import Any

import httpx

from ... import _constants as C
from ... import errors as exc
from ..._api._answers import HTTPResponse
from .._failures import AttemptFailed, Limits
from .._transport_core import Call

_NO_BODY = frozenset((204, 304))


class Phases:
    """Where an attempt is (for what a failure says) and its per-phase timer."""

    __slots__ = ("stage", "timer", "seconds", "loop")

    def __init__(self, seconds: float) -> None:
        self.stage = "connect"
        self.timer: Any = None
        self.seconds = seconds
        self.loop = asyncio.get_running_loop()

    def next(self, stage: str | None = None) -> None:
        """A new phase (or another read): the timer starts again."""
        if stage is not None:
            self.stage = stage
        self.timer.reschedule(self.loop.time() + self.seconds)


async def read_answer(
    reader: asyncio.StreamReader,
    call: Call,
    limits: Limits,
    phases: Phases,
    decoder: Callable[[str], Callable[[bytes], Iterator[bytes]]],
) -> tuple[HTTPResponse, bool]:
    """The answer, and whether its connection may be kept."""
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head[:-4].decode("latin-1").split("\r\n")
    version, _, rest = lines[0].partition(" ")
    code, _, reason = rest.partition(" ")
    if version not in ("HTTP/1.1", "HTTP/1.0") or len(code) != 3 or not code.isdigit():
        raise ValueError(f"not an HTTP/1.1 answer: {lines[0][:80]!r}")
    status = int(code)
    if 100 <= status < 200:
        raise AttemptFailed(
            "informational",
            "the server answered 1xx (informational) as if it were the answer",
            sent=True,
        )
    pairs: list[tuple[str, str]] = []
    for line in lines[1:]:
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip() or line[:1] in " \t":
            raise ValueError(f"a malformed header line in the answer: {line[:80]!r}")
        pairs.append((name, value.strip(" \t")))
    headers = httpx.Headers(pairs)
    closing = version == "HTTP/1.0" or "close" in headers.get("connection", "").lower()
    cap = limits.max_bytes if status < 300 else C.MAX_ERROR_BODY_BYTES
    sink = _Sink(call, status, reason, headers, decoder, cap)
    if call.method == "HEAD" or status in _NO_BODY:
        return sink.answer(), not closing
    encoding = headers.get("transfer-encoding", "").lower()
    lengths = {v.strip() for v in headers.get_list("content-length")}
    if encoding:
        if encoding.split(",")[-1].strip() != "chunked":
            raise ValueError(f"the answer's Transfer-Encoding {encoding!r} is not chunked")
        ended = await _read_chunked(reader, sink, phases)
        return sink.answer(), ended and not closing
    if lengths:
        if len(lengths) != 1 or not next(iter(lengths)).isdigit():
            raise ValueError(f"the answer's Content-Length is not one number: {lengths!r}")
        ended = await _read_sized(reader, int(lengths.pop()), sink, phases)
        return sink.answer(), ended and not closing
    while piece := await reader.read(C.READ_CHUNK):  # until the server closes
        if sink.full(piece):
            break
        phases.next()
    return sink.answer(), False


class _Sink:
    """The answer's body, inflated and capped as it comes."""

    def __init__(
        self,
        call: Call,
        status: int,
        reason: str,
        headers: httpx.Headers,
        decoder: Callable[[str], Callable[[bytes], Iterator[bytes]]],
        cap: int,
    ) -> None:
        self.call, self.status, self.reason, self.headers = call, status, reason, headers
        self._decode = decoder(headers.get("content-encoding", ""))
        self._cap = cap
        self._total = 0
        self._chunks = io.BytesIO()  # held once: its buffer becomes the body (no join)

    def full(self, piece: bytes) -> bool:
        """Take a raw piece; True once the cap is reached (a 2xx's raises instead)."""
        for chunk in self._decode(piece):
            self._total += len(chunk)
            if self._total > self._cap:
                if self.status < 300:
                    raise too_large(self.call, self.status, self._cap)
                self._chunks.write(chunk[: self._cap - (self._total - len(chunk))])
                return True
            self._chunks.write(chunk)
        return False

    def answer(self) -> HTTPResponse:
        return HTTPResponse(
            method=self.call.method,
            url=self.call.url.split("?", 1)[0],
            status_code=self.status,
            reason=self.reason,
            headers=self.headers,
            content=self._chunks.getvalue(),
            elapsed=0.0,
        )


async def _read_sized(
    reader: asyncio.StreamReader, length: int, sink: _Sink, phases: Phases
) -> bool:
    """A Content-Length body; whether it was read to its end."""
    left = length
    while left > 0:
        piece = await _some(reader, left)
        left -= len(piece)
        if sink.full(piece):
            return False
        phases.next()
    return True


async def _some(reader: asyncio.StreamReader, left: int) -> bytes:
    """What has come of the ``left`` bytes still due (at most ``READ_CHUNK``): one read, so
    that the per-read timeout counts from the last byte, as a socket's does."""
    piece = await reader.read(min(left, C.READ_CHUNK))
    if not piece:
        raise asyncio.IncompleteReadError(b"", left)
    return piece


async def _read_chunked(reader: asyncio.StreamReader, sink: _Sink, phases: Phases) -> bool:
    """A chunked body; whether it was read to its end."""
    while True:
        line = await reader.readuntil(b"\r\n")
        size = line[:-2].split(b";", 1)[0].strip()
        if not size or any(c not in b"0123456789abcdefABCDEF" for c in size):
            raise ValueError(f"a malformed chunk size in the answer: {line[:40]!r}")
        left = int(size, 16)
        if left == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":  # trailers: ignored
                phases.next()
            return True
        while left > 0:
            phases.next()
            piece = await _some(reader, left)
            left -= len(piece)
            if sink.full(piece):
                return False
        phases.next()
        if await reader.readexactly(2) != b"\r\n":
            raise ValueError("a chunk of the answer does not end with CRLF")
        phases.next()


def too_large(call: Call, status: int, cap: int) -> exc.ResponseTooLargeError:
    """The error for a 2xx answer over ``cap`` bytes (its URL without the query)."""
    url = call.url.split("?", 1)[0]
    return exc.ResponseTooLargeError(
        f"{call.method} {url}: the answer is larger than {cap} bytes (the cap)",
        status_code=status,
        url=url,
        limit=cap,
    )
