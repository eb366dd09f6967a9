"""Rollouts as a real team's pipeline meets them: a service with a trained model and request
recording, colleagues and other runs switching the endpoint or stopping services mid-run,
signals, a journal to recover from, guards, and a model that loads after READY.

Every test runs on both clients against the emulator and asserts where the endpoint points,
which services are left in which state, and what the report says. "Someone else" is a
second sync client acting on the same emulator while the run goes on (from ``on_event``).
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from abeja.exceptions import InternalServerError, ServiceUnavailable, WaitTimeoutError
from abeja.services import RolloutEvent, RolloutInterrupted, RolloutReport, ServiceClient
from abeja.services.testing import FakeClock, ServiceEmulator

from ..clients import KINDS, emulated_client
from ..dispositions import at_default
from .test_rollouts import FLAKY, GOOD, OTHER, SMOKE, Release

MODEL, RETRAINED, CHANNEL, OTHER_CHANNEL = (
    "3333333333333",
    "4444444444444",
    "5678901234567",
    "7654321098765",
)


class FieldRelease(Release):
    """The deployment as a team has it: the old service carries a trained model and records
    its requests; ``colleague`` is someone else's client on the same deployment."""

    def __init__(self, client: Any, emulator: ServiceEmulator, colleague: ServiceClient) -> None:
        self.colleague = colleague
        super().__init__(client, emulator)

    def _old_service_options(self) -> dict[str, Any]:
        return {"model_id": MODEL, "record_channel_id": CHANNEL}

    def status(self, service_id: str | None) -> str | None:
        return self.services().get(service_id or "")

    def theirs(self, version_id: str = OTHER) -> str:
        """A READY service of someone else's (not behind any endpoint)."""
        made = self.colleague.services.create(self.deployment, version_id=version_id)
        return made.wait_until_ready().service_id


@pytest.fixture(params=KINDS)
def release(
    request: pytest.FixtureRequest, abeja_emulator: ServiceEmulator, abeja_clock: FakeClock
) -> Iterator[FieldRelease]:
    timing = {"clock": abeja_clock.monotonic, "sleep": abeja_clock.sleep}
    with (
        emulated_client("sync", abeja_emulator, **timing) as colleague,
        emulated_client(request.param, abeja_emulator, **timing) as client,
    ):
        yield FieldRelease(client, abeja_emulator, colleague)


def _at(step: str, state: str, action: Callable[[], object]) -> Callable[[RolloutEvent], None]:
    """``on_event`` that runs ``action`` once, when ``step`` reaches ``state``."""
    fired: list[bool] = []

    def on_event(event: RolloutEvent) -> None:
        if event.step == step and event.state == state and not fired:
            fired.append(True)
            action()

    return on_event


def _colleagues_rollout(release: FieldRelease, outcome: list[RolloutReport]) -> Callable[[], None]:
    """Another CI job's whole rollout of the same endpoint (OTHER, no bake, old stopped),
    its report appended to ``outcome``."""

    def job() -> None:
        outcome.append(release.colleague.rollouts.run(
            release.deployment, version_id=OTHER, smoke=SMOKE, bake=0, retire="stop"
        ))  # fmt: skip

    return job


def _created_body(release: Release, number: int = -1) -> dict[str, Any]:
    bodies = [json.loads(r.body) for r in release.emulator.requests if r.route == "create"]
    return bodies[number]  # type: ignore[no-any-return]


# -- 1, 2: what the new service carries -------------------------------------------------------


def test_the_trained_model_and_the_request_recording_are_carried_over(
    release: FieldRelease,
) -> None:
    report = release.run()
    assert report.outcome == "completed"
    new = release.client.services.get(release.deployment, report.new_service_id)
    assert new.models == {"alias": MODEL}
    assert new.record_channel_id == CHANNEL
    assert new.user_env_vars == {"MODEL_SIZE": "large"}
    sent = _created_body(release)
    assert sent["models"] == {"alias": MODEL} and sent["record_channel_id"] == CHANNEL
    assert sent["instance_number"] == 2 and sent["instance_type"] == "cpu-0.25"


