"""Reading an answer: its head (on the fast path, without the email package), then its
body in chunks, each ``recv`` clipped to the deadline, capped.

``read1`` returns after one ``recv`` (a trickled body cannot hold a read past the
deadline) and decompresses at most a chunk at a time (a gzip bomb cannot inflate past
the cap). A connection whose answer is not read to its end is closed, never reused.
"""

from __future__ import annotations

import contextlib
import functools
import http.client
import io
import socket
from collections.abc import Callable, Iterator, Mapping
from typing import Any, cast

import requests
import requests.utils
from requests.structures import CaseInsensitiveDict

from .. import _constants as C
from .. import errors as exc
from .._api._answers import HTTPResponse
from ._failures import AttemptFailed, Limits, classify, past_deadline

# http.client's reader of header lines (its limits: 64 KiB a line, 100 lines), private
# since 3.10 and unchanged through 3.13.
_read_header_lines: Callable[[Any], list[bytes]] = vars(http.client)["_read_headers"]


class HeadLines:
    """An answer's header fields as ``(name, value)`` pairs, in order: what http.client's
    ``HTTPResponse`` asks of its ``msg`` (``get``, ``get_all``, ``items``), read without the
    email package's parser (about 150k instructions an answer)."""

    __slots__ = ("pairs",)

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self.pairs = pairs

    def get_all(self, name: str, failobj: Any = None) -> Any:
        """Every value of ``name`` (any case), in order; ``failobj`` if there is none."""
        key = name.lower()
        found = [value for field, value in self.pairs if field.lower() == key]
        return found or failobj

    def get(self, name: str, failobj: Any = None) -> Any:
        """The first value of ``name`` (any case), or ``failobj``."""
        key = name.lower()
        return next((value for field, value in self.pairs if field.lower() == key), failobj)

    def items(self) -> list[tuple[str, str]]:
        return list(self.pairs)

    def raw_items(self) -> Iterator[tuple[str, str]]:
        return iter(self.pairs)


def head_lines(lines: list[bytes]) -> HeadLines:
    """The fields of header lines as read (ISO-8859-1, as http.client decodes them): the
    value without the whitespace around it; a folded line (obs-fold) continues the value
    before it, joined by a space; a line with no colon is left out."""
    pairs: list[tuple[str, str]] = []
    for line in lines:
        text = line.decode("iso-8859-1").rstrip("\r\n")
        if not text:
            break
        if text[0] in " \t":
            if pairs:
                name, value = pairs[-1]
                more = text.strip(" \t")
                pairs[-1] = (name, f"{value} {more}" if value else more)
            continue
        name, colon, value = text.partition(":")
        if colon:
            pairs.append((name, value.strip(" \t")))
    return HeadLines(pairs)


class LeanResponse(http.client.HTTPResponse):
    """http.client's answer, its head read with `head_lines` instead of the email package
    (the same limits: 64 KiB a line, 100 lines); framing and keep-alive as http.client
    decides them."""

    def begin(self) -> None:
        """Read the status line (past any ``100 Continue``) and the head (called once, by
        ``getresponse``)."""
        private: Any = self  # http.client's own steps, private but there since 3.0
        version, status, reason = private._read_status()
        while status == http.client.CONTINUE:  # a 100's own head, skipped
            _read_header_lines(self.fp)
            version, status, reason = private._read_status()
        self.code = self.status = status
        self.reason = reason.strip()
        if version in ("HTTP/1.0", "HTTP/0.9"):
            self.version = 10
        elif version.startswith("HTTP/1."):
            self.version = 11
        else:
            raise http.client.UnknownProtocol(version)
        head = head_lines(_read_header_lines(self.fp))
        self.headers = self.msg = cast(Any, head)
        coding = head.get("transfer-encoding")
        self.chunked = bool(coding) and coding.lower() == "chunked"
        self.chunk_left = None
        self.will_close = private._check_close()
        self.length = None
        length = head.get("content-length")
        if length and not self.chunked:
            with contextlib.suppress(ValueError):
                given = int(length)
                self.length = given if given >= 0 else None
        if status in (204, 304) or 100 <= status < 200 or private._method == "HEAD":
            self.length = 0
        if not self.will_close and not self.chunked and self.length is None:
            self.will_close = True


def _socket_of(raw: Any) -> socket.socket | None:
    connection = getattr(raw, "connection", None)
    sock = getattr(connection, "sock", None)
    return sock if isinstance(sock, socket.socket) else None


def read_answer(
    raw: Any,
    url: str,
    method: str,
    limits: Limits,
    prepare: Callable[[], requests.PreparedRequest],
    watched: requests.Response | None = None,
) -> HTTPResponse:
    """Read the answer whole (``watched``: the Session.request response; ``prepare``
    gives the request, for the ``requests.Response`` abeja-sdk callers get). Whatever cuts
    it short, a Ctrl-C too, closes the connection and gives it back."""
    try:
        status = int(
            getattr(raw, "status", 0) or (watched.status_code if watched is not None else 0)
        )
        if status < 200:
            discard(raw)
            raise AttemptFailed(
                "informational",
                f"the server answered {status} (informational) as if it were the answer",
                sent=True,
            )
        headers = watched.headers if watched is not None else raw.headers
        reason = (watched.reason if watched is not None else raw.reason) or ""
        if limits.stream and status < 300:  # the body left to read (with_streaming_response)
            return _unread(raw, limits, method, url, status, reason, headers)
        cap = limits.max_bytes if status < 300 else C.MAX_ERROR_BODY_BYTES
        content, complete = _read_body(raw, limits, cap)
        if not complete and status < 300:
            raise exc.ResponseTooLargeError(
                f"{method} {url}: the answer is larger than {cap} bytes (the cap)",
                status_code=status,
                url=url,
                limit=cap,
            )
        # What abeja-sdk's APIClient returned, made on demand from plain values: nothing here
        # may keep the urllib3 response (and its socket) alive for as long as a model lives.
        to_requests: Callable[[], requests.Response]
        if watched is not None:
            watched.raw = None
            watched._content = content
            watched._content_consumed = True  # type: ignore[attr-defined]
            to_requests = functools.partial(lambda response: response, watched)
        else:
            to_requests = functools.partial(
                _requests_response, prepare, status, reason, headers, content
            )
        return HTTPResponse(
            method=method,
            url=url,
            status_code=status,
            reason=reason,
            headers=headers,
            content=content,
            elapsed=0.0,
            raw=to_requests,
        )
    except BaseException:
        discard(raw)
        raise


