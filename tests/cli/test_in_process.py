"""The same commands called in this process through ``main(argv)``: exit statuses and
output, with the emulator's variables in the environment."""

from __future__ import annotations

import json
import socket
from collections.abc import Iterator
from pathlib import Path

import pytest

from abeja.services.cli import main
from abeja.services.testing import ServiceEmulator


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[ServiceEmulator]:
    with ServiceEmulator() as emulator:
        for name, value in emulator.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("ABEJA_SDK_MAX_RETRY_COUNT", "0")
        yield emulator


def test_commands_and_their_exit_statuses(
    env: ServiceEmulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    d, v = env.deployment_id, env.version_id
    assert main(["create", d, "--version-id", v, "--env", "A=1", "--wait"]) == 0
    sid = json.loads(capsys.readouterr().out)["service_id"]
    assert main(["-o", "table", "list", d]) == 0
    assert sid in capsys.readouterr().out
    assert main(["-o", "table", "get", d, sid]) == 0
    assert "service_id" in capsys.readouterr().out
    assert main(["update", d, sid, "--instance-number", "2", "--autoscale"]) == 0
    assert json.loads(capsys.readouterr().out)["instance_number"] == 2
    assert main(["update", d, sid]) == 2
    assert main(["predict", d, sid, "--json", "[1]"]) == 0
    assert json.loads(capsys.readouterr().out)["echo"] == [1]
    (tmp_path / "x.bin").write_bytes(b"\x00\x01")
    assert main(["predict", d, sid, "--file", str(tmp_path / "x.bin")]) == 0
    assert main(["predict", d, sid, "--json", "1", "--file", str(tmp_path / "x.bin")]) == 2
    assert main(["-o", "table", "logs", d, sid, "--since", "2020-01-01T00:00:00"]) == 0
    assert main(["stop", d, sid]) == 0
    assert main(["wait", d, sid, "--for", "stopped"]) == 0
    assert main(["delete", d, sid]) == 0
    assert main(["wait", d, sid, "--for", "deleted"]) == 0
    capsys.readouterr()
    assert main(["get", d, sid]) == 6
    assert "not found" in capsys.readouterr().err
    assert main(["logs", d, sid, "--since", "soon"]) == 2
    assert main(["self-check", "--deployment-id", d]) == 0
    assert json.loads(capsys.readouterr().out)["api"].startswith("answers")
    assert main(["self-check", "--deployment-id", "12345"]) == 0
    assert "deployment 12345 was not found" in capsys.readouterr().out
    assert main(["--timeout", "0", "list", d]) == 2
    assert main(["--version"]) == 0


def test_the_emulator_command_reports_a_port_in_use(capsys: pytest.CaptureFixture[str]) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["emulator", "--port", str(port)]) == 2
    assert "cannot listen" in capsys.readouterr().err


def test_demo_in_process(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["-o", "table", "demo"]) == 0
    assert "answer" in capsys.readouterr().out


def test_versions_and_deploy_in_process(
    env: ServiceEmulator, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from ..managers.test_versions import model_folder

    d = env.deployment_id
    folder = model_folder(tmp_path / "code", "weights")
    assert main(["versions", "create", d, str(folder), "--version", "1.0.0",
                 "--user-parameter", "A=1"]) == 0  # fmt: skip
    made = json.loads(capsys.readouterr().out)
    assert made["user_parameters"] == {"A": "1"}
    assert main(["versions", "create", d, str(folder), "--version", "x", "--user-parameter",
                 "bad"]) == 2  # fmt: skip
    assert main(["-o", "table", "versions", "list", d]) == 0
    assert made["version_id"] in capsys.readouterr().out
    assert main(["versions", "get", d, made["version_id"]]) == 0
    assert main(["versions", "download", d, made["version_id"], "--to", str(tmp_path)]) == 0
    assert Path(capsys.readouterr().out.strip().splitlines()[-1]).exists()
    assert main(["deploy", d, str(folder), "--version", "2.0.0", "--smoke-json", "{}",
                 "--bake", "0"]) == 0  # fmt: skip
    assert json.loads(capsys.readouterr().out)["outcome"] == "completed"
    assert main(["deploy", d, str(folder), "--version", "3.0.0", "--plan"]) == 0
    assert json.loads(capsys.readouterr().out)["outcome"] == "planned"
    assert main(["versions", "delete", d, made["version_id"]]) == 0
