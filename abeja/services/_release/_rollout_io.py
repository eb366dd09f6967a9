"""A rollout's I/O as values, and the two drivers that carry it out.

The rollout's steps (``_rollout_run``, ``_bake``) are generators: each request to the API
and each pause is yielded as a `Call` or a `Pause`, and its answer (or its error) is sent
back in. The same steps, undo stack and bake therefore run on either client: `drive`
performs them with the sync managers, `drive_async` awaits them with the async ones.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Generator
from dataclasses import dataclass, field
from typing import Any, Generic, Literal, TypeVar

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


@dataclass(frozen=True)
class Invoke:
    """A call of the user's own function (a guard): ``function(*args)``; on the async
    client an awaitable it returns is awaited."""

    function: Callable[..., Any]
    args: tuple[Any, ...] = ()

    def __call__(self, managers: Managers) -> Any:
        return self.function(*self.args)


Op = Call | Pause | Invoke
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


class _Exchange(Generic[_T]):
    """Where a driver is in ``steps``: the next op, the answer or error to hand back."""

    def __init__(self, steps: Steps[_T]) -> None:
        self._steps = steps
        self._answer: Any = None
        self._failure: BaseException | None = None
        self.result: _T | None = None
        self.finished = False
        """The steps have returned or raised: nothing more can be handed to them."""

    def next(self) -> Op | None:
        """The next op to perform, or None once the steps have returned (``result``)."""
        try:
            if self._failure is None:
                op = self._steps.send(self._answer)
            else:
                op = self._steps.throw(self._failure)
        except StopIteration as done:
            self.finished = True
            self.result = done.value
            return None
        except BaseException:
            self.finished = True
            raise
        self._answer, self._failure = None, None
        return op

    def answered(self, answer: Any) -> None:
        """The op's answer, sent in at the next ``next``."""
        self._answer = answer

    def failed(self, error: BaseException) -> None:
        """The op's error, raised in the steps at the next ``next``."""
        self._failure = error


def drive(steps: Steps[_T], managers: Managers) -> _T:
    """Run ``steps`` to the end, performing each op as it comes (sync client).

    A Ctrl-C (or a signal raised as one) lands wherever the main thread is: in an op, in
    the steps, or here between them; wherever it lands, the steps are handed it, so they
    unwind, rather than being left suspended (and later closed by the garbage collector).
    """
    exchange = _Exchange(steps)
    while not exchange.finished:
        try:
            op = exchange.next()
            if op is not None:
                exchange.answered(op(managers))
        except BaseException as error:  # noqa: BLE001 - handed to the steps (Ctrl-C too)
            if exchange.finished:
                raise
            exchange.failed(error)
    return exchange.result  # type: ignore[return-value]


async def drive_async(steps: Steps[_T], managers: Managers) -> _T:
    """Run ``steps`` to the end, awaiting each op as it comes (async client); a task
    cancelled mid-call has the ``CancelledError`` handed to the steps, which unwind."""
    exchange = _Exchange(steps)
    while not exchange.finished:
        try:
            op = exchange.next()
            if op is None:
                break
            answer = op(managers)
            if isinstance(op, Invoke):  # a user's guard may be a plain function
                if inspect.isawaitable(answer):
                    answer = await answer
                exchange.answered(answer)
                continue
            pending: Awaitable[Any] = answer
            exchange.answered(await pending)
        except BaseException as error:  # noqa: BLE001 - handed to the steps (cancel too)
            if exchange.finished:
                raise
            exchange.failed(error)
    return exchange.result  # type: ignore[return-value]