def _unread(
    raw: Any,
    limits: Limits,
    method: str,
    url: str,
    status: int,
    reason: str,
    headers: Mapping[str, str],
) -> HTTPResponse:
    """A 2xx answer whose body is left to read, in ``body_stream`` (``Limits.stream``)."""
    stream = BodyStream(raw, limits.timeout, f"{method} {url}")
    return HTTPResponse(method=method, url=url, status_code=status, reason=reason,
                        headers=headers, content=b"", elapsed=0.0, body_stream=stream)  # fmt: skip


class BodyStream:
    """A 2xx body not yet read (``with_streaming_response``): ``next_chunk`` reads at most
    ``READ_CHUNK`` bytes (inflated) after one ``recv``, each on the per-read timeout (not the
    call's deadline: a stream may last longer). Read to its end, the connection goes back
    to the pool; closed before, or broken, it is closed. A failure raises the public error
    (``APIConnectionError``/``APITimeoutError``, ``may_have_applied``: the model answered)."""

    __slots__ = ("_raw", "_timeout", "_what", "ended")

    def __init__(self, raw: Any, timeout: float, what: str) -> None:
        self._raw = raw
        self._timeout = timeout
        self._what = what
        self.ended = False
        """Read to its end, failed or closed: nothing more comes."""

    def next_chunk(self) -> bytes:
        """The next piece of the body; b"" at its end."""
        if self.ended:
            return b""
        raw = self._raw
        try:
            sock = _socket_of(raw)
            if sock is not None:
                sock.settimeout(self._timeout)
            chunk: bytes = (
                raw.read1(C.READ_CHUNK, decode_content=True)
                if _reads_in_chunks(raw)
                else raw.read(C.READ_CHUNK)
            )
        except BaseException as error:  # a Ctrl-C mid-read too: the connection is given up
            self.close()
            if not isinstance(error, Exception):
                raise
            failure = classify(error, reading=True)
            raise failure.to_error(self._what, may_have_applied=True) from None
        if not chunk:
            self.ended = True
            _release(raw)
        return chunk

    def close(self) -> None:
        """Stop reading: the connection is closed (its unread bytes must not answer the
        next request); nothing is done once the body has ended."""
        if not self.ended:
            self.ended = True
            discard(self._raw)


def _requests_response(
    prepare: Callable[[], requests.PreparedRequest],
    status: int,
    reason: str,
    headers: Mapping[str, str],
    content: bytes,
) -> requests.Response:
    prepared = prepare()
    response = requests.Response()
    response.status_code = status
    response.reason = reason
    response.headers = CaseInsensitiveDict(headers)
    response.encoding = requests.utils.get_encoding_from_headers(response.headers)
    response.url = prepared.url or ""
    response.request = prepared
    response._content = content
    response._content_consumed = True  # type: ignore[attr-defined]
    return response


def _read_body(raw: Any, limits: Limits, cap: int) -> tuple[bytes, bool]:
    """The body up to ``cap`` bytes, and whether it was all of it."""
    if not _reads_in_chunks(raw):  # not a urllib3 response (a custom adapter's): read it whole
        body = raw.read() if hasattr(raw, "read") else b""
        return body[:cap], len(body) <= cap
    sock = _socket_of(raw)
    chunks = io.BytesIO()  # held once: its buffer becomes the body (no join)
    total = 0
    try:
        while True:
            remaining = limits.remaining()
            if remaining <= 0:
                discard(raw)
                raise AttemptFailed(
                    "deadline", "the call's deadline passed while reading the answer", sent=True
                )
            if sock is not None:
                sock.settimeout(min(limits.timeout, remaining))
            chunk = raw.read1(C.READ_CHUNK, decode_content=True)
            if not chunk:
                break
            total += len(chunk)
            if total > cap:
                discard(raw)
                kept = chunks.getvalue() if cap <= C.MAX_ERROR_BODY_BYTES else b""
                return kept + chunk[: cap - (total - len(chunk))], False
            chunks.write(chunk)
    except AttemptFailed:
        raise
    except Exception as error:  # noqa: BLE001 - every failure is classified, none escapes
        discard(raw)
        raise past_deadline(classify(error, reading=True), limits) from None
    _release(raw)
    return chunks.getvalue(), True


def _reads_in_chunks(raw: Any) -> bool:
    """Whether ``raw`` is urllib3's answer or ours (``read1`` inflating, ``release_conn``),
    not another kind (a custom adapter's file, whose ``read1`` takes no ``decode_content``)."""
    return hasattr(raw, "release_conn") and hasattr(raw, "read1")


def discard(raw: Any) -> None:
    """Close the connection (its unread bytes must not answer the next request)."""
    with contextlib.suppress(Exception):  # closing a broken connection may fail; it is gone
        raw.close()
    _release(raw)


def _release(raw: Any) -> None:
    release = getattr(raw, "release_conn", None)
    if release is not None:
        with contextlib.suppress(Exception):  # the pool will drop it
            release()
