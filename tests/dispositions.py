"""Signal dispositions for tests that send SIGTERM or SIGHUP.

A rollout takes over only the signals left at their default: a run under ``nohup``
inherits SIGHUP ignored, and keeps ignoring it (as ``nohup`` asks). Tests that send
these signals set them to the default first (so that they test what they mean to, however
the test run was started), and put back what was there.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Iterator


@contextlib.contextmanager
def at_default(*numbers: int) -> Iterator[None]:
    """Within: each of ``numbers`` at SIG_DFL (a child started here inherits that)."""
    previous = {number: signal.signal(number, signal.SIG_DFL) for number in numbers}
    try:
        yield
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)
