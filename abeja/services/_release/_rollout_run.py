"""One rollout run's state: the report built as it goes (and its journal), the events, the
run's deadline, the undo stack and the unwinding on failure. The steps that act are in
``_rollout_steps``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime, timezone
from typing import Any

from .._http._types import Clock
from .._managers._progress import Progress
from ..errors import Error, HttpError, RolloutConflict, RolloutError
from ..rollout_report import (
    RolloutEvent,
    RolloutInterrupted,
    RolloutReport,
    RolloutStep,
    StepName,
)
from ._rollout_io import Steps
from ._rollout_journal import Journal
from ._rollout_signals import Terminated

Breach = RolloutError
"""A check failed or the run cannot go on: unwind (or, before any change, raise)."""


Conflict = RolloutConflict
"""Someone else changed what the run acts on: it stops, touching only what it still owns."""

Within = Callable[[float], contextlib.AbstractContextManager[None]]
"""The client's ``within(seconds)``: every call inside ends by then."""


def _now() -> datetime:
    return datetime.now(timezone.utc)


def describe(error: BaseException) -> str:
    """One line for a report: the SDK's message, or a foreign error's type and text."""
    if isinstance(error, Terminated):
        return str(error)
    if isinstance(error, (KeyboardInterrupt, RolloutInterrupted)):
        return "interrupted (Ctrl-C)"
    if type(error).__name__ == "CancelledError":
        return "cancelled"
    if isinstance(error, HttpError):
        return error.sentence()
    text = str(error).splitlines()[0] if str(error) else ""
    return text if isinstance(error, Error) else f"{type(error).__name__}: {text}"


