"""A rollout's bake: the new service serves through the endpoint, under watch.

Every ``interval`` seconds the smoke requests are replayed through the endpoint's own
route (as the deployment's users reach it), the new service's status is read, its log is
read forward from where the bake began (real users' failures show there), and the guards
are asked; then the endpoint is read again (a bake that no longer measures the run's own
service is a conflict, not a success: read after the guards, so a switch made while they
ran is seen before the bake ends). A threshold crossed, or a guard that says so, is a
breach.
"""

from __future__ import annotations

import inspect
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from .. import _constants as C
from ..errors import Error, RolloutConflict, RolloutError
from ..models import Endpoint, LogPage, Service
from ._rollout_io import Call, Invoke, Pause, Steps, endpoints, services

if TYPE_CHECKING:
    from .._api._answers import PredictResponse
    from ._rollout_steps import Run

Guard = Callable[..., Any]
"""A user's check, called with the run's report every bake interval: ``None``/``True`` is
healthy; ``False``, a non-empty ``str`` (the reason) or an exception is a breach."""


def guard_name(guard: Guard) -> str:
    """What a report calls a guard: its ``name``, its ``__name__``, or its repr."""
    name = getattr(guard, "name", None) or getattr(guard, "__name__", None)
    return str(name) if name else repr(guard)


def check_guards(guards: object, *, awaits: bool) -> list[Guard]:
    """The guards as a list of callables (a TypeError before anything is sent); ``async def``
    guards only where the client ``awaits`` them."""
    if callable(guards) or isinstance(guards, (str, bytes)):
        raise TypeError("guards must be a list of callables")
    checked: list[Guard] = list(guards)  # type: ignore[call-overload]
    for number, guard in enumerate(checked, 1):
        if not callable(guard):
            raise TypeError(f"guard {number} is not callable")
        if not awaits and inspect.iscoroutinefunction(guard):
            raise TypeError(
                f"guard {number} ({guard_name(guard)}) is an async function: the sync client "
                "cannot await it (use AsyncServiceClient, or a plain function)"
            )
    return checked


def verdict_of(guard: Guard, answer: object) -> str | None:
    """A guard's answer as a breach's reason, or None when healthy."""
    if answer is None or answer is True or answer == "":
        return None
    if answer is False:
        return f"guard {guard_name(guard)}: unhealthy"
    if isinstance(answer, str):
        return f"guard {guard_name(guard)}: {answer}"
    raise TypeError(
        f"guard {guard_name(guard)} returned {type(answer).__name__}: give None, a bool or a str"
    )


def _count(name: str, value: object) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"{name} must be a whole number, 0 or more")
    return value


def _bound(name: str, value: float | None, high: float) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"{name} must be a number")
    if not (0 <= value <= high) or math.isnan(value):
        raise ValueError(f"{name} must be between 0 and {high:g}")
    return float(value)


@dataclass(frozen=True)
class BakeLimits:
    """How long the bake lasts, how often it looks, and what counts as a breach."""

    seconds: float
    interval: float
    max_errors: int
    max_error_rate: float | None
    max_p95_latency: float | None
    max_log_errors: int

    @classmethod
    def checked(cls, **values: Any) -> BakeLimits:
        """Limits whose values were checked (raises ValueError/TypeError before sending)."""
        return cls(
            seconds=values["seconds"],
            interval=values["interval"],
            max_errors=_count("max_errors", values["max_errors"]),
            max_error_rate=_bound("max_error_rate", values["max_error_rate"], 1.0),
            max_p95_latency=_bound("max_p95_latency", values["max_p95_latency"], 86_400.0),
            max_log_errors=_count("max_log_errors", values["max_log_errors"]),
        )

    def describe(self) -> str:
        """One line: the bake as planned."""
        if self.seconds == 0:
            return "no bake (bake=0)"
        limits = [f"at most {self.max_errors} failed request(s)"]
        if self.max_error_rate is not None:
            limits.append(f"error rate at most {self.max_error_rate:.1%}")
        if self.max_p95_latency is not None:
            limits.append(f"p95 latency at most {self.max_p95_latency:g} s")
        limits.append(f"at most {self.max_log_errors} error line(s) in the log")
        return (
            f"bake {self.seconds:g} s, replaying the smoke requests every "
            f"{self.interval:g} s: " + ", ".join(limits)
        )


def p95(latencies: list[float]) -> float | None:
    """The 95th percentile by nearest rank (None for no samples)."""
    if not latencies:
        return None
    ordered = sorted(latencies)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def is_error_line(message: str) -> bool:
    """Whether a log line counts as an error (a traceback, ``ERROR``...)."""
    return any(marker in message for marker in C.ROLLOUT_ERROR_MARKERS)


