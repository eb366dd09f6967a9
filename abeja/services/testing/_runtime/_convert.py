"""A handler's answer turned into HTTP, by the platform runtime's rules (abejaruntime 1.1.1).

- ``status_code`` defaults to 200 (an ``http.HTTPStatus`` is fine), ``content_type`` to
  ``text/plain``; ``metadata`` becomes response headers, with the runtime's version.
- ``content`` that is a dict, a str or not iterable is wrapped in a list; then each
  element is written: bytes-like as is (concatenated); a str as UTF-8 and any JSON value
  on a line of its own (a list of dicts is JSON Lines; a bare ``bytes`` value iterates
  as integers); with ``text/csv``, dicts (or lists of key-value pairs) as CSV rows.
- JSON is written as ``json.dumps`` writes it (ASCII, ``", "`` and ``": "``), with
  datetimes as ISO 8601 and numpy values as Python numbers.

``tests/testing/test_convert.py`` compares this, case by case and byte for byte, with
the runtime's own ``convert_from_response(...).tobytes()``.
"""

from __future__ import annotations

import array
import contextlib
import csv
import datetime
import http
import json
import sys
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

RUNTIME_VERSION = "1.1.1"
"""The abejaruntime whose rules these are (sent in ``x-abeja-sys-meta-runtime-version``)."""


@dataclass
class HandlerResult:
    """A handler's answer, encoded for HTTP."""

    status: int
    content_type: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict)


class _Lines:
    """Where the body is written: bytes parts, and a writer for the csv module."""

    def __init__(self) -> None:
        self.parts: list[bytes] = []

    def write(self, text: str) -> None:
        self.parts.append(text.encode("utf-8"))

    def newline_if_needed(self) -> None:
        if self.parts:
            self.parts.append(b"\n")


def _json_default(value: object) -> object:
    if isinstance(value, datetime.datetime):
        return value.isoformat()
    numpy = sys.modules.get("numpy")  # loaded whenever a value is one of its types
    if numpy is not None:  # what the runtime's encoder knows: arrays, integers, floats
        if isinstance(value, numpy.ndarray):
            return value.tolist()
        if isinstance(value, numpy.integer):
            return int(value)
        if isinstance(value, numpy.floating):
            return float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _mimetype(content_type: str) -> str:
    return content_type.split(";", 1)[0].strip().lower()


def convert(answer: object) -> HandlerResult:
    """The HTTP answer for a handler's return value; TypeError/ValueError when it has none."""
    if not isinstance(answer, Mapping):
        raise TypeError("a handler must return a dict: {'status_code', 'content_type', 'content'}")
    content_type = answer.get("content_type", "text/plain")
    if not isinstance(content_type, str) or not content_type.strip():
        raise ValueError("need content_type")
    raw_status = answer.get("status_code", http.HTTPStatus.OK)
    # Not an int: the runtime passes it on and the proxy refuses it (see reply_problem).
    status = int(raw_status) if isinstance(raw_status, int) else 500
    content = answer.get("content")
    if content is not None and (
        not isinstance(content, Iterable) or isinstance(content, (dict, str))
    ):
        content = [content]
    metadata = answer.get("metadata") or {}
    if not isinstance(metadata, dict):  # the runtime copies it and sets a key: a dict only
        raise TypeError(f"metadata must be a dict, not {type(metadata).__name__}")
    headers = {str(k): str(v) for k, v in metadata.items()}
    headers["x-abeja-sys-meta-runtime-version"] = RUNTIME_VERSION
    body = _write(_mimetype(content_type), content or [])
    return HandlerResult(status, content_type, body, headers)


def _write(mimetype: str, elements: Iterable[Any]) -> bytes:
    out = _Lines()
    rows: csv.DictWriter[str] | None = None
    for element in elements:
        if isinstance(element, list):
            with contextlib.suppress(TypeError):  # a list of pairs is a mapping; else as is
                element = OrderedDict(element)
        if isinstance(element, (bytes, bytearray, array.array)):
            out.parts.append(bytes(element))
        elif isinstance(element, str):
            out.newline_if_needed()
            out.write(element)
        elif mimetype == "text/csv":
            if rows is None:
                rows = csv.DictWriter(out, list(element.keys()))
                rows.writeheader()
            rows.writerow(element)
        else:
            out.newline_if_needed()
            out.write(json.dumps(element, default=_json_default))
    return b"".join(out.parts)
