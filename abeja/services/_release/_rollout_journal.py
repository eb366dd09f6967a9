"""A rollout's journal: its report written to a file after every step, atomically, so that a
run killed at any moment (SIGKILL, out of memory, a lost runner) leaves a whole JSON report
to roll back from (``rollback --report FILE``)."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from ..rollout_report import RolloutReport


def checked_path(value: object) -> Path | None:
    """``report_path`` as a Path whose folder exists (checked before anything is sent)."""
    if value is None:
        return None
    if not isinstance(value, (str, os.PathLike)):
        raise TypeError("report_path must be a path (str or pathlib.Path)")
    path = Path(value)
    if path.is_dir():
        raise ValueError(f"report_path {str(path)!r} is a folder; name a file")
    if not path.parent.is_dir():
        raise ValueError(f"report_path: no folder {str(path.parent)!r} to write the report in")
    return path


class Journal:
    """Writes a report to ``path``: a temporary file beside it, flushed, then renamed over it
    (a reader sees the previous report or the new one, never half of one)."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def write(self, report: RolloutReport) -> None:
        """Replace the file with ``report``; raises OSError if it cannot be written."""
        data = report.model_dump_json(indent=2).encode()
        handle, temporary = tempfile.mkstemp(prefix=f".{self.path.name}.", dir=self.path.parent)
        try:
            with os.fdopen(handle, "wb") as file:
                file.write(data + b"\n")
                file.flush()
                os.fsync(file.fileno())
            os.replace(temporary, self.path)
        except BaseException:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
            raise
