"""Progress for people watching a long call: ``wait_until_ready(progress=...)`` and
``rollouts.run(progress=...)`` show the status (or the step) and the elapsed time.

``progress=None`` (the default) shows it in a Jupyter notebook, where a call that says
nothing for minutes looks hung, and not in a script. The display is tqdm's (a widget in a
notebook, a line in a terminal): an optional extra, ``pip install 'abeja-services[notebook]'``;
``progress=True`` without it raises an ImportError that says so.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import Any

_EXTRA = "pip install 'abeja-services[notebook]'"


def in_notebook() -> bool:
    """Whether this runs in a Jupyter kernel (IPython's ZMQ shell)."""
    shell = sys.modules.get("IPython")
    get = getattr(shell, "get_ipython", None)
    return get is not None and type(get()).__name__ == "ZMQInteractiveShell"


class Progress:
    """One display: ``show(text)`` replaces its text; the elapsed time runs by itself."""

    def __init__(self, bar: Any) -> None:
        self._bar = bar

    def show(self, text: str) -> None:
        """Show ``text`` beside the elapsed time."""
        self._bar.set_description_str(text, refresh=True)

    def close(self) -> None:
        """End the display (it stays on screen)."""
        self._bar.close()


def check_progress(progress: object) -> None:
    """A TypeError, before anything is done, unless ``progress`` is True, False or None."""
    if progress is not None and not isinstance(progress, bool):
        raise TypeError("progress must be True, False or None (None: in a notebook)")


def _tqdm(progress: bool | None) -> Any:
    """tqdm's class when ``progress`` asks for a display (None: only in a notebook)."""
    check_progress(progress)
    asked = progress is True
    if not (asked or (progress is None and in_notebook())):
        return None
    try:
        from tqdm.auto import tqdm  # type: ignore[import-untyped, unused-ignore]
    except ImportError:
        if asked:
            raise ImportError(f"progress=True needs tqdm: {_EXTRA}") from None
        return None  # a notebook without tqdm: no display, rather than an error
    return tqdm


def progress_for(progress: bool | None, what: str) -> Progress | None:
    """A display for ``progress`` (None: only in a notebook), or None for none."""
    tqdm = _tqdm(progress)
    if tqdm is None:
        return None
    bar = tqdm(total=None, desc=what, bar_format="{desc} ({elapsed})", leave=True)
    return Progress(bar)


class ByteProgress:
    """A file read through a bar of bytes sent: ``read`` counts, a rewind starts over."""

    mode = "rb"
    """A binary file (requests reads it to measure the body)."""

    def __init__(self, file: Any, bar: Any) -> None:
        self._file = file
        self._bar = bar

    def read(self, size: int = -1) -> bytes:
        """Read, and count what was read."""
        data: bytes = self._file.read(size)
        self._bar.update(len(data))
        return data

    def seek(self, offset: int, whence: int = 0) -> int:
        """Seek; the bar follows the position."""
        position: int = self._file.seek(offset, whence)
        self._bar.n = position
        self._bar.refresh()
        return position

    def tell(self) -> int:
        """The position in the file."""
        return int(self._file.tell())

    def seekable(self) -> bool:
        """Whether the file can be rewound (for a resend)."""
        return bool(self._file.seekable())

    def fileno(self) -> int:
        """The file's descriptor (its size is read from it)."""
        return int(self._file.fileno())

    def close(self) -> None:
        """End the bar (it stays on screen); the file is its owner's to close."""
        self._bar.close()


def byte_progress(progress: bool | None, file: Any, total: int, what: str) -> Any:
    """``file`` read through a bar of ``total`` bytes when ``progress`` asks for one, else
    ``file`` as it is."""
    tqdm = _tqdm(progress)
    if tqdm is None:
        return file
    bar = tqdm(total=total, desc=what, unit="B", unit_scale=True, unit_divisor=1024)
    return ByteProgress(file, bar)


@contextlib.contextmanager
def shown_while_waiting(
    progress: bool | None, service_id: str, on_status: Callable[[Any], object] | None
) -> Iterator[Callable[[Any], object] | None]:
    """A waiter's ``on_status`` that also shows each status (when ``progress`` says so)."""
    display = progress_for(progress, f"{service_id}: waiting until READY")
    if display is None:
        yield on_status
        return

    def shown(service: Any) -> None:
        display.show(f"{service.service_id}: {service.status}")
        if on_status is not None:
            on_status(service)

    try:
        yield shown
    finally:
        display.close()
