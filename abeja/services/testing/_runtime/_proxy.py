"""The serving proxy's side (abeja-platform-model-proxy 2.6.5): HTTP into the runtime's
request, the runtime's reply back into HTTP, and the proxy's own ``{"status"}`` answers.

Shared by both runtime modes, so what reaches a handler and what a client gets back are
decided in one place:

- GET: the query string is the body, as ``application/x-www-form-urlencoded``;
- POST and PUT: one content (the body), or one per part for ``multipart/form-data``;
- any other method, or a POST/PUT whose ``Content-Type`` is missing or unparsable: 501;
- header names are lower-cased and sorted; ``Authorization`` and ``Host`` are not passed;
- a runtime error reply is answered ``{"status": "<message>"}`` with its status code.
"""

from __future__ import annotations

import io
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO, Any
from urllib.parse import quote

from .._api._wire import Request, Response
from ._multipart import MalformedMultipart, boundary_of, split_multipart

PROXY_VERSION = "2.6.5"
"""The proxy version whose behaviour this is (sent in ``X-Abeja-Sys-Meta-Proxy-Version``)."""

UNAVAILABLE = "service unavailable"
"""The proxy's message when the runtime is not ready (or could not start)."""

_TOKEN = r"[!#$%&'*+.^_`|~0-9A-Za-z-]+"
_MEDIA_TYPE = re.compile(rf"\s*({_TOKEN})/({_TOKEN})\s*(;.*)?", re.DOTALL)
_NOT_PASSED = frozenset({"authorization", "host"})


@dataclass
class Part:
    """One content of the runtime's request: a body and what the proxy knows of it."""

    body: IO[bytes]
    content_type: str | None = None
    file_name: str | None = None
    form_name: str | None = None


@dataclass
class ProxyRequest:
    """The runtime's request before it is written for the IPC (or handed over in-process)."""

    method: str
    content_type: str
    headers: list[dict[str, Any]]
    parts: list[Part] = field(default_factory=list)


class ProxyAnswer(Exception):
    """The proxy answers itself (``{"status": message}``) instead of calling the runtime."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(status, message)
        self.status = status
        self.message = message

    def response(self) -> Response:
        """The answer, written as the proxy writes it (the message is not escaped)."""
        return status_answer(self.status, self.message)


def status_answer(status: int, message: str) -> Response:
    """``{"status":"<message>"}``, byte for byte as the proxy formats it."""
    return Response(status, f'{{"status":"{message}"}}'.encode())


def _media_type(content_type: str) -> str | None:
    match = _MEDIA_TYPE.fullmatch(content_type)
    return f"{match[1]}/{match[2]}".lower() if match else None


def proxy_request(request: Request) -> ProxyRequest:
    """The runtime's request for an HTTP request, or `ProxyAnswer` (501, 503)."""
    content_type = request.headers.get("Content-Type") or ""
    media_type = _media_type(content_type)
    headers = _header_list(request.headers)
    if request.method == "GET":
        body = io.BytesIO(request.raw_query.encode("latin-1"))
        return ProxyRequest("GET", "application/x-www-form-urlencoded", headers, [Part(body)])
    if request.method not in ("POST", "PUT") or media_type is None:
        raise ProxyAnswer(501, f"Content-Type: [{content_type}] is not supported")
    request.body.seek(0)
    if media_type == "multipart/form-data":
        parts = _split_multipart(content_type, request.body)
    else:
        parts = [Part(request.body)]
    return ProxyRequest(request.method, content_type, headers, parts)


def _header_list(headers: Mapping[str, str]) -> list[dict[str, Any]]:
    values: dict[str, list[str]] = {}
    raw = getattr(headers, "_headers", None)  # an http.client message keeps repeated names
    pairs = raw if isinstance(raw, list) else list(headers.items())
    for name, value in pairs:
        key = str(name).lower()
        if key not in _NOT_PASSED:
            values.setdefault(key, []).append(str(value))
    return [{"key": key, "values": values[key]} for key in sorted(values)]


def _split_multipart(content_type: str, body: IO[bytes]) -> list[Part]:
    boundary = boundary_of(content_type) if "boundary=" in content_type else None
    if boundary is None:
        raise ProxyAnswer(503, ": no multipart boundary param in Content-Type")
    try:
        parts = split_multipart(body, boundary)  # part by part, from disk: bounded memory
    except MalformedMultipart:
        raise ProxyAnswer(400, "malformed multipart body") from None
    return [Part(p.body, p.content_type, p.file_name, p.form_name) for p in parts]


