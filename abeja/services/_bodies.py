"""Prediction request bodies: what ``json=``/``data=`` become on the wire, checked first."""

from __future__ import annotations

import io
import json
import mimetypes
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from ._validation import check_content_type

DataBody = bytes | str | IO[bytes] | Iterable[bytes]
"""What ``predict(data=...)`` takes besides a ``pathlib.Path``."""

_OCTET_STREAM = "application/octet-stream"


@dataclass
class PredictBody:
    """A prediction body ready for the transport: JSON, or data with its headers."""

    json: object = None
    data: object = None
    headers: dict[str, str] = field(default_factory=dict)


def check_data(data: object) -> None:
    """Refuse what requests would silently form-encode or send in the wrong encoding."""
    if isinstance(data, (bytes, bytearray, str, Path)):
        return
    if isinstance(data, io.TextIOBase):
        raise TypeError("data= got a file opened in text mode: open it with 'rb'")
    if hasattr(data, "read"):
        return
    if hasattr(data, "__iter__") and not isinstance(data, (list, tuple, set, dict, Mapping)):
        return
    raise TypeError(
        "data= takes bytes, str, a binary file, a pathlib.Path or an iterator of bytes, "
        f"not {type(data).__name__} (use json= for JSON values)"
    )


def guess_content_type(name: str | None) -> str:
    """The content type a file name suggests; ``application/octet-stream`` otherwise."""
    if not name:
        return _OCTET_STREAM
    return mimetypes.guess_type(name)[0] or _OCTET_STREAM


def check_predict_body(json: object, data: object, content_type: object) -> None:
    """Raise before anything is opened or sent when the arguments cannot make a body."""
    if json is not None and data is not None:
        raise ValueError("give json= or data=, not both")
    if content_type is not None:
        if not isinstance(content_type, str):
            raise TypeError(f"content_type must be a string, not {type(content_type).__name__}")
        check_content_type(content_type)
    if data is not None:
        check_data(data)


@contextmanager
def open_predict_body(
    json: object, data: DataBody | Path | None, content_type: str | None
) -> Iterator[PredictBody]:
    """The body to send; a ``Path`` is opened (and closed afterwards) and streamed."""
    check_predict_body(json, data, content_type)
    headers = {"Accept": "*/*"}
    if json is not None:
        if content_type is not None:
            headers["Content-Type"] = content_type
        yield PredictBody(json=json, headers=headers)
        return
    if isinstance(data, Path):
        headers["Content-Type"] = content_type or guess_content_type(data.name)
        with data.open("rb") as stream:
            yield PredictBody(data=stream, headers=headers)
        return
    if data is None:
        data = b""
    name = getattr(data, "name", None)
    headers["Content-Type"] = content_type or guess_content_type(
        name if isinstance(name, str) else None
    )
    yield PredictBody(data=data.encode() if isinstance(data, str) else data, headers=headers)


def encode_json(value: object) -> bytes:
    """A JSON body; NaN, infinities and values JSON cannot hold raise before anything is sent."""
    try:
        text = json.dumps(value, separators=(",", ":"), ensure_ascii=False, allow_nan=False)
    except ValueError as error:
        raise ValueError(f"json= cannot be sent as JSON: {error}") from None
    except TypeError as error:
        raise TypeError(f"json= cannot be sent as JSON: {error}") from None
    except RecursionError:
        raise ValueError("json= is nested too deeply to send") from None
    return text.encode()