@dataclass
class Bake:
    """One bake of a run."""

    run: Run
    new: Service
    requests: list[dict[str, Any]]
    check: Callable[[PredictResponse], bool]
    limits: BakeLimits
    guards: list[Guard] = field(default_factory=list)
    sent: int = 0
    errors: int = 0
    log_errors: int = 0
    latencies: list[float] = field(default_factory=list)
    first_error: str | None = None
    _token: str | None = None

    def execute(self) -> Steps[None]:
        """Bake for ``limits.seconds``; a Breach as soon as a threshold is crossed."""
        run, limits = self.run, self.limits
        if limits.seconds == 0:
            run.note("bake", "skipped", "bake=0: switched without a bake")
            return
        with run.step("bake", limits.describe()) as step:
            with run.within():
                first: LogPage = yield self._log_page(None)
            self._token = first.next_forward_token
            end = run.clock() + limits.seconds
            while True:
                yield from self._round()
                step.figures.update(self.figures())
                breach = self.breach() or (yield from self._ask_guards())
                if breach is not None:
                    step.detail = breach
                    raise RolloutError(breach)
                yield from self._still_serving()
                run.emit("bake", "progress", self.summary(), step.figures)
                left = end - run.clock()
                if left <= 0:
                    break
                run.remaining()  # the run's deadline ends the bake too
                yield Pause(min(limits.interval, left))
            step.detail = self.summary()

    def _log_page(self, token: str | None) -> Call:
        return services(
            "logs", self.run.deployment_id, self.new.service_id, next_forward_token=token
        )

    def _round(self) -> Steps[None]:
        run = self.run
        route = None if run.alias == C.DEFAULT_ALIAS else run.alias
        for request in self.requests:
            started = run.clock()
            try:
                with run.within():
                    answer: PredictResponse = yield endpoints(
                        "predict", run.deployment_id, endpoint=route, **request
                    )
                ok = self.check(answer)
                failure = None if ok else f"the check refused an answer ({answer.status_code})"
            except Error as error:
                failure = str(error).splitlines()[0]
            self.sent += 1
            self.latencies.append(run.clock() - started)
            if failure is not None:
                self.errors += 1
                self.first_error = self.first_error or failure
        with run.within():
            now: Service = yield services("get", run.deployment_id, self.new.service_id)
            page: LogPage = yield self._log_page(self._token)
        if now.status != "READY":
            self.first_error = f"{self.new.service_id} is {now.status}, not READY"
            self.errors = max(self.errors, self.limits.max_errors + 1)
        self._token = page.next_forward_token or self._token
        self.log_errors += sum(1 for event in page.events if is_error_line(event.message))

    def _still_serving(self) -> Steps[None]:
        """The endpoint read at the end of each round, after the guards (a guard's own
        switch, or one made while they ran, is seen before the bake ends)."""
        run = self.run
        with run.within():
            serving: Endpoint = yield endpoints("get", run.deployment_id, run.endpoint)
        if serving.service_id != self.new.service_id:
            raise RolloutConflict(
                f"{run.alias} points at {serving.service_id}, not at {self.new.service_id} "
                "(switched by someone else during the bake): the bake no longer measures "
                "this run's service"
            )

    def _ask_guards(self) -> Steps[str | None]:
        """Each guard in turn; the first breach it reports (or raises), or None."""
        for guard in self.guards:
            try:
                answer = yield Invoke(guard, (self.run.report,))
                reason = verdict_of(guard, answer)
            except Exception as error:  # noqa: BLE001 - a guard that raises is a breach
                text = str(error).splitlines()[0] if str(error) else ""
                reason = f"guard {guard_name(guard)} raised {type(error).__name__}: {text}"
            if reason is not None:
                return reason
        return None

    def figures(self) -> dict[str, bool | int | float | str | None]:
        """Requests, errors, error lines and latency so far."""
        latency = p95(self.latencies)
        return {
            "requests": self.sent,
            "errors": self.errors,
            "error_rate": round(self.errors / self.sent, 4) if self.sent else 0.0,
            "log_errors": self.log_errors,
            "p95_latency": None if latency is None else round(latency, 6),
        }

    def summary(self) -> str:
        """One line: the figures so far."""
        f = self.figures()
        latency = "-" if f["p95_latency"] is None else f"{f['p95_latency']:.3f} s"
        return (
            f"{f['requests']} request(s), {f['errors']} failed, "
            f"{f['log_errors']} error line(s), p95 {latency}"
        )

    def breach(self) -> str | None:
        """Which threshold was crossed, or None."""
        limits = self.limits
        if self.errors > limits.max_errors:
            return f"{self.errors} failed request(s) (max {limits.max_errors}): {self.first_error}"
        if limits.max_error_rate is not None and self.sent:
            rate = self.errors / self.sent
            if rate > limits.max_error_rate:
                return f"error rate {rate:.1%} above {limits.max_error_rate:.1%}"
        latency = p95(self.latencies)
        if (
            limits.max_p95_latency is not None
            and latency is not None
            and (latency > limits.max_p95_latency)
        ):
            return f"p95 latency {latency:.3f} s above {limits.max_p95_latency:g} s"
        if self.log_errors > limits.max_log_errors:
            return f"{self.log_errors} error line(s) in the log (max {limits.max_log_errors})"
        return None