@dataclass
class RuntimeReply:
    """What the runtime answered: a body, or an error message (with its status)."""

    status: int
    content_type: str | None = None
    metadata: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    error_message: str | None = None
    setup_failed: bool = False
    """The handler could not be loaded: the instance did not start (the service fails)."""


def _json_kind(value: object) -> str:
    """How Go's encoding/json names a value it cannot store (``number 200.5``)."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, (int, float)):
        return f"number {json.dumps(value)}"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, (list, tuple)) else "object"


def reply_problem(status_code: object, metadata: object) -> str | None:
    """Why the proxy cannot read a runtime reply with these fields (its Go types are an
    int and a map of strings), as the message it answers with; None when it can."""
    field, wanted, value = "", "", None
    if status_code is not None and (
        isinstance(status_code, bool)
        or not isinstance(status_code, int)
        or not -(2**63) <= status_code < 2**63  # Go's int
    ):
        field, wanted, value = "status_code", "int", status_code
    elif isinstance(metadata, Mapping):
        bad = [v for v in metadata.values() if not isinstance(v, str)]
        if bad:
            field, wanted, value = "metadata", "string", bad[0]
    if not field:
        return None
    return (
        "Internal Server Error: unexpected error of Read IPC response body error: json: "
        f"cannot unmarshal {_json_kind(value)} into Go struct field Response.{field} "
        f"of type {wanted}"
    )


# Parameters after the media type: "; name=token" or '; name="quoted"', empty ones allowed.
_GO_PARAMS = re.compile(
    rf'(?:\s*;\s*(?:{_TOKEN}\s*=\s*(?:{_TOKEN}|"(?:[^"\\]|\\.)*"))?)*\s*', re.DOTALL
)


def _go_media_type(value: str) -> str | None:
    """The media type as Go's ``mime.ParseMediaType`` reads it, or None where it errs.

    Go accepts a lone token (``json``: it also parses dispositions) and trailing
    semicolons; it refuses a missing token, a slash without a subtype, anything after the
    subtype, and a malformed parameter.
    """
    base, _, params = value.partition(";")
    media = base.strip().lower()
    if re.fullmatch(rf"{_TOKEN}(?:/{_TOKEN})?", media) is None:
        return None
    if params and _GO_PARAMS.fullmatch(";" + params) is None:
        return None
    return media


def answerable(content_type: str) -> bool:
    """Whether the proxy can send a reply of this content type (its ``FromResponse``):
    one Go can parse, and not multipart (the multipart converter takes requests only)."""
    media = _go_media_type(content_type)
    return media is not None and media != "multipart/form-data"


def http_answer(reply: RuntimeReply, identity: Mapping[str, str]) -> Response:
    """The HTTP answer for a runtime reply, with the proxy's headers (``identity``:
    model id and version, deployment and service ids)."""
    if reply.error_message is not None:
        return status_answer(reply.status, reply.error_message)
    if reply.content_type is not None and not answerable(reply.content_type):
        return status_answer(501, f"Content-Type: [{reply.content_type}] is not supported")
    headers = {"X-Abeja-Sys-Meta-Proxy-Version": PROXY_VERSION}
    headers.update(reply.metadata)
    headers.update(proxy_metadata(identity))
    content_type = reply.content_type if reply.content_type is not None else "application/json"
    return Response(reply.status, reply.body, content_type, headers)


def proxy_metadata(identity: Mapping[str, str]) -> dict[str, str]:
    """The ``X-Abeja-*`` headers the proxy adds; the model version URL-escaped."""
    names = {
        "model_id": "X-Abeja-Model-Id",
        "model_version": "X-Abeja-Model-Version",
        "deployment_id": "X-Abeja-Deployment-Id",
        "service_id": "X-Abeja-Service-Id",
    }
    headers = {}
    for key, header in names.items():
        value = identity.get(key, "")
        if value and key == "model_version":
            value = quote(value, safe="!$&'()*+,;=:@")  # as Go's url.PathEscape
        if value:
            headers[header] = value
    return headers