def test_a_retrained_model_on_the_same_version_is_rolled_out(release: FieldRelease) -> None:
    report = release.run(
        version_id=release.emulator.version_id,  # the old service's own code version
        model_id=RETRAINED,
        record_channel_id=OTHER_CHANNEL,
    )
    assert report.outcome == "completed"
    new = release.client.services.get(release.deployment, report.new_service_id)
    assert new.models == {"alias": RETRAINED} and new.record_channel_id == OTHER_CHANNEL
    assert new.model_version_id == release.old.model_version_id
    assert release.target() == new.service_id


def test_a_plan_shows_every_carried_and_changed_field(release: FieldRelease) -> None:
    report = release.run(plan=True, model_id=RETRAINED, instance_type="cpu-1")
    create = report.step("create")
    assert create is not None and create.status == "planned"
    shown = create.figures
    assert shown["model_id"] == f"changed '{MODEL}' -> '{RETRAINED}'"
    assert shown["record_channel_id"] == f"carried '{CHANNEL}'"
    assert shown["instance_type"] == "changed 'cpu-0.25' -> 'cpu-1'"
    assert shown["environment"] == "carried {'MODEL_SIZE': 'large'}"
    assert shown["version_id"] == f"changed '{release.emulator.version_id}' -> '{GOOD}'"
    assert set(shown) >= {"instance_number", "min_instance_number", "enable_autoscale"}
    assert release.writes() == []


@pytest.mark.parametrize("options", [{"model_id": "../x"}, {"record_channel_id": "a/b"}])
def test_bad_carried_over_ids_are_refused_before_anything_is_sent(
    release: FieldRelease, options: dict[str, Any]
) -> None:
    with pytest.raises(ValueError):
        release.run(**options)
    assert release.emulator.count() == 0


# -- 3-6: act only on what the run did, and only while it is as it left it --------------------


def test_an_old_service_stopped_mid_bake_is_never_restored_onto(release: FieldRelease) -> None:
    old = release.old.service_id
    stop_old = _at(
        "bake", "started", lambda: release.colleague.services.stop(release.deployment, old)
    )
    report = release.run(version_id=FLAKY, on_event=stop_old)  # breaches in the bake

    assert report.outcome == "conflict"
    assert "failed request" in (report.reason or "") and "not READY" in (report.reason or "")
    new = report.new_service_id
    assert release.target() == new  # left on the new service, which serves...
    assert release.status(new) == "READY"  # ...and was not deleted
    assert release.status(old) == "STOPPED"
    assert ("restore", "failed") in [(s.name, s.status) for s in report.steps]


def test_an_endpoint_switched_by_someone_else_mid_bake_stops_the_run(
    release: FieldRelease,
) -> None:
    theirs = release.theirs()
    switch = _at(
        "bake",
        "progress",
        lambda: release.colleague.endpoints.switch(release.deployment, "default", theirs),
    )
    report = release.run(on_event=switch)

    assert report.outcome == "conflict"
    assert theirs in (report.reason or "") and "during the bake" in (report.reason or "")
    assert release.target() == theirs  # their switch stands
    assert release.status(release.old.service_id) == "READY"  # not retired
    assert release.status(report.new_service_id) is None  # the run's own, cleaned up
    bake = report.step("bake")
    assert bake is not None and bake.status == "failed"


def test_a_rollback_never_overwrites_someone_elses_switch(release: FieldRelease) -> None:
    theirs = release.theirs()

    def switch_then_ctrl_c() -> None:
        release.colleague.endpoints.switch(release.deployment, "default", theirs)
        raise KeyboardInterrupt

    with pytest.raises(RolloutInterrupted) as raised:
        release.run(on_event=_at("bake", "started", switch_then_ctrl_c))
    report = raised.value.report
    assert report.outcome == "conflict" and "left there" in (report.reason or "")
    assert release.target() == theirs
    assert release.status(release.old.service_id) == "READY"
    assert release.status(report.new_service_id) is None


