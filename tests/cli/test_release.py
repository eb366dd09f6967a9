"""``abeja-services endpoints``, ``rollout`` and ``rollback`` as people run them: subprocesses
(piped, and in a pseudo-terminal) against the emulator, checked on what they print, their
exit status, and where the endpoint points afterwards."""

from __future__ import annotations

import json
import signal
import subprocess
import time
from typing import Any

import pexpect
import pytest

from abeja.services import Service, ServiceClient
from abeja.services.testing import ServiceEmulator

from .conftest import BROKEN
from .test_commands import COMMAND, _environment, run


def _target(client: ServiceClient, emulator: ServiceEmulator) -> str | None:
    return client.endpoints.get(emulator.deployment_id, "default").service_id


def _rollout(emulator: ServiceEmulator, *extra: str) -> list[str]:
    return [
        "rollout",
        emulator.deployment_id,
        "--version",
        emulator.version_id,
        "--smoke-json",
        '{"text": "hello"}',
        "--bake-interval",
        "0.2",
        *extra,
    ]


def test_endpoint_commands(emulator: ServiceEmulator, client: ServiceClient) -> None:
    deployment = emulator.deployment_id
    first = client.services.create(deployment, version_id=emulator.version_id)
    second = client.services.create(deployment, version_id=emulator.version_id)

    created = run(emulator, "endpoints", "create", deployment, "--service-id", first.service_id)
    assert created.returncode == 0, created.stderr
    endpoint = json.loads(created.stdout)
    assert endpoint["custom_alias"] == "default" and endpoint["service_id"] == first.service_id

    table = run(emulator, "-o", "table", "endpoints", "list", deployment)
    assert table.stdout.splitlines()[0].split() == ["ENDPOINT_ID", "CUSTOM_ALIAS", "SERVICE_ID"]
    assert endpoint["endpoint_id"] in table.stdout

    switched = run(
        emulator, "endpoints", "update", deployment, "default", "--service-id", second.service_id
    )
    assert switched.returncode == 0, switched.stderr
    assert json.loads(switched.stdout)["service_id"] == second.service_id
    assert _target(client, emulator) == second.service_id

    got = run(emulator, "endpoints", "get", deployment, endpoint["endpoint_id"])
    assert json.loads(got.stdout)["service_id"] == second.service_id
    deleted = run(emulator, "endpoints", "delete", deployment, "default")
    assert deleted.returncode == 0 and "deleted" in deleted.stdout
    missing = run(emulator, "endpoints", "get", deployment, "default")
    assert missing.returncode == 6 and "not found" in missing.stderr


def test_rollout_completes_prints_steps_and_the_report(
    emulator: ServiceEmulator, client: ServiceClient, old: Service
) -> None:
    done = run(emulator, *_rollout(emulator, "--bake", "0.4"))
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout)
    assert report["outcome"] == "completed"
    assert _target(client, emulator) == report["new_service_id"]
    assert client.services.get(emulator.deployment_id, old.service_id).status == "STOPPED"
    lines = done.stderr.splitlines()
    for step in ("inspect", "create", "wait", "smoke", "switch", "bake", "retire"):
        assert f"{step}: done: " in done.stderr, step
    assert not any("\r" in line or "\033" in line for line in lines)  # piped: plain lines


def test_a_rolled_back_rollout_exits_3(
    emulator: ServiceEmulator, client: ServiceClient, old: Service
) -> None:
    failed = run(emulator, "-o", "table", *_rollout(emulator, "--bake", "1")[:2],
                 "--version", BROKEN, "--smoke-json", "{}")  # fmt: skip
    assert failed.returncode == 3, failed.stderr
    assert "outcome: rolled_back" in failed.stdout
    assert "smoke: FAILED" in failed.stderr
    assert _target(client, emulator) == old.service_id
    assert [s.service_id for s in client.services.list(emulator.deployment_id)] == [old.service_id]


def test_a_plan_changes_nothing(
    emulator: ServiceEmulator, client: ServiceClient, old: Service
) -> None:
    emulator.forget_requests()
    planned = run(emulator, *_rollout(emulator, "--plan"))
    assert planned.returncode == 0, planned.stderr
    assert json.loads(planned.stdout)["outcome"] == "planned"
    assert "switch: plan: switch default from" in planned.stderr
    assert [r.method for r in emulator.requests] == ["GET", "GET"]


