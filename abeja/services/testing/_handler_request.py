"""The request a model handler receives, shaped as the platform runtime's.

A read-only ``Mapping`` with the runtime's keys — ``http_method``, ``content_type``,
``headers`` (a list of ``{"key", "values"}``, names lower-cased), ``http_headers`` (a
case-insensitive view with ``get_all``), ``contents`` (a list of Content mappings:
``content_type``, ``metadata``, ``body``, ``file_name``, ``form_name``) and ``metadata``
(the first content's) — and ``read()`` for the first content's body, so the platform's
own handler templates run unchanged (``'http_method' in request``, ``request.read()``).
The attributes ``method``, ``headers``, ``body``, ``text``, ``json()`` and
``iter_chunks()`` are this emulator's conveniences.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import IO, Any


class _Fields(Mapping[str, Any]):
    """A read-only mapping over ``self._fields`` (the runtime's entities are mappings)."""

    _fields: dict[str, Any]

    def __getitem__(self, key: str) -> Any:
        return self._fields[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._fields)

    def __len__(self) -> int:
        return len(self._fields)


class Content(_Fields):
    """One part of a request body: ``content_type``, ``metadata``, ``body`` (a binary
    file), ``file_name`` and ``form_name``."""

    def __init__(
        self,
        content_type: str | None,
        body: IO[bytes],
        *,
        metadata: Mapping[str, str] | None = None,
        file_name: str | None = None,
        form_name: str | None = None,
    ) -> None:
        self._fields: dict[str, Any] = {
            "content_type": content_type,
            "metadata": dict(metadata or {}),
            "body": body,
            "file_name": file_name,
            "form_name": form_name,
        }

    def read(self, size: int = -1) -> bytes:
        """Read this part's body like a file."""
        body: IO[bytes] = self._fields["body"]
        return body.read(size)


class HttpHeaders(Mapping[str, str]):
    """Request headers, case-insensitive: ``get``, ``[...]`` (the first value), ``get_all``."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._values: dict[str, list[str]] = {}
        for name, value in pairs:
            self._values.setdefault(name.lower(), []).append(value)

    def __getitem__(self, name: str) -> str:
        return self._values[name.lower()][0]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._values

    def get_all(self, name: str) -> list[str]:
        """Every value of a header (an empty list when absent)."""
        return list(self._values.get(name.lower(), []))

    def as_list(self) -> list[dict[str, Any]]:
        """The runtime's ``headers``: ``[{"key": name, "values": [...]}, ...]``."""
        return [{"key": name, "values": list(values)} for name, values in self._values.items()]


class PredictRequest(_Fields):
    """What a handler receives: the HTTP request sent to the service (see the module)."""

    def __init__(
        self,
        *,
        method: str,
        headers: Mapping[str, str],
        content_type: str,
        stream: IO[bytes],
        authorization_removed: bool = True,
    ) -> None:
        pairs = [
            (str(name), str(value))
            for name, value in _pairs(headers)
            if not (authorization_removed and str(name).lower() == "authorization")
        ]
        self.method = method
        """The HTTP method."""
        self.headers = HttpHeaders(pairs)
        """The request headers, case-insensitive (without ``Authorization``: the platform
        removes it before the handler sees the request)."""
        self.content_type = content_type
        """The body's content type."""
        self.stream = stream
        self._body: bytes | None = None
        self._fields: dict[str, Any] = {
            "http_method": method,
            "content_type": content_type,
            "headers": self.headers.as_list(),
            "http_headers": self.headers,
            "contents": [Content(content_type, stream)],
        }

    def __getitem__(self, key: str) -> Any:
        if key == "metadata":  # the first content's, as the runtime's request answers
            return self._fields["contents"][0]["metadata"]
        return self._fields[key]

    def read(self, size: int = -1) -> bytes:
        """Read the first content's body like a file."""
        return self.stream.read(size)

    @property
    def body(self) -> bytes:
        """The whole body (read once, then kept)."""
        if self._body is None:
            self.stream.seek(0)
            self._body = self.stream.read()
            self.stream.seek(0)
        return self._body

    def iter_chunks(self, size: int = 1 << 16) -> Iterator[bytes]:
        """The body in chunks, without holding it all in memory."""
        self.stream.seek(0)
        while chunk := self.stream.read(size):
            yield chunk

    @property
    def text(self) -> str:
        """The body decoded as UTF-8."""
        return self.body.decode("utf-8", "replace")

    def json(self) -> Any:
        """The body parsed as JSON."""
        return json.loads(self.body)

    def __repr__(self) -> str:
        return f"PredictRequest({self.method} {self.content_type!r})"


def _pairs(headers: Mapping[str, str]) -> list[tuple[str, str]]:
    """Every (name, value), repeated names included (an http.client message has them)."""
    items = getattr(headers, "items", None)
    raw = getattr(headers, "_headers", None)  # email.message.Message keeps duplicates here
    if isinstance(raw, list):
        return [(str(k), str(v)) for k, v in raw]
    return [(str(k), str(v)) for k, v in (items() if items else [])]
