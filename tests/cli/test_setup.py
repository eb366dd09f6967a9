"""``configure`` and ``completion`` as a person uses them: ``configure`` in a
pseudo-terminal (the token typed without echo, the file readable by its owner alone, then
read back by the SDK as abejacli's), ``completion`` printing the script and completing ids
from the emulator."""

from __future__ import annotations

import io
import json
import os
import stat
import subprocess
from pathlib import Path

import pexpect

from abeja.services import ServiceClient
from abeja.services.testing import ServiceEmulator

from .test_commands import COMMAND, _environment


def test_configure_writes_abejaclis_file_mode_0600_never_echoing_the_token(
    tmp_path: Path,
) -> None:
    home = tmp_path / "home"
    env = {**_environment(None), "HOME": str(home)}
    child = pexpect.spawn(COMMAND[0], [*COMMAND[1:], "configure", "dev"],
                          env=env, encoding="utf-8", timeout=30)  # fmt: skip
    transcript = io.StringIO()
    child.logfile_read = transcript  # everything the terminal showed
    child.expect("user id: ")
    child.sendline("1234567890123")
    child.expect("Personal access token: ")
    child.sendline("secret-token-typed")
    child.expect("Organization id: ")
    child.sendline("1111111111111")
    child.expect(pexpect.EOF)
    child.close()
    shown = child.before or ""
    assert child.exitstatus == 0, shown
    path = home / ".abeja" / "config"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    data = json.loads(path.read_text())
    assert data["active-configuration-name"] == "dev"
    (entry,) = data["configurations"]
    assert entry == {"configuration-name": "dev", "abeja-platform-user": "1234567890123",
                     "personal-access-token": "secret-token-typed",
                     "organization-name": "1111111111111"}  # fmt: skip
    assert "1234567890123" in transcript.getvalue()  # what was typed and echoed...
    assert "secret-token-typed" not in transcript.getvalue()  # ...but the token
    # The SDK reads it back as abejacli's configuration.
    old_home = os.environ.get("HOME")
    try:
        os.environ["HOME"] = str(home)
        with ServiceClient(profile="dev") as client:
            assert client._settings.auth is not None  # noqa: SLF001
            assert "secret-token-typed" not in repr(client)
    finally:
        if old_home is not None:
            os.environ["HOME"] = old_home


def test_configure_never_echoes_the_token_on_the_terminal(tmp_path: Path) -> None:
    env = {**_environment(None), "HOME": str(tmp_path)}
    child = pexpect.spawn(COMMAND[0], [*COMMAND[1:], "configure", "--user-id", "1",
                                       "--organization", "1111111111111"],
                          env=env, encoding="utf-8", timeout=30)  # fmt: skip
    seen: list[str] = []
    child.expect("Personal access token: ")
    seen.append(child.before + child.after)
    child.sendline("do-not-show-me")
    child.expect(pexpect.EOF)
    seen.append(child.before or "")
    child.close()
    assert child.exitstatus == 0
    assert "do-not-show-me" not in "".join(seen)
    assert json.loads((tmp_path / ".abeja" / "config").read_text())["organization-name"] == (
        "1111111111111"
    )


def test_completion_prints_each_shells_script() -> None:
    for shell, marker in (("bash", "complete -o"), ("zsh", "#compdef"), ("fish", "complete")):
        shown = subprocess.run([*COMMAND, "completion", shell], capture_output=True,
                               text=True, check=False)  # fmt: skip
        assert shown.returncode == 0 and marker in shown.stdout, shell


def test_service_ids_and_endpoint_aliases_complete_from_the_api() -> None:
    with ServiceEmulator() as emulator:
        with emulator.client() as client:
            made = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
            client.endpoints.create(emulator.deployment_id, service_id=made, custom_alias="beta")
        env = {**_environment(emulator), "_ABEJA_SERVICES_COMPLETE": "bash_complete"}

        def complete(words: str) -> list[str]:
            done = subprocess.run(
                COMMAND, capture_output=True, text=True, check=False,
                env={**env, "COMP_WORDS": words, "COMP_CWORD": str(len(words.split()) - 1)},
            )  # fmt: skip
            return [line.split(",", 1)[1] for line in done.stdout.splitlines() if "," in line]

        assert complete(f"abeja-services get {emulator.deployment_id} ser-") == [made.service_id]
        assert complete(f"abeja-services endpoints get {emulator.deployment_id} b") == ["beta"]
