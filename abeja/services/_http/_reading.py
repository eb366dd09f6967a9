"""Reading an answer's body: in chunks, each ``recv`` clipped to the deadline, capped.

``read1`` returns after one ``recv`` (a trickled body cannot hold a read past the
deadline) and decompresses at most a chunk at a time (a gzip bomb cannot inflate past
the cap). A connection whose answer is not read to its end is closed, never reused.
"""

from __future__ import annotations

import contextlib
import functools
import io
import socket
from collections.abc import Callable, Mapping
from typing import Any

import requests
import requests.utils
from requests.structures import CaseInsensitiveDict

from .. import _constants as C
from .. import errors as exc
from .._api._answers import HTTPResponse
from ._failures import AttemptFailed, Limits, classify, past_deadline


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
        reason = (watched.reason if watched is not None else raw.reason) or ""
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
    read1 = getattr(raw, "read1", None)
    if read1 is None:  # not a urllib3 response (a custom adapter's): read it whole
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
            chunk = read1(C.READ_CHUNK, decode_content=True)
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
