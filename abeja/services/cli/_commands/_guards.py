"""``rollout --guard-cmd CMD``: a command run every bake interval as a guard.

The command runs in a shell with the run's ids in its environment
(``ABEJA_ROLLOUT_DEPLOYMENT_ID``, ``ABEJA_ROLLOUT_ENDPOINT``, ``ABEJA_ROLLOUT_OLD_SERVICE_ID``,
``ABEJA_ROLLOUT_NEW_SERVICE_ID``); exit 0 is healthy, any other exit a breach whose reason
is the last line it printed. A command still running after ``GUARD_TIMEOUT`` seconds is a
breach too.
"""

from __future__ import annotations

import os
import subprocess
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ...rollout_report import RolloutReport

GUARD_TIMEOUT = 60.0


class CommandGuard:
    """A shell command as a rollout guard (see the module's text)."""

    def __init__(self, command: str, *, timeout: float = GUARD_TIMEOUT) -> None:
        self.name = command
        self.timeout = timeout

    def __call__(self, report: RolloutReport) -> str | None:
        """Run the command: None when it exits 0, else the reason for the breach."""
        environment = {
            **os.environ,
            "ABEJA_ROLLOUT_DEPLOYMENT_ID": report.deployment_id,
            "ABEJA_ROLLOUT_ENDPOINT": report.endpoint,
            "ABEJA_ROLLOUT_OLD_SERVICE_ID": report.old_service_id or "",
            "ABEJA_ROLLOUT_NEW_SERVICE_ID": report.new_service_id or "",
        }
        try:
            done = subprocess.run(  # noqa: S602 - the user's own command, as a shell runs it
                self.name,
                shell=True,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,  # one stream, in the order it was printed
                text=True,
                errors="replace",
                timeout=self.timeout,
                env=environment,
                stdin=subprocess.DEVNULL,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"still running after {self.timeout:g} s"
        except OSError as error:
            return f"could not be run: {error}"
        if done.returncode == 0:
            return None
        lines = [line for line in done.stdout.splitlines() if line.strip()]
        return lines[-1].strip() if lines else f"exit status {done.returncode}"
