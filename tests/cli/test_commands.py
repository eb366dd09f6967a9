"""``abeja-services`` as users run it: a subprocess against the emulator, checked on its
output, its exit status and what the server saw."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from abeja.services.cli import cli
from abeja.services.testing import ServiceEmulator

COMMAND = [sys.executable, "-m", "abeja.services.cli"]


@pytest.fixture
def emulator() -> Iterator[ServiceEmulator]:
    with ServiceEmulator() as running:
        yield running


def _environment(emulator: ServiceEmulator | None) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("ABEJA_", "PLATFORM_"))}
    return {**keep, **(emulator.env() if emulator else {}), "ABEJA_SDK_MAX_RETRY_COUNT": "0"}


def run(
    emulator: ServiceEmulator | None,
    *args: str,
    stdin: bytes | None = None,
    env: dict[str, str] | None = None,
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*COMMAND, *args],
        input=stdin.decode() if stdin is not None else None,
        capture_output=True,
        text=True,
        env={**_environment(emulator), **(env or {})},
        timeout=60,
        check=False,
    )


def test_the_service_lifecycle_from_the_command_line(emulator: ServiceEmulator) -> None:
    deployment = emulator.deployment_id
    created = run(
        emulator,
        "create",
        deployment,
        "--version-id",
        emulator.version_id,
        "--env",
        "MODE=test",
        "--wait",
    )
    assert created.returncode == 0, created.stderr
    service = json.loads(created.stdout)
    sid = service["service_id"]
    assert service["status"] == "READY" and service["user_env_vars"] == {"MODE": "test"}
    listed = json.loads(run(emulator, "list", deployment).stdout)
    assert [s["service_id"] for s in listed["entries"]] == [sid]
    table = run(emulator, "--output", "table", "list", deployment).stdout.splitlines()
    assert table[0].split()[:2] == ["SERVICE_ID", "STATUS"] and table[1].split()[:2] == [
        sid,
        "READY",
    ]
    updated = json.loads(run(emulator, "update", deployment, sid, "--instance-number", "2").stdout)
    assert updated["instance_number"] == 2
    assert run(emulator, "stop", deployment, sid).returncode == 0
    assert (
        json.loads(run(emulator, "wait", deployment, sid, "--for", "stopped").stdout)["status"]
        == "STOPPED"
    )
    assert run(emulator, "start", deployment, sid).returncode == 0
    assert json.loads(run(emulator, "get", deployment, sid).stdout)["service_id"] == sid
    assert run(emulator, "delete", deployment, sid).returncode == 0
    gone = run(emulator, "wait", deployment, sid, "--for", "deleted")
    assert json.loads(gone.stdout) == {"service_id": sid, "status": "DELETED"}
    seen = [(r.method, r.path.rsplit("/", 1)[-1]) for r in emulator.requests]
    assert ("PATCH", sid) in seen and ("POST", "stop") in seen and ("DELETE", sid) in seen


def test_predict_with_json_a_file_and_stdin(emulator: ServiceEmulator, tmp_path: Path) -> None:
    sid = (
        emulator.client()
        .services.create(emulator.deployment_id, version_id=emulator.version_id)
        .service_id
    )
    d = emulator.deployment_id
    answer = run(emulator, "predict", d, sid, "--json", '{"x": 1}')
    assert json.loads(answer.stdout)["echo"] == {"x": 1}
    image = tmp_path / "cat.png"
    image.write_bytes(b"\x89PNG" + bytes(100))
    described = json.loads(run(emulator, "predict", d, sid, "--file", str(image)).stdout)
    assert described["content_type"] == "image/png" and described["bytes"] == 104
    piped = run(emulator, "predict", d, sid, stdin=b'{"from": "stdin"}')
    assert json.loads(piped.stdout)["echo"] == {"from": "stdin"}
    assert [r.route for r in emulator.requests].count("predict") == 3


def test_api_errors_exit_with_the_message_and_usage_errors_exit_2(
    emulator: ServiceEmulator,
) -> None:
    missing = run(emulator, "get", emulator.deployment_id, "ser-0000000000000000")
    assert missing.returncode == 6 and "not found" in missing.stderr and missing.stdout == ""
    assert run(emulator, "get", emulator.deployment_id).returncode == 2
    bad_env = run(emulator, "create", emulator.deployment_id, "--version-id", "v", "--env", "x")
    assert bad_env.returncode == 2 and "NAME=VALUE" in bad_env.stderr
    assert run(emulator, "predict", "1", "ser-1", "--json", "{").returncode == 2
    assert run(emulator, "list", "../etc").returncode == 2
    assert emulator.count() == 1  # only the get reached the server


def test_logs_and_since(emulator: ServiceEmulator) -> None:
    client = emulator.client()
    service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    emulator.add_log_line(service.service_id, "an old line", at=time.time() - 7200)
    lines = run(emulator, "logs", emulator.deployment_id, service.service_id).stdout.splitlines()
    messages = [json.loads(line)["message"] for line in lines]
    assert messages[0] == "an old line"  # oldest first
    recent = run(emulator, "logs", emulator.deployment_id, service.service_id, "--since", "1h")
    assert "an old line" not in recent.stdout and recent.stdout
    assert run(emulator, "logs", "1", "ser-1", "--since", "yesterday").returncode == 2


def _interrupted(process: subprocess.Popen[str], after: float) -> tuple[int, str, str]:
    time.sleep(after)
    process.send_signal(signal.SIGINT)
    out, err = process.communicate(timeout=30)
    return process.returncode, out, err


def test_ctrl_c_during_logs_follow_and_wait_exits_130(emulator: ServiceEmulator) -> None:
    client = emulator.client()
    service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    follow = subprocess.Popen(
        [
            *COMMAND,
            "logs",
            emulator.deployment_id,
            service.service_id,
            "--follow",
            "--interval",
            "0.1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(emulator),
    )
    time.sleep(1.5)
    emulator.add_log_line(service.service_id, "while following")
    status, out, err = _interrupted(follow, 1.0)
    assert status == 130 and "while following" in out and "interrupted" in err
    emulator.ready_delay = 3600
    slow = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    waiting = subprocess.Popen(
        [*COMMAND, "wait", emulator.deployment_id, slow.service_id],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_environment(emulator),
    )
    status, out, _ = _interrupted(waiting, 1.5)
    assert status == 130 and out == ""


def test_self_check_redacts_and_says_whether_the_api_answers(emulator: ServiceEmulator) -> None:
    checked = run(emulator, "self-check")
    assert checked.returncode == 0, checked.stdout + checked.stderr
    report = json.loads(checked.stdout)
    assert report["credential"] == "Bearer" and report["api"].startswith("answers")
    assert emulator.auth_token not in checked.stdout + checked.stderr
    nothing = run(None, "self-check")
    assert nothing.returncode == 1 and "no credential" in json.loads(nothing.stdout)["api"]


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help(name: str) -> None:
    shown = run(None, name, "--help")
    assert shown.returncode == 0 and "usage:" in shown.stdout.lower()  # the emulator's: argparse


def test_the_demo_runs_offline() -> None:
    done = run(None, "demo")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["answer"]["echo"] == {"image": "cat.png"}


def test_global_options_work_after_the_subcommand(emulator: ServiceEmulator) -> None:
    with emulator.client() as client:
        client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    after = run(emulator, "list", emulator.deployment_id, "-o", "table")
    assert after.returncode == 0, after.stderr
    before = run(emulator, "-o", "table", "list", emulator.deployment_id)
    assert after.stdout == before.stdout and after.stdout.startswith("SERVICE_ID")
    equals = run(emulator, "endpoints", "list", emulator.deployment_id, "--output=table")
    assert equals.returncode == 0, equals.stderr


def test_a_subcommands_own_timeout_stays_its_own(emulator: ServiceEmulator) -> None:
    waited = run(emulator, "wait", emulator.deployment_id, "ser-nope", "--timeout", "nan")
    assert waited.returncode == 2 and "--timeout" in waited.stderr


def test_emulator_help_lists_the_emulators_options() -> None:
    shown = run(None, "emulator", "--help")
    assert shown.returncode == 0, shown.stderr
    for option in ("--port", "--ready-delay", "--handler", "--control-secret", "--runtime"):
        assert option in shown.stdout, option
