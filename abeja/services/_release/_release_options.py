"""A release's options, checked once for ``rollouts.run`` and ``rollouts.deploy`` on
either client (a bad one raises before anything is sent, or archived)."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from typing_extensions import TypedDict

from .._api._answers import PredictResponse
from .._api._validation import check_path_id, check_wait
from ..rollout_report import RolloutEvent
from ._bake import BakeLimits, Guard, check_guards
from ._rollout_journal import checked_path

Check = Callable[[PredictResponse], bool]
Compare = Callable[[PredictResponse, PredictResponse], bool]
Retire = Literal["keep", "stop", "delete"]
_SMOKE_KEYS = frozenset({"json", "data", "content_type", "timeout"})


class RolloutOptions(TypedDict, total=False):
    """``rollouts.deploy``'s rollout options: those of ``rollouts.run``, same meaning."""

    endpoint: str
    smoke: Sequence[Mapping[str, object]]
    check: Check | None
    shadow: bool
    compare: Compare | None
    bake: float
    bake_interval: float
    max_errors: int
    max_error_rate: float | None
    max_p95_latency: float | None
    max_log_errors: int
    retire: Retire
    cleanup: Retire
    deadline: float
    instance_type: str | None
    instance_number: int | None
    environment: dict[str, str] | None
    model_id: str | None
    record_channel_id: str | None
    guards: Sequence[Guard]
    report_path: str | os.PathLike[str] | None
    plan: bool
    on_event: Callable[[RolloutEvent], object] | None
    progress: bool | None


def _ok(response: PredictResponse) -> bool:
    return 200 <= response.status_code < 300


def _same(new: PredictResponse, old: PredictResponse) -> bool:
    return new.status_code == old.status_code and new.content == old.content


def _check_smoke(smoke: Sequence[Mapping[str, object]]) -> list[dict[str, object]]:
    if isinstance(smoke, (str, bytes, Mapping)):
        raise TypeError("smoke must be a list of predict() keyword arguments")
    checked = []
    for number, request in enumerate(smoke, 1):
        if not isinstance(request, Mapping):
            raise TypeError(f"smoke request {number} must be a dict of predict() arguments")
        unknown = set(request) - _SMOKE_KEYS
        if unknown:
            raise ValueError(
                f"smoke request {number}: unknown {sorted(unknown)}; use {sorted(_SMOKE_KEYS)}"
            )
        checked.append(dict(request))
    return checked


def choice(name: str, value: str, allowed: tuple[str, ...]) -> str:
    """``value``, or a ValueError naming ``name`` and what is allowed."""
    if value not in allowed:
        raise ValueError(f"{name} must be one of {', '.join(allowed)}, not {value!r}")
    return value


@dataclass(frozen=True)
class ReleaseOptions:
    """The checked options of one release."""

    endpoint: str
    requests: list[dict[str, Any]]
    check: Check
    shadow: bool
    compare: Compare
    limits: BakeLimits
    guards: list[Guard]
    retire: str
    cleanup: str
    deadline: float
    overrides: dict[str, Any]
    journal: Path | None
    plan: bool
    on_event: Callable[[RolloutEvent], object] | None
    progress: bool | None

    @classmethod
    def checked(cls, awaits: bool, **options: Any) -> ReleaseOptions:
        """The options of ``RolloutOptions`` (each with ``rollouts.run``'s default)."""
        unknown = set(options) - set(RolloutOptions.__annotations__)
        if unknown:
            raise TypeError(f"unknown rollout option(s): {', '.join(sorted(unknown))}")
        get = options.get
        endpoint = check_path_id("endpoint", get("endpoint", "default"))
        overrides = {
            name: get(name)
            for name in ("instance_type", "instance_number", "environment", "model_id",
                         "record_channel_id")
        }  # fmt: skip
        for name in ("model_id", "record_channel_id"):
            if overrides[name] is not None:
                check_path_id(name, overrides[name])
        limits = BakeLimits.checked(
            seconds=check_wait("bake", get("bake", 60.0)),
            interval=check_wait("bake_interval", get("bake_interval", 5.0), zero=False),
            max_errors=get("max_errors", 0),
            max_error_rate=get("max_error_rate"),
            max_p95_latency=get("max_p95_latency"),
            max_log_errors=get("max_log_errors", 0),
        )
        retirements = ("keep", "stop", "delete")
        return cls(
            endpoint=endpoint,
            requests=_check_smoke(get("smoke", ())),
            check=get("check") or _ok,
            shadow=bool(get("shadow", False)),
            compare=get("compare") or _same,
            limits=limits,
            guards=check_guards(get("guards", ()), awaits=awaits),
            retire=choice("retire", get("retire", "stop"), retirements),
            cleanup=choice("cleanup", get("cleanup", "delete"), retirements),
            deadline=check_wait("deadline", get("deadline", 1800.0), zero=False),
            overrides=overrides,
            journal=checked_path(get("report_path")),
            plan=bool(get("plan", False)),
            on_event=get("on_event"),
            progress=get("progress"),
        )
