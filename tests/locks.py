"""Locks between the test workers (pytest-xdist runs two processes): what builds a wheel
from this tree or fills a shared ``.cache/`` environment does it one worker at a time."""

from __future__ import annotations

import contextlib
import fcntl
from collections.abc import Iterator
from pathlib import Path

FOLDER = Path(__file__).resolve().parent.parent / ".cache" / "locks"


@contextlib.contextmanager
def exclusive(name: str) -> Iterator[None]:
    """Hold the lock ``name`` (a file under .cache/locks) for the body."""
    FOLDER.mkdir(parents=True, exist_ok=True)
    with open(FOLDER / f"{name}.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)
