"""Running model handlers as the platform runtime does: request, context, captured output."""

from __future__ import annotations

import hashlib
import io
import json
import logging
import sys
import threading
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TextIO

from ._convert import HandlerResult, convert
from ._handler_request import PredictRequest

_capture = threading.local()


class _CapturingStream(io.TextIOBase):
    """Stands in for ``sys.stdout``/``sys.stderr``: a handler's thread writes to its service log."""

    def __init__(self, wrapped: TextIO) -> None:
        self.wrapped = wrapped

    def write(self, text: str) -> int:
        sink: Callable[[str], None] | None = getattr(_capture, "sink", None)
        if sink is None:
            return self.wrapped.write(text)
        sink(text)
        return len(text)

    def flush(self) -> None:
        if getattr(_capture, "sink", None) is None:
            self.wrapped.flush()

    def fileno(self) -> int:
        return self.wrapped.fileno()

    def isatty(self) -> bool:
        return self.wrapped.isatty()

    def __getattr__(self, name: str) -> Any:
        # Anything else (buffer, encoding, ...) is the real stream's.
        return getattr(self.wrapped, name)


class _CapturingLogHandler(logging.Handler):
    """Sends log records made in a handler's thread to that service's log."""

    def emit(self, record: logging.LogRecord) -> None:
        sink: Callable[[str], None] | None = getattr(_capture, "sink", None)
        if sink is not None:
            sink(f"{record.levelname} {record.name}: {record.getMessage()}\n")


_log_handler = _CapturingLogHandler()


class _Capture:
    """Wraps ``sys.stdout``/``sys.stderr`` and adds the log handler only while a handler
    runs (counted across threads), and puts the process back as it was afterwards."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running = 0
        self._wrappers: tuple[_CapturingStream, _CapturingStream] | None = None

    def __enter__(self) -> None:
        with self._lock:
            self._running += 1
            if self._running == 1:
                self._wrappers = (_CapturingStream(sys.stdout), _CapturingStream(sys.stderr))
                sys.stdout, sys.stderr = self._wrappers
                logging.getLogger().addHandler(_log_handler)

    def __exit__(self, *exc_info: object) -> None:
        with self._lock:
            self._running -= 1
            if self._running == 0 and self._wrappers is not None:
                out, err = self._wrappers
                # Only ours are taken back: whoever replaced them since keeps theirs.
                if sys.stdout is out:
                    sys.stdout = out.wrapped
                if sys.stderr is err:
                    sys.stderr = err.wrapped
                logging.getLogger().removeHandler(_log_handler)
                self._wrappers = None


_capturing = _Capture()


@dataclass
class PredictContext:
    """What a handler knows about where it runs."""

    organization_id: str
    deployment_id: str
    service_id: str
    version_id: str
    model_version: str
    environment: dict[str, str]
    logger: logging.Logger


def demo_handler(request: PredictRequest, context: PredictContext) -> dict[str, Any]:
    """The default model: echoes JSON, and describes any other body (size, sha256)."""
    if request.content_type.startswith("application/json"):
        payload = request.json()
        print(f"demo model {context.model_version}: received {type(payload).__name__}")
        content: dict[str, Any] = {"echo": payload, "model_version": context.model_version}
    else:
        digest = hashlib.sha256()
        size = 0
        for chunk in request.iter_chunks():
            digest.update(chunk)
            size += len(chunk)
        print(f"demo model {context.model_version}: received {size} bytes")
        content = {
            "content_type": request.content_type,
            "bytes": size,
            "sha256": digest.hexdigest(),
        }
    return {"status_code": 200, "content_type": "application/json", "content": content}


def run_handler(
    handler: Callable[[Any, Any], Any],
    request: PredictRequest,
    context: PredictContext,
    log: Callable[[str], None],
) -> HandlerResult:
    """Call a handler with its prints and log records going to ``log``, line by line.

    A handler exception (or a malformed answer) becomes a 500 whose traceback is logged.
    """
    pending: list[str] = []

    def sink(text: str) -> None:
        pending.append(text)
        joined = "".join(pending)
        *lines, rest = joined.split("\n")
        pending[:] = [rest] if rest else []
        for line in lines:
            if line.strip():
                log(line)

    _capture.sink = sink
    try:
        with _capturing:
            answer = handler(request, context)
        return convert(answer)
    except Exception as error:
        for line in traceback.format_exc().rstrip().splitlines():
            log(line)
        body = json.dumps(
            {
                "error": "internal_server_error",
                "error_description": f"{type(error).__name__}: {error}",
            }
        )
        return HandlerResult(500, "application/json", body.encode())
    finally:
        _capture.sink = None
        if pending and pending[0].strip():
            log(pending[0])
