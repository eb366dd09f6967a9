"""Prediction request bodies: what ``json=``/``data=`` become on the wire, checked first."""

from __future__ import annotations

import io
import json
import mimetypes
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import requests.utils

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


class BodyReadError(ValueError):
    """The caller's own body (a file or an iterable) raised while it was being read for
    sending; ``produced`` bytes of it had been handed to the connection by then (so the
    request may have reached the server whole: a length-known body's last read is the one
    that finds its end)."""

    def __init__(self, produced: int, error: BaseException) -> None:
        text = str(error).splitlines()[0] if str(error) else ""
        super().__init__(
            f"reading the request body failed after {produced} byte(s) "
            f"({type(error).__name__}: {text})"
        )
        self.produced = produced


class _TrackedStream:
    """A caller's file-like body, read through: counts what it hands out, and turns an
    error of its ``read`` into `BodyReadError`. Seeking (a retry's rewind) starts over."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.produced = 0

    def read(self, size: int = -1) -> bytes:
        try:
            chunk = self._inner.read(size)
        except Exception as error:  # noqa: BLE001 - the caller's file: reported as ours
            raise BodyReadError(self.produced, error) from None
        self.produced += len(chunk or b"")
        return chunk  # type: ignore[no-any-return]

    def seekable(self) -> bool:
        seekable = getattr(self._inner, "seekable", None)
        return bool(callable(seekable) and seekable())

    def tell(self) -> int:
        return self._inner.tell()  # type: ignore[no-any-return]

    def seek(self, offset: int, whence: int = 0) -> int:
        self.produced = 0
        return self._inner.seek(offset, whence)  # type: ignore[no-any-return]


class _TrackedFile(_TrackedStream):
    """A tracked file whose length is known (requests sends it with a Content-Length).

    ``len()`` is the whole file's, as requests' ``super_len`` takes it: it subtracts the
    position (``tell()``) itself.
    """

    def __init__(self, inner: Any, remaining: int) -> None:
        super().__init__(inner)
        try:
            position = int(inner.tell())
        except (AttributeError, OSError, ValueError, TypeError):  # as super_len guards it
            position = 0
        self._length = remaining + position

    def __len__(self) -> int:
        return self._length

    @property
    def content_length(self) -> int:
        """The bytes left to send from where the file is now."""
        try:
            return self._length - int(self._inner.tell())
        except (AttributeError, OSError, ValueError, TypeError):
            return self._length


class _TrackedIterable:
    """A caller's iterable of bytes, counted, its errors turned into `BodyReadError`."""

    def __init__(self, inner: Iterable[bytes]) -> None:
        self._inner = inner
        self.produced = 0

    def __iter__(self) -> Iterator[bytes]:
        chunks = iter(self._inner)
        while True:
            try:
                chunk = next(chunks)
            except StopIteration:
                return
            except Exception as error:  # noqa: BLE001 - the caller's iterable
                raise BodyReadError(self.produced, error) from None
            self.produced += len(chunk)
            yield chunk


def tracked(data: object) -> object:
    """``data`` as it is sent: a caller's file or iterable read through a tracker."""
    if data is None or isinstance(data, (bytes, bytearray, memoryview, str)):
        return data
    if hasattr(data, "read"):
        length: int = requests.utils.super_len(data)  # type: ignore[no-untyped-call]
        return _TrackedFile(data, length) if length else _TrackedStream(data)
    if isinstance(data, Iterable):
        return _TrackedIterable(data)
    return data


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
    yield PredictBody(data=data.encode() if isinstance(data, str) else tracked(data),
                      headers=headers)  # fmt: skip


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
