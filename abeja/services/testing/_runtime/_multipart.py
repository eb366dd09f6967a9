"""A ``multipart/form-data`` body split into its parts as it is read: bounded memory.

The body is read in chunks from its (spooled) file and each part's bytes go straight to a
spooled file of its own, so a 200 MiB upload costs a few chunks of memory, not 200 MiB
(``email``'s parser needs the whole message in memory, several times over).
"""

from __future__ import annotations

import base64
import binascii
import email.parser
import email.policy
import io
import posixpath
import quopri
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from typing import IO

CHUNK = 64 * 1024
# Parts up to this size stay in memory; larger ones go to a temporary file.
SPOOL = 1024 * 1024
# A part's header block larger than this is not a header block.
MAX_HEADER_BYTES = 64 * 1024


class MalformedMultipart(ValueError):
    """The body is not the multipart message its Content-Type announces."""


@dataclass
class RawPart:
    """One part: its body (a readable file at offset 0) and what its headers say."""

    body: IO[bytes]
    content_type: str | None
    file_name: str | None
    form_name: str | None


def boundary_of(content_type: str) -> str | None:
    """The ``boundary`` parameter of a Content-Type, or None."""
    message = email.parser.Parser(policy=email.policy.HTTP).parsestr(
        f"Content-Type: {content_type}\r\n\r\n", headersonly=True
    )
    boundary = message.get_param("boundary")
    return boundary if isinstance(boundary, str) and boundary else None


class _Stream:
    """The body, with a look-ahead buffer."""

    def __init__(self, body: IO[bytes]) -> None:
        self.body = body
        # The first delimiter may open the body without the CRLF before it.
        self.buffer = b"\r\n"
        self.ended = False

    def fill(self) -> bool:
        if self.ended:
            return False
        chunk = self.body.read(CHUNK)
        if not chunk:
            self.ended = True
            return False
        self.buffer += chunk
        return True

    def until(self, marker: bytes, sink: IO[bytes] | None, limit: int | None = None) -> bool:
        """Move everything before ``marker`` to ``sink`` (dropped when None) and consume the
        marker; False if the body ends first."""
        moved = 0
        while True:
            found = self.buffer.find(marker)
            if found >= 0:
                if sink is not None:
                    sink.write(self.buffer[:found])
                self.buffer = self.buffer[found + len(marker) :]
                return True
            keep = len(marker) - 1
            if len(self.buffer) > keep:
                flushed = self.buffer[: len(self.buffer) - keep]
                moved += len(flushed)
                if limit is not None and moved > limit:
                    raise MalformedMultipart("a part's headers are too long")
                if sink is not None:
                    sink.write(flushed)
                self.buffer = self.buffer[len(self.buffer) - keep :]
            if not self.fill():
                return False

    def until_delimiter(self, delimiter: bytes, sink: IO[bytes] | None) -> bool:
        """As `until`, for a delimiter: only one followed by ``--``, white space or a
        line break counts (``--B`` at the start of ``--Bx`` is content, as Go reads it)."""
        while self.until(delimiter, sink):
            after = self.take(2)
            self.buffer = after + self.buffer
            if after in (b"--", b"\r\n") or after[:1] in (b" ", b"\t") or not after:
                return True
            if sink is not None:
                sink.write(delimiter)
        return False

    def take(self, size: int) -> bytes:
        while len(self.buffer) < size and self.fill():
            pass
        data, self.buffer = self.buffer[:size], self.buffer[size:]
        return data


def split_multipart(body: IO[bytes], boundary: str) -> list[RawPart]:
    """Every part of the multipart ``body``; MalformedMultipart when it is not one."""
    return list(_parts(_Stream(body), boundary.encode("latin-1")))


def _parts(stream: _Stream, boundary: bytes) -> Iterator[RawPart]:
    delimiter = b"\r\n--" + boundary
    if not stream.until_delimiter(delimiter, None):
        raise MalformedMultipart("no multipart boundary in the body")
    while True:
        after = stream.take(2)
        if after == b"--":
            return  # the closing delimiter (an epilogue, if any, is ignored)
        if after != b"\r\n":
            # Transport padding (spaces, tabs) may stand before the line break.
            stream.buffer = after + stream.buffer
            padding = io.BytesIO()
            if not stream.until(b"\r\n", padding, MAX_HEADER_BYTES) or padding.getvalue().strip(
                b" \t"
            ):
                raise MalformedMultipart("malformed multipart delimiter line")
        headers = b""
        first = stream.take(2)
        if first != b"\r\n":  # not a part without headers
            stream.buffer = first + stream.buffer
            head = io.BytesIO()
            if not stream.until(b"\r\n\r\n", head, MAX_HEADER_BYTES):
                raise MalformedMultipart("a part's headers do not end")
            headers = head.getvalue()
        part = tempfile.SpooledTemporaryFile(SPOOL)  # noqa: SIM115 - handed to the runtime
        if not stream.until_delimiter(delimiter, part):
            part.close()
            raise MalformedMultipart("the multipart body does not end with its boundary")
        yield _described(headers, part)


def _described(headers: bytes, body: IO[bytes]) -> RawPart:
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        headers + b"\r\n\r\n", headersonly=True
    )
    encoding = str(message.get("Content-Transfer-Encoding", "")).strip().lower()
    if encoding in ("base64", "quoted-printable"):
        body = _decoded(body, encoding)
    body.seek(0)
    file_name = message.get_filename()
    form_name = message.get_param("name", header="content-disposition")
    form_data = message.get_content_disposition() == "form-data"
    return RawPart(
        body=body,
        content_type=str(message["Content-Type"]) if message["Content-Type"] else None,
        file_name=posixpath.basename(file_name) if file_name else None,
        form_name=str(form_name) if form_name and form_data else None,
    )


def _decoded(body: IO[bytes], encoding: str) -> IO[bytes]:
    """A part sent base64 or quoted-printable, decoded (such parts are rare and small)."""
    body.seek(0)
    data = body.read()
    body.close()
    try:
        plain = base64.b64decode(data) if encoding == "base64" else quopri.decodestring(data)
    except (binascii.Error, ValueError):
        plain = data
    decoded = tempfile.SpooledTemporaryFile(SPOOL)  # noqa: SIM115 - handed to the runtime
    decoded.write(plain)
    return decoded
