"""A sync answer's ``Content-Encoding`` undone a chunk at a time (``decompress`` with
``max_length``, so a bomb cannot inflate past the cap): gzip, and deflate as servers send
it."""

from __future__ import annotations

import zlib
from typing import Any


def decoder_for(encoding: str) -> Any:
    """An inflater for a ``Content-Encoding`` (gzip, deflate), or None for another."""
    if encoding in ("gzip", "x-gzip"):
        return zlib.decompressobj(16 + zlib.MAX_WBITS)
    if encoding == "deflate":
        return _Deflate()
    return None


class _Deflate:
    """``deflate`` as servers send it: zlib-wrapped, or (as some do) raw."""

    def __init__(self) -> None:
        self._inner = zlib.decompressobj()
        self._first = True

    def decompress(self, data: bytes, max_length: int) -> bytes:
        if self._first:
            self._first = False
            try:
                return self._inner.decompress(data, max_length)
            except zlib.error:
                self._inner = zlib.decompressobj(-zlib.MAX_WBITS)
        return self._inner.decompress(data, max_length)

    @property
    def unconsumed_tail(self) -> bytes:
        return self._inner.unconsumed_tail

    @property
    def eof(self) -> bool:
        return self._inner.eof

    @property
    def unused_data(self) -> bytes:
        return self._inner.unused_data