class RunState:
    """The state of one run: the report, the undo stack, the deadline and the journal; its
    steps are `_rollout_steps.Run`'s."""

    def __init__(
        self,
        deployment_id: str,
        endpoint: str,
        version_id: str | None,
        *,
        clock: Clock,
        within: Within,
        interrupts: tuple[type[BaseException], ...],
        deadline: float,
        on_event: Callable[[RolloutEvent], object] | None,
        journal: Journal | None = None,
        progress: Progress | None = None,
    ) -> None:
        self.deployment_id = deployment_id
        self._progress = progress
        self.endpoint = endpoint
        self.clock = clock
        self._within = within
        self._interrupts = interrupts
        self._on_event = on_event
        self._started = self.clock()
        self._deadline_at = self._started + deadline
        self._undo: list[Callable[[], Steps[None]]] = []
        self._committed = False
        self.alias: str | None = None
        self._journal = journal
        self.signalled: str | None = None  # "SIGTERM": the async task was cancelled by it
        self.report = RolloutReport(
            outcome="in_progress",
            deployment_id=deployment_id,
            endpoint=endpoint,
            version_id=version_id,
            started_at=_now(),
        )

    # -- time, events, steps --------------------------------------------------------------

    def elapsed(self) -> float:
        """Seconds since the run started."""
        return self.clock() - self._started

    def remaining(self) -> float:
        """Seconds left before the run's deadline; a Breach once it has passed."""
        left = self._deadline_at - self.clock()
        if left <= 0:
            raise Breach("the rollout's deadline passed")
        return left

    def within(self) -> contextlib.AbstractContextManager[None]:
        """Calls inside end by the run's deadline."""
        return self._within(self.remaining())

    def emit(
        self,
        step: StepName,
        state: Any,
        message: str,
        figures: Mapping[str, bool | int | float | str | None] | None = None,
    ) -> None:
        """Tell ``on_event`` (and show it, with ``progress``)."""
        if self._progress is not None and state != "planned":
            self._progress.show(f"{step}: {message}")
        if self._on_event is not None:
            self._on_event(RolloutEvent(step, state, message, self.elapsed(), dict(figures or {})))

    def warn(self, step: StepName, message: str) -> None:
        """Something worth a look; the run goes on (``report.warnings``, an event)."""
        self.report.warnings.append(message)
        self.emit(step, "warning", message)

    def interrupted_by(self, signal_name: str) -> None:
        """A signal cancelled the run's task (async client): the report names it."""
        self.signalled = f"interrupted ({signal_name})"

    def save(self) -> None:
        """Write the journal, if the run keeps one (a failure to is a warning, once)."""
        if self._journal is None:
            return
        try:
            self._journal.write(self.report)
        except OSError as error:
            journal, self._journal = self._journal, None
            self.warn("inspect", f"the report could not be written to {journal.path}: {error}")

    @contextlib.contextmanager
    def step(self, name: StepName, message: str) -> Iterator[RolloutStep]:
        """A step of the report: timed, announced, marked failed if its body raises."""
        step = RolloutStep(name=name, status="ok", started_at=_now())
        self.report.steps.append(step)
        started = self.clock()
        self.emit(name, "started", message)
        try:
            yield step
        except BaseException as error:
            step.status = "failed"
            step.detail = step.detail or describe(error)
            raise
        finally:
            step.seconds = round(self.clock() - started, 6)
            self.save()
            self.emit(name, step.status, step.detail or message, step.figures)

    def note(self, name: StepName, status: Any, detail: str) -> None:
        """A step that took no time: skipped, or planned in a dry run."""
        self.report.steps.append(
            RolloutStep(name=name, status=status, started_at=_now(), detail=detail)
        )
        self.save()
        self.emit(name, status, detail)

    # -- the run --------------------------------------------------------------------------

    def execute(self, body: Steps[None], *, rolling_back: bool = False) -> Steps[RolloutReport]:
        """Run ``body``; on failure unwind the undo stack and report why.

        A failure before anything changed is raised as it is (nothing to report back).
        Ctrl-C (or, on the async client, the task cancelled) unwinds too, then is raised:
        as `RolloutInterrupted` with the report, or as the ``CancelledError`` itself.
        """
        try:
            yield from self._shown(body)
        except GeneratorExit:
            raise
        except Exception as error:  # noqa: BLE001 - any failure rolls back, then is reported
            if not self._undo:
                self.report.reason = describe(error)
                self._finish()
                raise
            yield from self._unwind(error)
        except BaseException as interrupt:
            if not isinstance(interrupt, self._interrupts):
                raise
            if self._committed:  # the new version serves: only retiring was cut short
                self.report.reason = f"{describe(interrupt)} while retiring the old service"
            else:
                yield from self._unwind(interrupt)
            self._finish()
            if isinstance(interrupt, KeyboardInterrupt):
                number = interrupt.number if isinstance(interrupt, Terminated) else 2
                raise RolloutInterrupted(self.report, number) from None
            raise
        else:
            if rolling_back and self.report.outcome == "in_progress":
                self.report.outcome = "rolled_back"
        return self._finish()

    def _shown(self, body: Steps[None]) -> Steps[None]:
        """``body``, its progress display closed when it ends, however it ends."""
        try:
            yield from body
        finally:
            if self._progress is not None:
                self._progress.close()

    def _finish(self) -> RolloutReport:
        if self.report.outcome == "in_progress":
            self.report.outcome = "completed"
        self.report.seconds = round(self.elapsed(), 6)
        self.save()
        return self.report

    def _unwind(self, cause: BaseException) -> Steps[None]:
        self.report.outcome = "conflict" if isinstance(cause, Conflict) else "rolled_back"
        self.report.reason = self.signalled or describe(cause)
        undo, self._undo = self._undo, []
        for action in reversed(undo):
            try:
                yield from action()
            except Conflict as conflict:  # left as found; the next undo step still runs
                if self.report.outcome != "rollback_failed":
                    self.report.outcome = "conflict"
                self.report.reason += f"; then {describe(conflict)}"
            except Exception as error:  # noqa: BLE001 - the next undo step still runs
                self.report.outcome = "rollback_failed"
                self.report.reason += f"; then {describe(error)}"
