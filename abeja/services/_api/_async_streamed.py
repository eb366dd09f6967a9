"""A prediction's answer read as it arrives (``with_streaming_response``): the call, sent
when its ``async with`` block is entered, and the answer, whose body is iterated rather
than held.

The async module is the source; ``_streamed.py`` (the sync client's) is generated from it
by ``.ci/unasync.py``.
"""

# The async answer; _streamed.py (the sync one) is generated from it.  # async only

from __future__ import annotations

import codecs
import functools
import inspect
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from types import TracebackType
from typing import TYPE_CHECKING, ParamSpec

from .. import errors as exc
from ._answers import HTTPResponse, HTTPView, PredictResponse, streamed_answers

if TYPE_CHECKING:
    from .._http._async._async_sender import AsyncBodyStream

_P = ParamSpec("_P")

_LINE_END = re.compile(r"\r\n|\r|\n")


class AsyncStreamedResponse(HTTPView):
    """A 2xx answer whose body has not been read: iterate it with `iter_bytes` or
    `iter_lines` (once), or `read` the rest. Leaving the ``async with`` block closes it:
    a body read to its end gives its connection back to the pool; one left unread closes
    the connection.

    Each read of the body waits at most the call's ``timeout`` (the deadline covers the
    call up to the answer's head: a stream may last longer); a connection that breaks
    mid-body raises ``APIConnectionError`` (or ``APITimeoutError``) with
    ``may_have_applied=True``.
    """

    __slots__ = ("http", "_body", "_started")

    def __init__(self, http: HTTPResponse) -> None:
        self.http = http
        """The answer's head (status, headers, request id); its ``content`` is empty."""
        self._body: AsyncBodyStream = http.body_stream
        self._started = False

    def __repr__(self) -> str:
        return f"<{type(self).__name__} {self.http.method} {self.http.url} -> {self.status_code}>"

    @property
    def is_closed(self) -> bool:
        """Whether the body was read to its end, or closed."""
        return bool(self._body.ended)

    def _begin(self) -> None:
        if self._started:
            raise exc.Error("this answer's body is already being read (it can be read once)")
        self._started = True

    async def iter_bytes(self, chunk_size: int | None = None) -> AsyncIterator[bytes]:
        """The body's bytes (inflated if compressed), as they arrive; with ``chunk_size``,
        in pieces of exactly that many bytes (the last may be shorter)."""
        if chunk_size is not None and (type(chunk_size) is not int or chunk_size < 1):
            raise ValueError(f"chunk_size must be a positive int, not {chunk_size!r}")
        self._begin()
        pending = bytearray()
        while chunk := await self._body.next_chunk():
            if chunk_size is None:
                yield chunk
                continue
            pending += chunk
            while len(pending) >= chunk_size:
                yield bytes(pending[:chunk_size])
                del pending[:chunk_size]
        if pending:
            yield bytes(pending)

    async def iter_lines(self, encoding: str = "utf-8") -> AsyncIterator[str]:
        """The body as lines of text, without their ends (``\\n``, ``\\r\\n`` or
        ``\\r``, as httpx splits them); a line is held until its end arrives."""
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._begin()
        text = ""
        while chunk := await self._body.next_chunk():
            text += decoder.decode(chunk)
            start = 0
            for end in _LINE_END.finditer(text):
                if end.group() == "\r" and end.end() == len(text):
                    break  # perhaps the first half of a "\r\n"
                yield text[start : end.start()]
                start = end.end()
            text = text[start:]
        lines = _LINE_END.split(text + decoder.decode(b"", final=True))
        for line in lines[:-1] if lines[-1] == "" else lines:
            yield line

    async def read(self) -> bytes:
        """The rest of the body, whole (held in memory: prefer the iterators for large ones)."""
        return b"".join([chunk async for chunk in self.iter_bytes()])

    async def close(self) -> None:
        """Stop reading; the connection is closed unless the body was read to its end."""
        await self._body.close()


class AsyncStreamingCall:
    """A prediction sent when its ``async with`` block is entered, which gives the answer
    ([`AsyncStreamedResponse`][abeja.services.AsyncStreamedResponse]); an error answer (or
    bad input) raises there, as ``predict`` would raise it. Leaving the block closes it.
    """

    def __init__(self, send: Callable[[], Awaitable[PredictResponse]]) -> None:
        self._send = send
        self._response: AsyncStreamedResponse | None = None

    async def __aenter__(self) -> AsyncStreamedResponse:
        if self._response is not None:
            raise exc.Error("this streamed call was already entered (each sends once)")
        with streamed_answers():
            answer = await self._send()
        self._response = AsyncStreamedResponse(answer.http)
        return self._response

    async def __aexit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._response is not None:
            await self._response.close()


def async_streaming_call(
    predict: Callable[_P, Awaitable[PredictResponse]],
) -> Callable[_P, AsyncStreamingCall]:
    """``predict`` as ``with_streaming_response`` offers it: the same arguments (kept for
    checkers and editors), a call sent when its block is entered."""

    @functools.wraps(predict)
    def streaming(*args: _P.args, **kwargs: _P.kwargs) -> AsyncStreamingCall:
        return AsyncStreamingCall(functools.partial(predict, *args, **kwargs))

    signature = inspect.signature(predict)
    streaming.__signature__ = signature.replace(  # type: ignore[attr-defined]
        return_annotation=AsyncStreamingCall.__name__
    )
    return streaming
