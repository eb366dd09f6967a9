"""The README's quickstarts exactly as a reader runs them: the emulator started the
documented way (``abeja-services emulator``, its default ready delay), the variables it
prints exported, the block saved into an empty folder and run with ``python`` (no
fixtures, no files made for it), and nothing left running afterwards."""

from __future__ import annotations

import os
import re
import shlex
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from abeja.services import ServiceClient

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def quickstart(heading: str) -> str:
    """The first Python block after ``heading``."""
    section = README[README.index(heading) :]
    found = re.search(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert found is not None
    return found.group(1)


@pytest.fixture
def emulator_env() -> Iterator[dict[str, str]]:
    """``abeja-services emulator`` in its own process; the variables it prints to export."""
    command = [str(Path(sys.executable).parent / "abeja-services"), "emulator", "--port", "0"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    exported: dict[str, str] = {}
    try:
        for line in process.stdout:
            if line.startswith("export "):
                name, _, value = line[len("export ") :].strip().partition("=")
                exported[name] = shlex.split(value)[0]
            if line.startswith("# deployment"):
                break
        yield exported
    finally:
        process.terminate()
        process.communicate(timeout=30)  # reads what is left and closes the pipe


@pytest.mark.parametrize("heading", ["## Typed quickstart", "## Compat quickstart"])
def test_a_quickstart_runs_as_written_and_leaves_nothing_running(
    heading: str, emulator_env: dict[str, str], tmp_path: Path
) -> None:
    assert {"ABEJA_API_URL", "ABEJA_ORGANIZATION_ID", "PLATFORM_AUTH_TOKEN"} <= set(emulator_env)
    (tmp_path / "quickstart.py").write_text(quickstart(heading))
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("ABEJA_", "PLATFORM_"))}
    done = subprocess.run(
        [sys.executable, "quickstart.py"],
        cwd=tmp_path,
        env={**keep, **emulator_env},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "foo" in done.stdout
    with ServiceClient(
        emulator_env["ABEJA_ORGANIZATION_ID"],
        base_url=emulator_env["ABEJA_API_URL"],
        credential={"auth_token": emulator_env["PLATFORM_AUTH_TOKEN"]},
    ) as client:
        deadline = time.monotonic() + 10
        while client.services.list("9999999999999").entries and time.monotonic() < deadline:
            time.sleep(0.2)
        assert client.services.list("9999999999999").entries == []