def test_rollback_from_a_report_leaves_an_endpoint_someone_else_switched(
    release: FieldRelease,
) -> None:
    done = release.run(retire="keep", bake=0)
    theirs = release.theirs()
    release.colleague.endpoints.switch(release.deployment, "default", theirs)
    back = release.client.rollouts.rollback(release.deployment, report=done, cleanup="delete")
    assert back.outcome == "conflict" and theirs in (back.reason or "")
    assert release.target() == theirs
    assert release.status(done.new_service_id) == "READY"  # nothing of the run's was touched


def test_a_second_rollout_that_switched_first_makes_the_first_stop(release: FieldRelease) -> None:
    """Two CI jobs of one endpoint: B reads the endpoint, A completes (switch, retire of the
    old service), then B reaches its switch: B stops, the endpoint stays on A's service."""
    outcome: list[RolloutReport] = []
    job_a = _colleagues_rollout(release, outcome)

    report_b = release.run(on_event=_at("create", "started", job_a))
    (report_a,) = outcome
    assert report_a.outcome == "completed"
    assert report_b.outcome == "conflict" and "not switching" in (report_b.reason or "")
    assert release.target() == report_a.new_service_id
    assert release.services() == {
        release.old.service_id: "STOPPED",  # A retired it
        report_a.new_service_id: "READY",
    }  # B's own service was cleaned up, and B touched nothing of A's


def test_a_rollout_that_takes_over_mid_bake_is_detected_and_nothing_serves_a_stopped_service(
    release: FieldRelease,
) -> None:
    """A starts while B bakes: A switches B's service out and retires it; B notices at its
    next round and leaves the endpoint on A's service (READY)."""
    outcome: list[RolloutReport] = []
    job_a = _colleagues_rollout(release, outcome)

    report_b = release.run(on_event=_at("bake", "progress", job_a))
    (report_a,) = outcome
    assert report_a.outcome == "completed" and report_b.outcome == "conflict"
    target = release.target()
    assert target == report_a.new_service_id and release.status(target) == "READY"
    assert release.status(release.old.service_id) == "READY"  # B never retired it
    assert release.status(report_b.new_service_id) is None


def test_the_old_service_is_not_retired_while_another_endpoint_points_at_it(
    release: FieldRelease,
) -> None:
    release.colleague.endpoints.create(
        release.deployment, service_id=release.old.service_id, custom_alias="canary"
    )
    report = release.run(bake=0)
    assert report.outcome == "completed"
    assert "canary" in (report.reason or "")
    assert release.status(release.old.service_id) == "READY"
    assert release.target() == report.new_service_id


# -- 7: signals -------------------------------------------------------------------------------


@pytest.mark.parametrize("number", [signal.SIGTERM, signal.SIGHUP])
def test_sigterm_and_sighup_roll_back_like_ctrl_c(release: FieldRelease, number: int) -> None:
    def send() -> None:
        # Only once the run has taken the signal over: otherwise it would end pytest.
        assert signal.getsignal(number) is not signal.SIG_DFL, "the run did not take it over"
        os.kill(os.getpid(), number)

    with at_default(number):
        with pytest.raises(RolloutInterrupted) as raised:
            release.run(on_event=_at("bake", "progress", send))
        assert signal.getsignal(number) is signal.SIG_DFL  # given back
    assert raised.value.signal == number
    report = raised.value.report
    assert report.outcome == "rolled_back"
    assert signal.Signals(number).name in (report.reason or "")
    assert release.target() == release.old.service_id
    assert release.services() == {release.old.service_id: "READY"}


