"""Guarded rollouts against the emulator, every branch: each test asserts where the endpoint
points at the end, which services are left in which state, and what the report says."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from abeja.exceptions import HttpError, NotFound, RolloutError
from abeja.services import (
    RolloutEvent,
    RolloutInterrupted,
    RolloutReport,
    Service,
    ServiceClient,
)
from abeja.services.testing import FakeClock, ServiceEmulator

from ..clients import KINDS, emulated_client

GOOD, BROKEN, FLAKY, NOISY, OTHER = "ver-good", "ver-broken", "ver-flaky", "ver-noisy", "ver-other"
SMOKE = [{"json": {"text": "hello"}}]


def good(request: Any, context: Any) -> dict[str, Any]:
    return {"status_code": 200, "content_type": "application/json", "content": {"ok": True}}


def other(request: Any, context: Any) -> dict[str, Any]:
    return {"status_code": 200, "content_type": "application/json", "content": {"ok": "other"}}


def broken(request: Any, context: Any) -> dict[str, Any]:
    raise RuntimeError("model file missing")


class Flaky:
    """Answers its first ``good_calls`` requests, then raises (fails under traffic)."""

    def __init__(self, good_calls: int) -> None:
        self.calls = 0
        self.good_calls = good_calls

    def __call__(self, request: Any, context: Any) -> dict[str, Any]:
        self.calls += 1
        if self.calls > self.good_calls:
            raise RuntimeError("out of memory")
        return good(request, context)


def noisy(request: Any, context: Any) -> dict[str, Any]:
    print("ERROR: the feature store did not answer, using defaults")
    return good(request, context)


class Release:
    """The deployment as a rollout finds it: ``old`` READY behind the default endpoint."""

    def __init__(self, client: ServiceClient, emulator: ServiceEmulator) -> None:
        self.client, self.emulator = client, emulator
        self.deployment = emulator.deployment_id
        emulator.add_deployment(
            self.deployment,
            {GOOD: good, BROKEN: broken, FLAKY: Flaky(1), NOISY: noisy, OTHER: other},
        )
        self.old = client.services.create(
            self.deployment,
            version_id=emulator.version_id,
            instance_number=2,
            environment={"MODEL_SIZE": "large"},
            **self._old_service_options(),
        ).wait_until_ready()
        client.endpoints.create(self.deployment, service_id=self.old)
        emulator.forget_requests()

    def _old_service_options(self) -> dict[str, Any]:
        return {}

    def run(self, **options: Any) -> RolloutReport:
        options.setdefault("version_id", GOOD)
        options.setdefault("smoke", SMOKE)
        options.setdefault("bake", 30.0)
        return self.client.rollouts.run(self.deployment, **options)

    def target(self) -> str | None:
        return self.client.endpoints.get(self.deployment, "default").service_id

    def services(self) -> dict[str, str]:
        return {s.service_id: str(s.status) for s in self.client.services.list(self.deployment)}

    def new_services(self) -> list[Service]:
        return [
            s
            for s in self.client.services.list(self.deployment)
            if s.service_id != self.old.service_id
        ]

    def writes(self) -> list[tuple[str, str]]:
        return [(r.method, r.route) for r in self.emulator.requests if r.method != "GET"]


@pytest.fixture(params=KINDS)
def release(
    request: pytest.FixtureRequest, abeja_emulator: ServiceEmulator, abeja_clock: FakeClock
) -> Iterator[Release]:
    """Each test runs against both clients (the async one awaited, ``tests/clients.py``)."""
    with emulated_client(
        request.param, abeja_emulator, clock=abeja_clock.monotonic, sleep=abeja_clock.sleep
    ) as client:
        yield Release(client, abeja_emulator)


def _steps(report: RolloutReport) -> list[tuple[str, str]]:
    return [(s.name, s.status) for s in report.steps]


# -- success -------------------------------------------------------------------------------


def test_a_good_version_is_switched_to_baked_and_the_old_service_stopped(
    release: Release, abeja_clock: FakeClock
) -> None:
    events: list[RolloutEvent] = []
    report = release.run(on_event=events.append)

    assert report.outcome == "completed" and report.reason is None
    new = report.new_service_id
    assert new is not None and report.old_service_id == release.old.service_id
    assert release.target() == new
    assert release.services() == {release.old.service_id: "STOPPED", new: "READY"}
    assert _steps(report) == [
        ("inspect", "ok"),
        ("create", "ok"),
        ("wait", "ok"),
        ("smoke", "ok"),
        ("switch", "ok"),
        ("bake", "ok"),
        ("retire", "ok"),
    ]
    bake = report.step("bake")
    assert bake is not None and bake.figures["errors"] == 0
    assert bake.figures["requests"] == 7  # at 0, 5, ..., 30 s of the fake clock
    assert bake.seconds == pytest.approx(30.0)
    # One service created; the scaling and environment were copied from the old one.
    assert release.writes().count(("POST", "create")) == 1
    created = json.loads(next(r.body for r in release.emulator.requests if r.route == "create"))
    assert created["instance_number"] == 2 and created["environment"] == {"MODEL_SIZE": "large"}
    # Bake traffic went through the endpoint's own route, as users' does.
    assert release.emulator.count("predict_endpoint") == 7
    assert {e.step for e in events} >= {"create", "switch", "bake", "retire"}
    assert any(e.state == "progress" and e.step == "bake" for e in events)
    assert RolloutReport.model_validate_json(report.model_dump_json()) == report


@pytest.mark.parametrize(("retire", "left"), [("keep", "READY"), ("delete", None)])
def test_retire_keeps_or_deletes_the_old_service(
    release: Release, retire: str, left: str | None
) -> None:
    report = release.run(retire=retire, bake=0)
    assert report.outcome == "completed"
    assert release.target() == report.new_service_id
    assert release.services().get(release.old.service_id) == left
    assert ("bake", "skipped") in _steps(report)


def test_a_plan_reads_and_changes_nothing(release: Release) -> None:
    report = release.run(plan=True)
    assert report.outcome == "planned" and report.new_service_id is None
    assert release.writes() == []
    assert release.target() == release.old.service_id
    assert [s.status for s in report.steps[1:]] == ["planned"] * 6
    assert "instance_number" in (report.step("create") or report.steps[0]).detail


def test_a_create_answered_502_after_acting_still_makes_one_service(release: Release) -> None:
    release.emulator.inject("create", status=502, after=True)
    report = release.run()
    assert report.outcome == "completed"
    assert release.emulator.count("create") == 1
    assert len(release.new_services()) == 1
    assert release.target() == report.new_service_id


def test_a_create_refused_before_acting_changes_nothing_and_raises(release: Release) -> None:
    release.emulator.inject("create", status=502)  # not applied: nothing to find by listing
    with pytest.raises(HttpError, match="502") as raised:
        release.run()
    assert raised.value.may_have_applied is True  # a POST's 502: resolved by the listing
    assert release.emulator.count("create") == 1 and release.emulator.count("list") == 2
    assert release.new_services() == []
    assert release.target() == release.old.service_id


def test_an_endpoint_patch_answered_503_is_retried_and_the_run_completes(
    release: Release,
) -> None:
    release.emulator.inject("update_endpoint", status=503, times=2)
    report = release.run()
    assert report.outcome == "completed"
    assert release.emulator.count("update_endpoint") == 3
    assert release.target() == report.new_service_id


# -- rolled back -----------------------------------------------------------------------------


def _assert_rolled_back(release: Release, report: RolloutReport, reason: str) -> None:
    assert report.outcome == "rolled_back", report
    assert reason in (report.reason or "")
    assert release.target() == release.old.service_id
    # The old service was never touched (a shadow prediction aside); the new one was cleaned
    # up (deleted by default).
    assert release.services() == {release.old.service_id: "READY"}
    old_writes = [
        r for r in release.emulator.requests
        if r.method != "GET" and r.route != "predict" and release.old.service_id in r.path
    ]  # fmt: skip
    assert old_writes == []


@pytest.mark.abeja_ready_delay(3600)
def test_a_version_that_never_gets_ready_is_rolled_back(
    release: Release, abeja_ready_delay: float
) -> None:
    report = release.run(deadline=600)
    _assert_rolled_back(release, report, "READY")
    assert ("wait", "failed") in _steps(report)
    assert ("switch", "ok") not in _steps(report)


def test_a_failed_service_is_rolled_back(release: Release, abeja_emulator: ServiceEmulator) -> None:
    abeja_emulator.ready_delay = 60

    def fail_it(event: RolloutEvent) -> None:
        if event.step == "create" and event.state == "ok":
            abeja_emulator.fail_service(str(event.figures["service_id"]), "image pull failed")

    report = release.run(on_event=fail_it)
    _assert_rolled_back(release, report, "FAILED")
    assert _steps(report)[-1] == ("cleanup", "ok")


def test_a_handler_that_raises_fails_the_smoke_test(release: Release) -> None:
    report = release.run(version_id=BROKEN)
    _assert_rolled_back(release, report, "500")
    assert ("smoke", "failed") in _steps(report)
    assert release.emulator.count("update_endpoint") == 0  # never switched


def test_a_check_that_refuses_the_answer_fails_the_smoke_test(release: Release) -> None:
    report = release.run(check=lambda answer: answer.json() == {"ok": "something else"})
    _assert_rolled_back(release, report, "check refused")


def test_shadow_compares_the_answers_with_the_current_service(release: Release) -> None:
    compared: list[tuple[object, object]] = []

    def compare(new: Any, old: Any) -> bool:
        compared.append((new.json(), old.json()))
        return True

    same = release.run(version_id=OTHER, shadow=True, compare=compare, bake=0)
    assert same.outcome == "completed"
    assert compared == [({"ok": "other"}, {"echo": {"text": "hello"}, "model_version": "0.0.1"})]
    assert release.target() == same.new_service_id
    assert release.services() == {release.old.service_id: "STOPPED", same.new_service_id: "READY"}


def test_shadow_answers_that_differ_roll_back(release: Release) -> None:
    report = release.run(version_id=OTHER, shadow=True)
    _assert_rolled_back(release, report, "differ")
    assert ("shadow", "failed") in _steps(report)


def test_a_version_that_fails_under_traffic_is_caught_by_the_bake(release: Release) -> None:
    report = release.run(version_id=FLAKY)  # passes its one smoke request, then raises
    _assert_rolled_back(release, report, "failed request")
    assert _steps(report)[-3:] == [("bake", "failed"), ("restore", "ok"), ("cleanup", "ok")]
    bake = report.step("bake")
    assert bake is not None and bake.figures["errors"] == 1


def test_error_lines_in_the_log_breach_the_bake(release: Release) -> None:
    report = release.run(version_id=NOISY)
    _assert_rolled_back(release, report, "error line")


def test_the_bake_tolerates_what_the_thresholds_allow(release: Release) -> None:
    report = release.run(version_id=NOISY, max_log_errors=100)
    assert report.outcome == "completed"
    bake = report.step("bake")
    assert bake is not None and bake.figures["log_errors"] == 7  # seen, and tolerated
    assert release.target() == report.new_service_id


def test_an_endpoint_patch_answered_5xx_for_good_is_rolled_back(release: Release) -> None:
    release.emulator.inject("update_endpoint", status=503, times=None)
    report = release.run()
    _assert_rolled_back(release, report, "503")
    assert ("switch", "failed") in _steps(report)


def test_a_patch_that_applies_then_answers_500_for_good_is_still_rolled_back(
    release: Release,
) -> None:
    release.emulator.inject("update_endpoint", status=500, times=None, after=True)
    report = release.run()
    _assert_rolled_back(release, report, "500")
    assert ("restore", "ok") in _steps(report)


def test_the_run_deadline_rolls_back(release: Release, abeja_emulator: ServiceEmulator) -> None:
    report = release.run(deadline=20, bake=60)
    _assert_rolled_back(release, report, "deadline")


# -- Ctrl-C in each phase ----------------------------------------------------------------------


def _interrupt_at(step: str) -> Callable[[RolloutEvent], None]:
    fired: list[bool] = []

    def on_event(event: RolloutEvent) -> None:
        if event.step == step and event.state == "started" and not fired:
            fired.append(True)
            raise KeyboardInterrupt

    return on_event


@pytest.mark.parametrize("phase", ["inspect", "create", "wait", "smoke", "switch", "bake"])
def test_ctrl_c_in_any_phase_rolls_back_then_raises_with_the_report(
    release: Release, phase: str
) -> None:
    with pytest.raises(RolloutInterrupted) as raised:
        release.run(on_event=_interrupt_at(phase))
    report = raised.value.report
    assert isinstance(raised.value, KeyboardInterrupt)
    _assert_rolled_back(release, report, "interrupted")


def test_ctrl_c_while_retiring_leaves_the_release_completed(release: Release) -> None:
    with pytest.raises(RolloutInterrupted) as raised:
        release.run(on_event=_interrupt_at("retire"))
    report = raised.value.report
    assert report.outcome == "completed" and "retiring" in (report.reason or "")
    assert release.target() == report.new_service_id
    assert release.services() == {release.old.service_id: "READY", report.new_service_id: "READY"}


# -- rollback, arguments ---------------------------------------------------------------------


def test_rollback_switches_back_to_the_old_service_of_a_report(release: Release) -> None:
    done = release.run(retire="keep", bake=0)
    assert release.target() == done.new_service_id
    report = release.client.rollouts.rollback(release.deployment, report=done, cleanup="delete")
    assert report.outcome == "rolled_back"
    assert release.target() == release.old.service_id
    assert release.services() == {release.old.service_id: "READY"}


def test_rollback_refuses_a_target_that_is_not_ready(release: Release) -> None:
    done = release.run(bake=0)  # the old service is stopped
    with pytest.raises(RolloutError, match="not READY"):
        release.client.rollouts.rollback(release.deployment, to_service_id=release.old.service_id)
    assert release.target() == done.new_service_id


def test_an_endpoint_that_does_not_exist_raises_before_anything_changes(
    release: Release,
) -> None:
    with pytest.raises(NotFound):
        release.run(endpoint="nope")
    assert release.writes() == []


@pytest.mark.parametrize(
    "options",
    [
        {"smoke": {"json": {}}},
        {"smoke": [{"jsn": {}}]},
        {"bake": -1},
        {"bake": float("nan")},
        {"bake_interval": 0},
        {"max_error_rate": 2},
        {"max_errors": -1},
        {"retire": "archive"},
        {"deadline": float("inf")},
        {"version_id": "../x"},
        {"endpoint": "a/b"},
    ],
)
def test_bad_arguments_are_refused_before_anything_is_sent(
    release: Release, options: dict[str, Any]
) -> None:
    with pytest.raises((ValueError, TypeError)):
        release.run(**options)
    assert release.emulator.count() == 0
