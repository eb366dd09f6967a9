"""The driver of a rollout's steps: a Ctrl-C that lands between two steps, in the driver
itself, is handed to the steps (they unwind), not left for the garbage collector to turn
into a ``GeneratorExit`` (as one run in a CI log showed: ``bake: FAILED: GeneratorExit``).

The interrupt is raised at one chosen line by a trace function: deterministic, where a
real signal lands wherever the main thread happens to be.
"""

from __future__ import annotations

import sys
from collections.abc import Generator
from types import FrameType
from typing import Any

import pytest

from abeja.services._release import _rollout_io
from abeja.services._release._rollout_io import Managers, Pause, drive


def _steps(seen: list[str]) -> Generator[Any, Any, str]:
    try:
        yield Pause(0)
        yield Pause(0)
    except KeyboardInterrupt:
        seen.append("unwound on KeyboardInterrupt")
        raise
    except GeneratorExit:
        seen.append("closed (GeneratorExit)")
        raise
    return "done"


def _interrupt_in_the_driver_after(sends: int) -> Any:
    """A tracer raising KeyboardInterrupt in ``_Exchange.next`` just after the steps have
    handed over their ``sends``-th op: in the driver's frame, not the steps'."""
    code = _rollout_io._Exchange.next.__code__
    count = 0

    def tracer(frame: FrameType, event: str, arg: object) -> Any:
        nonlocal count
        if frame.f_code is not code:
            return None

        def lines(frame: FrameType, event: str, arg: object) -> Any:
            nonlocal count
            if event == "line" and "return op" in _source_line(frame):
                count += 1
                if count == sends:
                    raise KeyboardInterrupt
            return lines

        return lines

    return tracer


def _source_line(frame: FrameType) -> str:
    import linecache

    return linecache.getline(frame.f_code.co_filename, frame.f_lineno)


def test_an_interrupt_in_the_driver_between_steps_is_handed_to_the_steps() -> None:
    seen: list[str] = []
    managers = Managers(services=None, endpoints=None, sleep=lambda seconds: None)
    steps = _steps(seen)
    previous = sys.gettrace()  # coverage's tracer, when the suite is measured
    sys.settrace(_interrupt_in_the_driver_after(1))
    try:
        with pytest.raises(KeyboardInterrupt):
            drive(steps, managers)
    finally:
        sys.settrace(previous)  # not None: that would stop coverage for every later test
    assert seen == ["unwound on KeyboardInterrupt"]


def test_steps_that_raise_end_the_drive_with_their_error() -> None:
    def failing() -> Generator[Any, Any, None]:
        yield Pause(0)
        raise ValueError("the steps' own error")

    managers = Managers(services=None, endpoints=None, sleep=lambda seconds: None)
    with pytest.raises(ValueError, match="the steps' own error"):
        drive(failing(), managers)


def test_steps_run_to_their_result() -> None:
    managers = Managers(services=None, endpoints=None, sleep=lambda seconds: None)
    assert drive(_steps([]), managers) == "done"