@pytest.mark.parametrize(
    ("extra", "flag"),
    [
        (["--bake", "-1"], "--bake"),
        (["--bake", "nan"], "--bake"),
        (["--bake-interval", "0"], "--bake-interval"),
        (["--max-error-rate", "2"], "--max-error-rate"),
        (["--smoke-json", "{nope"], "--smoke-json"),
        (["--retire", "archive"], "--retire"),
    ],
)
def test_bad_rollout_options_exit_2_naming_the_flag(
    emulator: ServiceEmulator, extra: list[str], flag: str
) -> None:
    emulator.forget_requests()
    refused = run(emulator, *_rollout(emulator), *extra)
    assert refused.returncode == 2, refused.stderr
    assert flag in refused.stderr
    assert "Traceback" not in refused.stderr
    assert emulator.count() == 0


def test_a_rollout_to_an_endpoint_that_does_not_exist_exits_6(emulator: ServiceEmulator) -> None:
    failed = run(emulator, *_rollout(emulator, "--endpoint", "nope"))
    assert failed.returncode == 6  # not found, nothing changed
    assert "not found" in failed.stderr and "Traceback" not in failed.stderr


def _start(emulator: ServiceEmulator, *args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [*COMMAND, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(emulator),
    )


def _read_until(process: subprocess.Popen[str], text: str) -> list[str]:
    assert process.stderr is not None
    seen: list[str] = []
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = process.stderr.readline()
        seen.append(line)
        if text in line:
            return seen
        if not line and process.poll() is not None:
            break
    raise AssertionError(f"{text!r} not printed: {seen}")


def test_sigkill_during_the_bake_leaves_a_ready_service_and_rollback_restores(
    emulator: ServiceEmulator, client: ServiceClient, old: Service
) -> None:
    process = _start(emulator, *_rollout(emulator, "--bake", "60"))
    try:
        _read_until(process, "bake: 1 request(s)")
    finally:
        process.send_signal(signal.SIGKILL)
        process.communicate(timeout=30)
    new = _target(client, emulator)
    assert new is not None and new != old.service_id
    assert client.services.get(emulator.deployment_id, new).is_ready  # smoke-tested, READY
    assert client.services.get(emulator.deployment_id, old.service_id).is_ready  # untouched

    back = run(emulator, "rollback", emulator.deployment_id, "--to", old.service_id)
    assert back.returncode == 0, back.stderr
    assert json.loads(back.stdout)["outcome"] == "rolled_back"
    assert _target(client, emulator) == old.service_id


def test_rollback_from_a_saved_report(
    emulator: ServiceEmulator, client: ServiceClient, old: Service, tmp_path: Any
) -> None:
    done = run(emulator, *_rollout(emulator, "--bake", "0", "--retire", "keep"))
    report = tmp_path / "report.json"
    report.write_text(done.stdout)
    back = run(emulator, "rollback", emulator.deployment_id, "--report", str(report),
               "--cleanup", "delete")  # fmt: skip
    assert back.returncode == 0, back.stderr
    assert _target(client, emulator) == old.service_id
    assert [s.service_id for s in client.services.list(emulator.deployment_id)] == [old.service_id]
    usage = run(emulator, "rollback", emulator.deployment_id)
    assert usage.returncode == 2 and "--to" in usage.stderr


def test_ctrl_c_during_the_bake_rolls_back_and_exits_130(
    emulator: ServiceEmulator, client: ServiceClient, old: Service
) -> None:
    process = _start(emulator, *_rollout(emulator, "--bake", "60"))
    _read_until(process, "bake: 1 request(s)")
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    assert "restore: done" in stderr and "Traceback" not in stderr
    assert json.loads(stdout)["outcome"] == "rolled_back"
    assert _target(client, emulator) == old.service_id
    assert [s.service_id for s in client.services.list(emulator.deployment_id)] == [old.service_id]


def test_in_a_terminal_the_step_line_shows_elapsed_time_as_it_goes(
    emulator: ServiceEmulator, client: ServiceClient, old: Service
) -> None:
    emulator.ready_delay = 2.5  # the wait step takes a while: its line must keep moving
    child = pexpect.spawn(
        COMMAND[0],
        [*COMMAND[1:], *_rollout(emulator, "--bake", "0")],
        env=_environment(emulator),
        encoding="utf-8",
        timeout=30,
        dimensions=(24, 160),
    )
    child.expect(r"wait: waiting for ser-\w+ to be READY \(0 s\)")
    child.expect(r"\r\x1b\[Kwait: .* \(1 s\)")  # redrawn in place while it waits
    child.expect(r"\r\x1b\[Kwait: .* \(2 s\)")
    child.expect(r"wait: done: ser-\w+ is READY \(\d+\.\d s\)")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert _target(client, emulator) != old.service_id


def test_the_rollout_help_has_an_example() -> None:
    shown = subprocess.run([*COMMAND, "rollout", "--help"], capture_output=True, text=True,
                           check=False)  # fmt: skip
    assert shown.returncode == 0
    assert "abeja-services rollout 1234567890123 --version" in shown.stdout
    assert "3 rolled back" in shown.stdout
