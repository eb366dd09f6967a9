"""While an in-process handler runs: its output goes to its service's log and it sees its
service's environment variables, without changing what any other thread sees.

``sys.stdout``, ``sys.stderr``, ``warnings.showwarning``, a root-logger handler and
``os.environ`` are wrapped only while at least one handler runs (counted across
threads), and put back as they were afterwards. The wrappers act for the threads that
run a handler and pass everything else through, so the host process (its tests,
``subprocess``, ``faulthandler``) is not affected.
"""

from __future__ import annotations

import io
import logging
import os
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Mapping, MutableMapping
from typing import Any, TextIO

Sink = Callable[[str], None]

_local = threading.local()


def _sink() -> Sink | None:
    return getattr(_local, "sink", None)


def _overrides() -> Mapping[str, str] | None:
    return getattr(_local, "environ", None)


class _CapturingStream(io.TextIOBase):
    """Stands in for ``sys.stdout``/``sys.stderr``: a handler's thread writes to its log."""

    def __init__(self, wrapped: TextIO) -> None:
        self.wrapped = wrapped

    def write(self, text: str) -> int:
        sink = _sink()
        if sink is None:
            return self.wrapped.write(text)
        sink(text)
        return len(text)

    def flush(self) -> None:
        if _sink() is None:
            self.wrapped.flush()

    def fileno(self) -> int:
        return self.wrapped.fileno()

    def isatty(self) -> bool:
        return self.wrapped.isatty()

    def __getattr__(self, name: str) -> Any:
        # Anything else (buffer, encoding, ...) is the real stream's.
        return getattr(self.wrapped, name)


class _CapturingLogHandler(logging.Handler):
    """Log records made in a handler's thread, at whatever level its loggers let through."""

    def __init__(self) -> None:
        super().__init__()
        self.setFormatter(logging.Formatter("%(levelname)s:%(name)s:%(message)s"))

    def emit(self, record: logging.LogRecord) -> None:
        sink = _sink()
        if sink is not None and not _handled_below_root(record):
            sink(self.format(record) + "\n")


def _handled_below_root(record: logging.LogRecord) -> bool:
    """Whether a logger of the handler's own (not the root) has a handler for ``record``.

    In the runtime's process the root logger has no handler: a record reaches the log
    through the handler's own handlers (writing to the captured stdout or stderr) or, with
    none, through logging's last resort. Capturing it at the root as well would log it
    twice (object-detection's template logs through its own StreamHandler).
    """
    logger: logging.Logger | None = logging.getLogger(record.name)
    while logger is not None and logger is not logging.root:
        if any(record.levelno >= handler.level for handler in logger.handlers):
            return True
        if not logger.propagate:
            return True  # it goes no further: not to the root, not to the last resort
        logger = logger.parent
    return False


class _Environ(MutableMapping[str, str]):
    """``os.environ`` with a handler thread's service variables on top; writes go through."""

    def __init__(self, real: os._Environ[str]) -> None:
        self.real = real

    def _view(self) -> Mapping[str, str]:
        extra = _overrides()
        return self.real if extra is None else {**self.real, **extra}

    def __getitem__(self, key: str) -> str:
        return self._view()[key]

    def __setitem__(self, key: str, value: str) -> None:
        self.real[key] = value

    def __delitem__(self, key: str) -> None:
        del self.real[key]

    def __iter__(self) -> Iterator[str]:
        return iter(dict(self._view()))

    def __len__(self) -> int:
        return len(self._view())

    def copy(self) -> dict[str, str]:
        """A plain dict, as ``os.environ.copy()`` gives."""
        return dict(self._view())


class _Wrapping:
    """Installs the wrappers while handlers run and restores what it replaced."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._log_handler = _CapturingLogHandler()
        self._stdout: _CapturingStream | None = None
        self._stderr: _CapturingStream | None = None
        self._environ: _Environ | None = None
        self._showwarning: Any = None
        self._previous_showwarning: Any = None

    def __enter__(self) -> None:
        with self._lock:
            self._running += 1
            if self._running == 1:
                self._install()

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._running -= 1
            if self._running == 0:
                self._restore()

    def _show_warning(
        self, message: Any, category: Any, filename: str, lineno: int, *rest: Any
    ) -> None:
        sink = _sink()
        if sink is None:
            self._previous_showwarning(message, category, filename, lineno, *rest)
        else:
            sink(warnings.formatwarning(message, category, filename, lineno))

    def _install(self) -> None:
        self._stdout, self._stderr = _CapturingStream(sys.stdout), _CapturingStream(sys.stderr)
        self._environ = _Environ(os.environ)
        self._previous_showwarning = warnings.showwarning
        self._showwarning = self._show_warning
        sys.stdout, sys.stderr = self._stdout, self._stderr
        # Rebinding (not clearing) is the point: lookups see the thread's overlay.
        os.environ = self._environ  # type: ignore[assignment]  # noqa: B003
        warnings.showwarning = self._showwarning
        logging.getLogger().addHandler(self._log_handler)

    def _restore(self) -> None:
        # Only ours are taken back: whoever replaced one since keeps theirs.
        if self._stdout is not None and sys.stdout is self._stdout:
            sys.stdout = self._stdout.wrapped
        if self._stderr is not None and sys.stderr is self._stderr:
            sys.stderr = self._stderr.wrapped
        current: object = os.environ
        if self._environ is not None and current is self._environ:
            os.environ = self._environ.real  # noqa: B003
        if warnings.showwarning is self._showwarning:
            warnings.showwarning = self._previous_showwarning
        logging.getLogger().removeHandler(self._log_handler)
        self._stdout = self._stderr = self._environ = None


_wrapping = _Wrapping()


class captured:
    """``with captured(sink, environ):`` — this thread's output goes to ``sink`` and it sees
    ``environ`` on top of the process's environment."""

    def __init__(self, sink: Sink, environ: Mapping[str, str]) -> None:
        self._sink = sink
        self._environ = dict(environ)

    def __enter__(self) -> None:
        _local.sink = self._sink
        _local.environ = self._environ
        _wrapping.__enter__()

    def __exit__(self, *exc_info: object) -> None:
        _wrapping.__exit__()
        _local.sink = None
        _local.environ = None
