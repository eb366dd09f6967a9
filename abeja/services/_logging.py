"""``ABEJA_LOG=debug|info``: the SDK's own log lines on stderr, switched on without code.

The lines (never a header, so never a credential): at DEBUG one per attempt (method,
path without query, status or failure, attempt, milliseconds, request id); at INFO one
per retry decision (why, and how long it waits, or why it gives up).
"""

from __future__ import annotations

import logging
import os
import sys
from collections.abc import Mapping

from . import _constants as C

_LEVELS = {"debug": logging.DEBUG, "info": logging.INFO}
_handler: logging.Handler | None = None

logger = logging.getLogger(C.LOGGER_NAME)


def configure_from_environment(environ: Mapping[str, str] | None = None) -> None:
    """Send the SDK's log lines to stderr at the level ``ABEJA_LOG`` names (once)."""
    global _handler
    value = (os.environ if environ is None else environ).get(C.ENV_LOG, "").strip().lower()
    if not value:
        return
    level = _LEVELS.get(value)
    if level is None:
        raise ValueError(f"{C.ENV_LOG}={value!r}: use 'debug' or 'info'")
    if _handler is None:
        _handler = logging.StreamHandler(sys.stderr)
        _handler.setFormatter(logging.Formatter("%(asctime)s %(name)s %(levelname)s %(message)s"))
        logger.addHandler(_handler)
    logger.setLevel(level)
