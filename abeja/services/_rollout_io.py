"""A rollout's I/O as values, and the two drivers that carry it out.

The rollout's steps (``_rollout_run``, ``_bake``) are generators: each request to the API
and each pause is yielded as a `Call` or a `Pause`, and its answer (or its error) is sent
back in. The same steps, undo stack and bake therefore run on either client: `drive`
performs them with the sync managers, `drive_async` awaits them with the async ones.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Literal, TypeVar

_T = TypeVar("_T")


@dataclass(frozen=True)
class Call:
    """One call of a manager: ``client.<manager>.<method>(*args, **kwargs)``."""

    manager: Literal["services", "endpoints"]
    method: str
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)

    def __call__(self, managers: Managers) -> Any:
        target = managers.services if self.manager == "services" else managers.endpoints
        return getattr(target, self.method)(*self.args, **self.kwargs)


@dataclass(frozen=True)
class Pause:
    """A wait of ``seconds``, on the client's own sleep."""

    seconds: float

    def __call__(self, managers: Managers) -> Any:
        return managers.sleep(self.seconds)


Op = Call | Pause
Steps = Generator[Op, Any, _T]
"""Steps that yield ops, are sent each op's answer, and return a ``_T``."""


@dataclass(frozen=True)
class Managers:
    """What the ops act on: one client's ``services``, ``endpoints`` and sleep."""

    services: Any
    endpoints: Any
    sleep: Callable[[float], Any]


def services(method: str, *args: Any, **kwargs: Any) -> Call:
    """``client.services.<method>(...)`` as an op."""
    return Call("services", method, args, kwargs)


def endpoints(method: str, *args: Any, **kwargs: Any) -> Call:
    """``client.endpoints.<method>(...)`` as an op."""
    return Call("endpoints", method, args, kwargs)


def drive(steps: Steps[_T], managers: Managers) -> _T:
    """Run ``steps`` to the end, performing each op as it comes (sync client)."""
    answer: Any = None
    failure: BaseException | None = None
    while True:
        try:
            op = steps.send(answer) if failure is None else steps.throw(failure)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        answer, failure = None, None
        try:
            answer = op(managers)
        except BaseException as error:  # noqa: BLE001 - handed to the steps (Ctrl-C too)
            failure = error


async def drive_async(steps: Steps[_T], managers: Managers) -> _T:
    """Run ``steps`` to the end, awaiting each op as it comes (async client); a task
    cancelled mid-call has the ``CancelledError`` handed to the steps, which unwind."""
    answer: Any = None
    failure: BaseException | None = None
    while True:
        try:
            op = steps.send(answer) if failure is None else steps.throw(failure)
        except StopIteration as done:
            return done.value  # type: ignore[no-any-return]
        answer, failure = None, None
        try:
            pending: Awaitable[Any] = op(managers)
            answer = await pending
        except BaseException as error:  # noqa: BLE001 - handed to the steps (cancel too)
            failure = error
