"""The request a model handler receives, shaped exactly as the platform runtime's
(abejaruntime 1.1.1), so a handler that runs here runs there and the other way round.

A read-only ``Mapping`` with the runtime's keys: ``http_method``, ``content_type``,
``headers`` (a list of ``{"key", "values"}``, names lower-cased), ``http_headers`` (a
case-insensitive view with ``get_all``) and ``contents`` (a list of `Content`:
``content_type``, ``metadata``, ``body``, ``file_name``, ``form_name``).
``request['metadata']`` is the first content's metadata; ``request.read()`` reads the
first content's body. There is deliberately nothing more: no ``json()`` or ``text``,
which the platform's request does not have either.
"""

from __future__ import annotations

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

    def __contains__(self, key: object) -> bool:
        # The runtime's entities answer from their dict: 'metadata' in request is False,
        # though request['metadata'] gives the first content's.
        return key in self._fields

    def get(self, key: str, default: Any = None) -> Any:
        """The value of ``key`` in the entity's own fields (as the runtime's ``get``)."""
        return self._fields.get(key, default)

    def __str__(self) -> str:
        return str(self._fields)


class Content(_Fields):
    """One content of a request: ``content_type``, ``metadata``, ``body`` (a binary file),
    ``file_name`` and ``form_name`` (None where the proxy did not set them)."""

    def __init__(
        self,
        content_type: str | None,
        metadata: dict[str, Any] | None,
        body: IO[bytes] | None,
        file_name: str | None = None,
        form_name: str | None = None,
    ) -> None:
        self._fields = {
            "content_type": content_type,
            "metadata": metadata,
            "body": body,
            "file_name": file_name,
            "form_name": form_name,
        }

    def read(self, size: int = -1) -> bytes:
        """Read the body like a file; ValueError when there is none."""
        body: IO[bytes] | None = self._fields["body"]
        if not body:
            raise ValueError("no body")
        return body.read(size)

    def close(self) -> None:
        """Close the body."""
        body: IO[bytes] | None = self._fields["body"]
        if body:
            body.close()


class HttpHeaders(Mapping[str, Any]):
    """The request headers, read-only and case-insensitive (partly werkzeug's ``Headers``).

    ``headers[name]`` and ``get`` give the last value (``None`` when absent),
    ``get_all`` every value; iterating gives ``(name, value)`` pairs, as the runtime's.
    """

    def __init__(self, headers: list[dict[str, Any]]) -> None:
        self._pairs = [(item["key"], value) for item in headers for value in item["values"]]

    def get_all(self, key: str) -> list[str]:
        """Every value of a header, in order (an empty list when absent)."""
        wanted = key.lower()
        return [value for name, value in self._pairs if name.lower() == wanted]

    def __getitem__(self, key: str) -> Any:
        values = self.get_all(key)
        return values[-1] if values else None

    def __iter__(self) -> Iterator[Any]:
        return iter(self._pairs)

    def __len__(self) -> int:
        return len(self._pairs)

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self[key] is not None

    def get(self, key: str, default: Any = None) -> Any:
        value = self[key]
        return default if value is None else value

    def keys(self) -> Iterator[str]:  # type: ignore[override]
        return (name for name, _ in self._pairs)

    def values(self) -> Iterator[str]:  # type: ignore[override]
        return (value for _, value in self._pairs)

    def items(self) -> Iterator[tuple[str, str]]:  # type: ignore[override]
        return iter(self._pairs)


class PredictRequest(_Fields):
    """What a handler receives: the runtime's request (see the module)."""

    def __init__(
        self,
        method: str,
        content_type: str,
        headers: list[dict[str, Any]],
        contents: list[Content],
    ) -> None:
        self._fields = {
            "http_method": method,
            "content_type": content_type,
            "headers": headers,
            "http_headers": HttpHeaders(headers),
            "contents": contents,
        }

    def __getitem__(self, key: str) -> Any:
        if key == "metadata":  # the first content's, as the runtime's request answers
            contents: list[Content] = self._fields["contents"]
            if not contents:
                raise ValueError("no content")
            return contents[0]["metadata"]
        return self._fields[key]

    def read(self, size: int = -1) -> bytes:
        """Read the first content's body like a file; ValueError when there is none."""
        contents: list[Content] = self._fields["contents"]
        if not contents:
            raise ValueError("no body")
        return contents[0].read(size)

    def close(self) -> None:
        """Close every content's body (the runtime does, after the handler returns)."""
        for content in self._fields["contents"]:
            content.close()

    def __repr__(self) -> str:
        return f"PredictRequest({self._fields['http_method']} {self._fields['content_type']!r})"