def test_under_nohup_sighup_stays_ignored_and_the_run_completes(release: FieldRelease) -> None:
    """SIGHUP ignored when the run starts (``nohup``): the run leaves it so, and a hangup
    during the bake changes nothing."""
    sent: list[int] = []

    def send() -> None:
        if not sent:
            sent.append(signal.SIGHUP)
            os.kill(os.getpid(), signal.SIGHUP)

    previous = signal.signal(signal.SIGHUP, signal.SIG_IGN)
    try:
        report = release.run(on_event=_at("bake", "progress", send))
        assert signal.getsignal(signal.SIGHUP) is signal.SIG_IGN
    finally:
        signal.signal(signal.SIGHUP, previous)
    assert sent and report.outcome == "completed"


# -- 8, 9: the journal, and rolling back from it ----------------------------------------------


def test_the_journal_is_a_whole_report_after_every_step(
    release: FieldRelease, tmp_path: Path
) -> None:
    journal = tmp_path / "rollout.json"
    seen: list[dict[str, Any]] = []

    def read(event: RolloutEvent) -> None:
        if event.state in ("ok", "progress") and journal.exists():
            seen.append(json.loads(journal.read_text()))

    report = release.run(report_path=journal, on_event=read)
    assert report.outcome == "completed"
    assert RolloutReport.model_validate_json(journal.read_text()) == report
    during = [s for s in seen if s["outcome"] == "in_progress"]
    assert during and all(s["old_service_id"] == release.old.service_id for s in during)
    in_bake = [s for s in during if any(step["name"] == "bake" for step in s["steps"])] or [
        s for s in during if s["new_service_id"]
    ]
    assert in_bake[-1]["new_service_id"] == report.new_service_id
    assert [p.name for p in tmp_path.iterdir()] == ["rollout.json"]  # no temporary left


def test_a_killed_run_is_rolled_back_from_its_journal(
    release: FieldRelease, tmp_path: Path
) -> None:
    journal = tmp_path / "rollout.json"

    class Killed(BaseException):
        """The process dies: no unwinding, nothing more written."""

    def kill() -> None:
        raise Killed

    with pytest.raises(Killed):
        release.run(report_path=journal, on_event=_at("bake", "progress", kill))
    left = RolloutReport.model_validate_json(journal.read_text())
    assert left.outcome == "in_progress" and left.new_service_id is not None
    assert release.target() == left.new_service_id  # the kill left the new version serving

    back = release.client.rollouts.rollback(release.deployment, report=left, cleanup="delete")
    assert back.outcome == "rolled_back"
    assert release.target() == release.old.service_id
    assert release.services() == {release.old.service_id: "READY"}


def test_rollback_to_honours_cleanup(release: FieldRelease) -> None:
    done = release.run(retire="keep", bake=0)
    back = release.client.rollouts.rollback(
        release.deployment, to_service_id=release.old.service_id, cleanup="delete"
    )
    assert back.outcome == "rolled_back"
    assert release.target() == release.old.service_id
    assert release.status(done.new_service_id) is None


def test_rollback_of_a_run_that_already_rolled_back_succeeds(release: FieldRelease) -> None:
    failed = release.run(version_id=FLAKY)
    assert failed.outcome == "rolled_back"  # its new service is deleted already
    back = release.client.rollouts.rollback(release.deployment, report=failed, cleanup="delete")
    assert back.outcome == "rolled_back"
    assert release.target() == release.old.service_id


def test_a_report_path_in_no_folder_is_refused_before_anything_is_sent(
    release: FieldRelease, tmp_path: Path
) -> None:
    with pytest.raises(ValueError, match="folder"):
        release.run(report_path=tmp_path / "missing" / "r.json")
    with pytest.raises(ValueError, match="folder"):
        release.run(report_path=tmp_path)
    assert release.emulator.count() == 0


# -- 10: guards, and a bake with nothing to watch ---------------------------------------------


def test_a_guard_that_reports_a_reason_rolls_back(release: FieldRelease) -> None:
    calls: list[RolloutReport] = []

    def alarms(report: RolloutReport) -> str | None:
        calls.append(report)
        return "p95 alarm in ALARM" if len(calls) == 3 else None

    report = release.run(guards=[alarms])
    assert report.outcome == "rolled_back"
    assert "guard alarms: p95 alarm in ALARM" in (report.reason or "")
    assert len(calls) == 3 and calls[0].new_service_id == report.new_service_id
    assert release.target() == release.old.service_id


