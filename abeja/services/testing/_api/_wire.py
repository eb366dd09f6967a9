"""The emulator's HTTP messages as plain values, between the server and the app."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import IO


@dataclass
class Request:
    """An HTTP request as the server read it."""

    method: str
    path: str
    query: dict[str, str]
    headers: Mapping[str, str]
    body: IO[bytes]
    length: int
    peer: str = ""
    raw_query: str = ""


@dataclass
class Response:
    """An HTTP answer; ``drop`` closes the connection without one.

    ``trickle``, ``truncate`` and ``informational`` change how the server writes
    it (see ``Fault``).
    """

    status: int
    body: bytes = b""
    content_type: str = "application/json"
    headers: dict[str, str] = field(default_factory=dict)
    drop: bool = False
    trickle: float = 0.0
    truncate: bool = False
    informational: int | None = None


def error(status: int, code: str, description: str, **headers: str) -> Response:
    """An error answer in the platform's shape."""
    body = json.dumps({"error": code, "error_description": description}).encode()
    return Response(status, body, headers=dict(headers))


def json_response(data: object, status: int = 200) -> Response:
    """A JSON answer."""
    return Response(status, json.dumps(data).encode())
