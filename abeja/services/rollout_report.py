"""What a rollout reports: its steps, each with timing and figures, and the events it emits.

The report is plain data built as the run goes (JSON with ``report.model_dump_json()``), so
the command line, a notebook and a test all read the same object.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "Outcome",
    "RolloutEvent",
    "RolloutInterrupted",
    "RolloutReport",
    "RolloutStep",
    "StepName",
    "StepStatus",
]

Outcome = Literal[
    "completed", "rolled_back", "rollback_failed", "conflict", "planned", "in_progress"
]
"""``completed``: the endpoint serves the new version; ``rolled_back``: it serves the old one
again (``reason`` says why); ``rollback_failed``: a step of the rollback failed too (the
endpoint may still point at the new service, which is READY and passed its smoke checks:
``rollback`` again); ``conflict``: someone else changed what the run acts on (the endpoint
was switched elsewhere, or the old service is no longer READY), so the run stopped without
touching it (``reason`` says what it found); ``planned``: a dry run, nothing was changed;
``in_progress``: the run was still going when this report was written (a journal, see
``report_path``)."""

StepName = Literal[
    "inspect", "version", "create", "wait", "smoke", "shadow", "switch", "endpoint", "bake",
    "retire", "restore", "cleanup",
]  # fmt: skip
"""The steps in the order a run takes them; ``restore`` and ``cleanup`` are the undo steps.
``version`` (the code uploaded) is a deploy's; ``endpoint`` (the first endpoint created,
instead of ``switch``) is a deploy's first release."""

StepStatus = Literal["ok", "failed", "skipped", "planned"]


class RolloutStep(BaseModel):
    """One step of a run: what it did, how long it took, and its figures."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    name: StepName
    """Which step."""
    status: StepStatus
    """``ok``, ``failed``, ``skipped`` (not needed) or ``planned`` (dry run)."""
    started_at: datetime
    """When it started (UTC)."""
    seconds: float = 0.0
    """How long it took."""
    detail: str = ""
    """What it did, or why it failed, in one line."""
    figures: dict[str, bool | int | float | str | None] = Field(default_factory=dict)
    """Counts and timings: requests sent, errors, p95 latency, the service id acted on."""


class RolloutReport(BaseModel):
    """The result of ``client.rollouts.run`` (or ``rollback``): outcome, services and steps."""

    model_config = ConfigDict(use_attribute_docstrings=True)

    outcome: Outcome
    """``completed``, ``rolled_back``, ``rollback_failed`` or ``planned``."""
    deployment_id: str
    """The deployment released in."""
    endpoint: str
    """The endpoint switched (its alias or id, as given)."""
    version_id: str | None
    """The version released (None for a ``rollback``)."""
    old_service_id: str | None = None
    """The service the endpoint pointed at when the run started."""
    new_service_id: str | None = None
    """The service created for the version (None if none was)."""
    reason: str | None = None
    """Why the run rolled back (or what failed after it completed)."""
    started_at: datetime
    """When the run started (UTC)."""
    seconds: float = 0.0
    """How long the run took in all."""
    steps: list[RolloutStep] = Field(default_factory=list)
    """Every step taken, in order, undo steps included."""
    warnings: list[str] = Field(default_factory=list)
    """What was worth a look while the run went on (no smoke request, a journal that could
    not be written)."""

    def step(self, name: StepName) -> RolloutStep | None:
        """The last step called ``name``, or None if the run did not take it."""
        return next((s for s in reversed(self.steps) if s.name == name), None)


@dataclass(frozen=True)
class RolloutEvent:
    """What a run tells ``on_event`` as it goes: a step started, progressed or ended."""

    step: StepName
    """The step."""
    state: Literal["started", "progress", "ok", "failed", "skipped", "planned", "warning"]
    """``started``, ``progress`` (a bake round), ``warning`` (worth a look, the run goes on),
    or how the step ended."""
    message: str
    """One line for a person."""
    elapsed: float
    """Seconds since the run started."""
    figures: dict[str, bool | int | float | str | None] = field(default_factory=dict)
    """The step's figures so far."""


class RolloutInterrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM, SIGHUP) arrived during a run; it was rolled back first.

    ``report`` says what was done; ``signal`` is the signal's number (2 for Ctrl-C), so a
    command can exit ``128 + signal`` as shells expect.
    """

    def __init__(self, report: RolloutReport, signal: int = 2) -> None:
        super().__init__("rollout interrupted: rolled back")
        self.report = report
        self.signal = signal

    def __reduce__(self) -> tuple[Any, ...]:
        return (type(self), (self.report, self.signal))
