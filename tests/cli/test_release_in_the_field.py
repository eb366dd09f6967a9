"""``rollout`` and ``rollback`` as a CI pipeline runs them: cancelled with SIGTERM, killed
outright, guarded by a command, racing someone else's switch. The real command, in a
subprocess, against the emulator; each test checks the exit status, what was printed, and
where the endpoint points afterwards."""

from __future__ import annotations

import json
import shlex
import signal
import sys
from pathlib import Path

import pytest

from abeja.services import Service, ServiceClient
from abeja.services.testing import ServiceEmulator

from ..dispositions import at_default
from .test_commands import run
from .test_release import _read_until, _rollout, _start, _target


def _services(client: ServiceClient, emulator: ServiceEmulator) -> dict[str, str]:
    return {s.service_id: str(s.status) for s in client.services.list(emulator.deployment_id)}


@pytest.mark.parametrize(("number", "status"), [(signal.SIGTERM, 143), (signal.SIGHUP, 129)])
def test_sigterm_and_sighup_roll_back_and_exit_128_plus_the_signal(
    emulator: ServiceEmulator, client: ServiceClient, old: Service, number: int, status: int
) -> None:
    with at_default(number):  # started under nohup, the child would inherit SIGHUP ignored
        process = _start(emulator, *_rollout(emulator, "--bake", "60"))
    _read_until(process, "bake: 1 request(s)")
    process.send_signal(number)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == status, stderr
    assert "restore: done" in stderr and "Traceback" not in stderr
    assert f"interrupted ({signal.Signals(number).name})" in stderr
    report = json.loads(stdout)
    assert report["outcome"] == "rolled_back"
    assert _target(client, emulator) == old.service_id
    assert _services(client, emulator) == {old.service_id: "READY"}


def test_a_killed_run_leaves_a_journal_that_rollback_restores_from(
    emulator: ServiceEmulator, client: ServiceClient, old: Service, tmp_path: Path
) -> None:
    journal = tmp_path / "rollout.json"
    process = _start(emulator, *_rollout(emulator, "--bake", "60", "--report", str(journal)))
    _read_until(process, "bake: 1 request(s)")
    process.send_signal(signal.SIGKILL)
    process.communicate(timeout=30)
    left = json.loads(journal.read_text())  # whole, though the process died mid-run
    assert left["outcome"] == "in_progress" and left["old_service_id"] == old.service_id
    new = left["new_service_id"]
    assert _target(client, emulator) == new

    back = run(emulator, "rollback", emulator.deployment_id, "--report", str(journal),
               "--cleanup", "delete")  # fmt: skip
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["outcome"] == "rolled_back"
    assert _target(client, emulator) == old.service_id
    assert _services(client, emulator) == {old.service_id: "READY"}

    again = run(emulator, "rollback", emulator.deployment_id, "--report", str(journal),
                "--cleanup", "delete")  # fmt: skip
    assert again.returncode == 0, again.stderr  # already done: the cleanup's 404 is success


def test_rollback_to_honours_cleanup(
    emulator: ServiceEmulator, client: ServiceClient, old: Service
) -> None:
    done = run(emulator, *_rollout(emulator, "--bake", "0", "--retire", "keep"))
    new = json.loads(done.stdout)["new_service_id"]
    back = run(emulator, "rollback", emulator.deployment_id, "--to", old.service_id,
               "--cleanup", "delete")  # fmt: skip
    assert back.returncode == 0, back.stderr
    assert _target(client, emulator) == old.service_id
    assert new not in _services(client, emulator)


def test_model_and_recording_are_carried_or_given(
    emulator: ServiceEmulator, client: ServiceClient, old: Service
) -> None:
    done = run(emulator, *_rollout(emulator, "--bake", "0", "--model-id", "4444444444444",
               "--record-channel-id", "5678901234567"))  # fmt: skip
    assert done.returncode == 0, done.stderr
    new = client.services.get(emulator.deployment_id, json.loads(done.stdout)["new_service_id"])
    assert new.models == {"alias": "4444444444444"} and new.record_channel_id == "5678901234567"
    planned = run(emulator, *_rollout(emulator, "--plan"))
    assert "model_id carried '4444444444444'" in planned.stderr
    assert "record_channel_id carried '5678901234567'" in planned.stderr


def test_a_guard_command_that_fails_rolls_back_with_its_last_line(
    emulator: ServiceEmulator, client: ServiceClient, old: Service
) -> None:
    guard = "echo checking alarms; echo 'alarm HighLatency is ALARM'; exit 1"
    failed = run(emulator, *_rollout(emulator, "--bake", "1", "--guard-cmd", guard))
    assert failed.returncode == 3, failed.stderr
    report = json.loads(failed.stdout)
    assert report["outcome"] == "rolled_back"
    assert "alarm HighLatency is ALARM" in report["reason"]
    assert _target(client, emulator) == old.service_id


def test_a_guard_command_sees_the_runs_ids(
    emulator: ServiceEmulator, client: ServiceClient, old: Service, tmp_path: Path
) -> None:
    seen = tmp_path / "seen"
    guard = f"echo $ABEJA_ROLLOUT_OLD_SERVICE_ID $ABEJA_ROLLOUT_NEW_SERVICE_ID >> {seen}"
    done = run(emulator, *_rollout(emulator, "--bake", "0.4", "--guard-cmd", guard))
    assert done.returncode == 0, done.stderr
    new = json.loads(done.stdout)["new_service_id"]
    assert seen.read_text().splitlines()[0] == f"{old.service_id} {new}"


def test_someone_elses_switch_mid_bake_exits_10_and_is_left_standing(
    emulator: ServiceEmulator, client: ServiceClient, old: Service
) -> None:
    theirs = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    theirs = theirs.wait_until_ready()
    # A colleague's switch, made while the bake runs (by the guard, at the first round).
    command = ["endpoints", "update", emulator.deployment_id, "default"]
    switch = shlex.join([sys.executable, "-m", "abeja.services.cli", *command,
                         "--service-id", theirs.service_id])  # fmt: skip
    stopped = run(emulator, *_rollout(emulator, "--bake", "2", "--guard-cmd",
                                      f"{switch} > /dev/null"))  # fmt: skip
    assert stopped.returncode == 10, stopped.stderr
    assert json.loads(stopped.stdout)["outcome"] == "conflict"
    assert "someone else" in stopped.stderr and "endpoints get" in stopped.stderr
    assert _target(client, emulator) == theirs.service_id
    assert _services(client, emulator)[old.service_id] == "READY"  # not retired


def test_a_rollout_with_no_smoke_request_says_what_the_bake_watches(
    emulator: ServiceEmulator, client: ServiceClient, old: Service
) -> None:
    command = [a for a in _rollout(emulator, "--bake", "0.2") if a not in ("--smoke-json",)]
    command.remove('{"text": "hello"}')
    done = run(emulator, *command)
    assert done.returncode == 0, done.stderr
    assert "smoke: warning: no smoke request" in done.stderr
    assert "watches only its status, its log and the guards" in done.stderr
