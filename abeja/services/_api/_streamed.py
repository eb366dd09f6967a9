# Generated from _async_streamed.py by .ci/unasync.py: do not edit (make generate).
"""A prediction's answer read as it arrives (``with_streaming_response``): the call, sent
when its ``with`` block is entered, and the answer, whose body is iterated rather
than held.

The async module is the source; ``_streamed.py`` (the sync client's) is generated from it
by ``.ci/unasync.py``.
"""

from __future__ import annotations

import codecs
import functools
import inspect
import re
from collections.abc import Callable, Iterator
from types import TracebackType
from typing import TYPE_CHECKING, ParamSpec

from .. import errors as exc
from ._answers import HTTPResponse, HTTPView, PredictResponse, streamed_answers

if TYPE_CHECKING:
    from .._http._reading import BodyStream

_P = ParamSpec("_P")

_LINE_END = re.compile(r"\r\n|\r|\n")


class StreamedResponse(HTTPView):
    """A 2xx answer whose body has not been read: iterate it with `iter_bytes` or
    `iter_lines` (once), or `read` the rest. Leaving the ``with`` block closes it:
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
        self._body: BodyStream = http.body_stream
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

    def iter_bytes(self, chunk_size: int | None = None) -> Iterator[bytes]:
        """The body's bytes (inflated if compressed), as they arrive; with ``chunk_size``,
        in pieces of exactly that many bytes (the last may be shorter)."""
        if chunk_size is not None and (type(chunk_size) is not int or chunk_size < 1):
            raise ValueError(f"chunk_size must be a positive int, not {chunk_size!r}")
        self._begin()
        pending = bytearray()
        while chunk := self._body.next_chunk():
            if chunk_size is None:
                yield chunk
                continue
            pending += chunk
            while len(pending) >= chunk_size:
                yield bytes(pending[:chunk_size])
                del pending[:chunk_size]
        if pending:
            yield bytes(pending)

    def iter_lines(self, encoding: str = "utf-8") -> Iterator[str]:
        """The body as lines of text, without their ends (``\\n``, ``\\r\\n`` or
        ``\\r``, as httpx splits them); a line is held until its end arrives."""
        decoder = codecs.getincrementaldecoder(encoding)(errors="replace")
        self._begin()
        text = ""
        while chunk := self._body.next_chunk():
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

    def read(self) -> bytes:
        """The rest of the body, whole (held in memory: prefer the iterators for large ones)."""
        return b"".join([chunk for chunk in self.iter_bytes()])

    def close(self) -> None:
        """Stop reading; the connection is closed unless the body was read to its end."""
        self._body.close()


class StreamingCall:
    """A prediction sent when its ``with`` block is entered, which gives the answer
    ([`StreamedResponse`][abeja.services.StreamedResponse]); an error answer (or
    bad input) raises there, as ``predict`` would raise it. Leaving the block closes it.
    """

    def __init__(self, send: Callable[[], PredictResponse]) -> None:
        self._send = send
        self._response: StreamedResponse | None = None

    def __enter__(self) -> StreamedResponse:
        if self._response is not None:
            raise exc.Error("this streamed call was already entered (each sends once)")
        with streamed_answers():
            answer = self._send()
        self._response = StreamedResponse(answer.http)
        return self._response

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._response is not None:
            self._response.close()


def streaming_call(
    predict: Callable[_P, PredictResponse],
) -> Callable[_P, StreamingCall]:
    """``predict`` as ``with_streaming_response`` offers it: the same arguments (kept for
    checkers and editors), a call sent when its block is entered."""

    @functools.wraps(predict)
    def streaming(*args: _P.args, **kwargs: _P.kwargs) -> StreamingCall:
        return StreamingCall(functools.partial(predict, *args, **kwargs))

    signature = inspect.signature(predict)
    streaming.__signature__ = signature.replace(  # type: ignore[attr-defined]
        return_annotation=StreamingCall.__name__
    )
    return streaming
