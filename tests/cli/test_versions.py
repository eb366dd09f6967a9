"""``versions ...`` and ``deploy`` as a person runs them, against the emulator."""

from __future__ import annotations

import json
from pathlib import Path

from abeja.services import ServiceClient
from abeja.services.testing import ServiceEmulator

from ..managers.test_versions import model_folder
from .test_commands import run


def test_versions_create_list_get_download_delete(
    emulator: ServiceEmulator, client: ServiceClient, tmp_path: Path
) -> None:
    folder = model_folder(tmp_path / "code", "weights-cli")
    made = run(emulator, "versions", "create", emulator.deployment_id, str(folder),
               "--version", "1.0.0", "--user-parameter", "GREETING=hi", "-o", "json")  # fmt: skip
    assert made.returncode == 0, made.stderr
    version = json.loads(made.stdout)
    assert version["user_parameters"] == {"GREETING": "hi"} and "sha256" in made.stderr
    listed = run(emulator, "versions", "list", emulator.deployment_id)
    assert listed.returncode == 0 and version["version_id"] in listed.stdout
    assert "1.0.0" in listed.stdout
    got = run(
        emulator, "versions", "get", emulator.deployment_id, version["version_id"], "-o", "json"
    )
    assert json.loads(got.stdout)["handler"] == "predict:handler"
    fetched = run(emulator, "versions", "download", emulator.deployment_id,
                  version["version_id"], "--to", str(tmp_path))  # fmt: skip
    assert fetched.returncode == 0 and Path(fetched.stdout.strip()).stat().st_size > 0
    deleted = run(emulator, "versions", "delete", emulator.deployment_id, version["version_id"])
    assert deleted.returncode == 0
    assert version["version_id"] not in [
        v.version_id for v in client.versions.list(emulator.deployment_id)
    ]


def test_a_bad_user_parameter_exits_2_naming_the_flag(
    emulator: ServiceEmulator, tmp_path: Path
) -> None:
    folder = model_folder(tmp_path / "code", "w")
    done = run(emulator, "versions", "create", emulator.deployment_id, str(folder),
               "--version", "1", "--user-parameter", "NOVALUE")  # fmt: skip
    assert done.returncode == 2 and "--user-parameter" in done.stderr
    assert emulator.requests == []


def test_deploy_from_a_folder_first_release_then_rollout_then_plan(
    emulator: ServiceEmulator, client: ServiceClient, tmp_path: Path
) -> None:
    one = model_folder(tmp_path / "one", "weights-1")
    first = run(emulator, "deploy", emulator.deployment_id, str(one), "--version", "1.0.0",
                "--smoke-json", "{}", "--bake", "0", "-o", "table")  # fmt: skip
    assert first.returncode == 0, first.stderr
    assert "first release" in first.stderr and "outcome: completed" in first.stdout
    assert client.endpoints.predict(emulator.deployment_id, json={}).json()["model"] == "weights-1"

    two = model_folder(tmp_path / "two", "weights-2")
    planned = run(emulator, "deploy", emulator.deployment_id, str(two), "--version", "2.0.0",
                  "--plan", "-o", "table")  # fmt: skip
    assert planned.returncode == 0 and "outcome: planned" in planned.stdout
    assert "2.0.0" not in [v.version for v in client.versions.list(emulator.deployment_id)]

    second = run(emulator, "deploy", emulator.deployment_id, str(two), "--version", "2.0.0",
                 "--smoke-json", "{}", "--bake", "0", "-o", "json")  # fmt: skip
    assert second.returncode == 0, second.stderr
    report = json.loads(second.stdout)
    assert report["outcome"] == "completed" and report["old_service_id"] is not None
    assert client.endpoints.predict(emulator.deployment_id, json={}).json()["model"] == "weights-2"


def test_a_deploy_whose_smoke_check_fails_exits_3(
    emulator: ServiceEmulator, client: ServiceClient, tmp_path: Path
) -> None:
    model_folder(tmp_path / "one", "w")
    run(emulator, "deploy", emulator.deployment_id, str(tmp_path / "one"), "--version", "1",
        "--smoke-json", "{}", "--bake", "0")  # fmt: skip
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "predict.py").write_text("def handler(request, context):\n    raise ValueError\n")
    done = run(emulator, "deploy", emulator.deployment_id, str(broken), "--version", "2",
               "--smoke-json", "{}", "--bake", "0")  # fmt: skip
    assert done.returncode == 3, done.stderr
    assert client.endpoints.predict(emulator.deployment_id, json={}).json()["model"] == "w"


def test_on_a_terminal_versions_create_shows_a_bar_of_the_upload(
    emulator: ServiceEmulator, tmp_path: Path
) -> None:
    import pexpect

    from .test_commands import COMMAND, _environment

    folder = model_folder(tmp_path / "code", "w")
    (folder / "weights.bin").write_bytes(b"\x00" * (2 << 20))
    child = pexpect.spawn(
        COMMAND[0], [*COMMAND[1:], "versions", "create", emulator.deployment_id, str(folder),
                     "--version", "1.0.0"],
        env=_environment(emulator), encoding="utf-8", timeout=60, dimensions=(24, 120),
    )  # fmt: skip
    child.expect("uploading 1.0.0")
    child.expect("100%")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