@pytest.mark.parametrize(
    ("answer", "reason"),
    [(False, "guard unhealthy_guard: unhealthy"), (RuntimeError("metrics down"), "metrics down")],
)
def test_a_guard_that_says_false_or_raises_is_a_breach(
    release: FieldRelease, answer: object, reason: str
) -> None:
    def unhealthy_guard(report: RolloutReport) -> bool:
        if isinstance(answer, Exception):
            raise answer
        return bool(answer)

    report = release.run(guards=[unhealthy_guard])
    assert report.outcome == "rolled_back" and reason in (report.reason or "")
    assert release.target() == release.old.service_id


def test_healthy_guards_are_asked_every_interval(release: FieldRelease) -> None:
    asked: list[str] = []
    report = release.run(guards=[lambda r: asked.append("a"), lambda r: asked.append("b") or True])
    assert report.outcome == "completed"
    assert asked == ["a", "b"] * 7  # at 0, 5, ..., 30 s


def test_a_switch_made_while_the_last_rounds_guards_run_is_a_conflict(
    release: FieldRelease,
) -> None:
    """The endpoint is read after the guards: someone else's switch during the bake's last
    round (here by the guard itself, at 30 s) stops the run instead of passing unseen."""
    theirs = release.theirs()
    asked: list[RolloutReport] = []

    def switching_guard(report: RolloutReport) -> None:
        asked.append(report)
        if len(asked) == 7:  # the last round: at 0, 5, ..., 30 s
            release.colleague.endpoints.switch(release.deployment, "default", theirs)

    report = release.run(guards=[switching_guard])
    assert len(asked) == 7
    assert report.outcome == "conflict", report.reason
    assert release.target() == theirs  # their switch stands
    assert release.status(release.old.service_id) == "READY"  # not retired


def test_guards_must_be_callables(release: FieldRelease) -> None:
    with pytest.raises(TypeError, match="guard 1 is not callable"):
        release.run(guards=["not callable"])
    with pytest.raises(TypeError, match="guards must be a list"):
        release.run(guards=lambda report: None)
    assert release.emulator.count() == 0


def test_a_rollout_with_no_smoke_request_warns(release: FieldRelease) -> None:
    events: list[RolloutEvent] = []
    report = release.run(smoke=[], bake=10, on_event=events.append)
    assert report.outcome == "completed"
    warnings = [e for e in events if e.state == "warning"]
    assert len(warnings) == 1 and "watches only" in warnings[0].message
    assert report.warnings == [warnings[0].message]


def test_real_users_failures_during_the_bake_are_caught_from_the_log(
    release: FieldRelease,
) -> None:
    """The smoke request passes; a user's request through the endpoint makes the new
    version raise: the bake sees its traceback in the log and rolls back."""

    def user_request() -> None:
        with pytest.raises(InternalServerError):  # the user sees the failure...
            release.colleague.endpoints.predict(release.deployment, json={"user": "bad input"})

    report = release.run(version_id=FLAKY_FOR_USERS, on_event=_at("bake", "progress", user_request))
    assert report.outcome == "rolled_back" and "error line" in (report.reason or "")
    assert release.target() == release.old.service_id


# -- readiness: a model that loads after READY -------------------------------------------------

SLOW, FLAKY_FOR_USERS = "ver-slow-model", "ver-fails-users"


def fails_users(request: Any, context: Any) -> dict[str, Any]:
    if "user" in json.loads(request.read()):
        raise ValueError("cannot score this input")
    return {"status_code": 200, "content_type": "application/json", "content": {"ok": True}}


@pytest.fixture(autouse=True)
def _users_version(abeja_emulator: ServiceEmulator) -> None:
    abeja_emulator.add_deployment(abeja_emulator.deployment_id, {FLAKY_FOR_USERS: fails_users})


@pytest.fixture
def slow_model(abeja_emulator: ServiceEmulator) -> None:
    """SLOW: READY, then its model loads for 90 s (the proxy answers 503 meanwhile)."""
    abeja_emulator.add_deployment(abeja_emulator.deployment_id, {SLOW: None}, load_delay=90.0)


@pytest.mark.usefixtures("slow_model")
def test_the_smoke_step_waits_while_the_model_loads(release: FieldRelease) -> None:
    events: list[RolloutEvent] = []
    report = release.run(version_id=SLOW, on_event=events.append)
    assert report.outcome == "completed", report.reason
    assert any("loading" in e.message for e in events if e.step == "smoke")
    assert release.target() == report.new_service_id


@pytest.mark.usefixtures("slow_model")
def test_a_model_that_never_loads_is_rolled_back_at_the_deadline(release: FieldRelease) -> None:
    report = release.run(version_id=SLOW, deadline=60)
    assert report.outcome == "rolled_back" and "deadline" in (report.reason or "")
    assert release.target() == release.old.service_id


@pytest.mark.usefixtures("slow_model")
def test_wait_until_ready_with_a_probe_returns_once_the_model_answers(
    release: FieldRelease, abeja_clock: FakeClock
) -> None:
    service = release.client.services.create(release.deployment, version_id=SLOW)
    ready = service.wait_until_ready()  # READY: the model has not loaded yet
    with pytest.raises(ServiceUnavailable):
        ready.predict(json={"text": "too early"})

    started = abeja_clock.monotonic()
    again = release.client.services.wait_until_ready(
        release.deployment, service.service_id, probe={"json": {"text": "hello"}}
    )
    assert again.is_ready and abeja_clock.monotonic() - started >= 89
    answered = [r.status for r in release.emulator.requests if r.route == "predict"]
    assert answered[-1] == 200 and set(answered[1:-1]) == {503}
    assert answered.count(200) == 1  # one answer, once loaded: the probe stops there


@pytest.mark.usefixtures("slow_model")
def test_a_probe_that_never_gets_an_answer_times_out_with_the_service(
    release: FieldRelease,
) -> None:
    service = release.client.services.create(release.deployment, version_id=SLOW)
    with pytest.raises(WaitTimeoutError, match="probe") as raised:
        service.wait_until_ready(timeout=30, probe={"json": {}})
    assert raised.value.service is not None and raised.value.service.is_ready


def test_a_probe_refused_by_the_model_ends_the_wait_at_once(release: FieldRelease) -> None:
    service = release.client.services.create(release.deployment, version_id=FLAKY_FOR_USERS)
    with pytest.raises(InternalServerError):
        service.wait_until_ready(probe={"json": {"user": "bad"}})
    assert release.emulator.count("predict") == 1


@pytest.mark.parametrize("probe", [{"jsn": {}}, ["json"]])
def test_a_bad_probe_is_refused_before_anything_is_sent(release: FieldRelease, probe: Any) -> None:
    release.emulator.forget_requests()
    with pytest.raises((TypeError, ValueError), match="probe"):
        release.client.services.wait_until_ready(release.deployment, "ser-abc", probe=probe)
    assert release.emulator.count() == 0


def test_an_async_guard_is_awaited_by_the_async_client_and_refused_by_the_sync_one(
    release: FieldRelease,
) -> None:
    asked: list[str | None] = []

    async def latency_alarm(report: RolloutReport) -> str | None:
        await asyncio.sleep(0)
        asked.append(report.new_service_id)
        return "latency alarm" if len(asked) == 2 else None

    if isinstance(release.client, ServiceClient):
        with pytest.raises(TypeError, match="async function"):
            release.run(guards=[latency_alarm])
        assert release.emulator.count() == 0
        return
    report = release.run(guards=[latency_alarm])
    assert report.outcome == "rolled_back" and "guard latency_alarm: latency alarm" in (
        report.reason or ""
    )
    assert asked == [report.new_service_id] * 2
