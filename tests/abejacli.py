"""abejacli 2.2.8, the platform's own command line, installed from its registry wheel into a
cached virtualenv (.cache/, gitignored) and run as a user runs it, against the emulator.

abejacli needs Python < 3.12: the virtualenv is made with this interpreter when it can,
else with a python3.11 or python3.10 found on the machine; with none, the tests skip and
say why.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from abeja.services.testing import ServiceEmulator

from .abeja_sdk import CACHE, old_python, registry_wheel
from .locks import exclusive

CLI = "abejacli==2.2.8"
VENV = CACHE.parent / "abejacli-2.2.8"

# abejacli sleeps 15 s before creating or updating an endpoint; the driver takes that
# sleep away (and only that: abejacli's own module, not ours or requests'), then runs it.
DRIVER = """
import sys, time
import abejacli.run
abejacli.run.time = type("NoSleep", (), {"sleep": staticmethod(lambda s: None),
                                          "time": staticmethod(time.time)})
sys.argv[0] = "abeja"
abejacli.run.main()
"""


def abejacli_python() -> Path:
    """The cached virtualenv's interpreter with abejacli installed (built on first use)."""
    python = VENV / "bin" / "python"
    if (VENV / ".complete").exists():
        return python
    with exclusive("abejacli-venv"):  # one worker builds it; the other then finds it
        if not (VENV / ".complete").exists():
            _build(python)
    return python


def _build(python: Path) -> None:
    base = old_python()
    if base is None:
        pytest.skip("abejacli 2.2.8 needs Python < 3.12 and none was found on this machine")
    shutil.rmtree(VENV, ignore_errors=True)
    # No ensurepip (seen failing now and then when many processes start at once, and slow):
    # an empty virtualenv, and abejacli installed into it by this environment's pip.
    VENV.parent.mkdir(parents=True, exist_ok=True)
    made = subprocess.run([base, "-m", "venv", "--without-pip", str(VENV)], capture_output=True,
                          text=True, timeout=300, check=False, cwd=VENV.parent)  # fmt: skip
    assert made.returncode == 0, f"python -m venv failed: {made.stdout}{made.stderr}"
    wheel = registry_wheel(CLI, "abejacli-2.2.8-*.whl")
    installed = subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
         "--disable-pip-version-check", str(wheel), "setuptools<81"],  # pkg_resources
        capture_output=True, text=True, timeout=600, check=False, cwd=VENV.parent,
    )  # fmt: skip
    assert installed.returncode == 0, f"pip install failed: {installed.stderr[-3000:]}"
    (VENV / ".complete").touch()


def abejacli_env(emulator: ServiceEmulator, home: Path) -> dict[str, str]:
    """What points abejacli at the emulator (as ``emulator.abejacli_env()`` prints it)."""
    keep = {k: v for k, v in os.environ.items() if not k.startswith(("ABEJA", "PLATFORM_"))}
    return {**keep, "HOME": str(home), **emulator.abejacli_env()}


def run_abejacli(
    emulator: ServiceEmulator, home: Path, *args: str, cwd: Path | None = None
) -> subprocess.CompletedProcess[str]:
    """``abeja <args>``, as a user with only the emulator's printed variables runs it (in
    ``cwd``, by default ``home``)."""
    return subprocess.run(
        [str(abejacli_python()), "-c", DRIVER, *args],
        capture_output=True,
        text=True,
        timeout=120,
        env=abejacli_env(emulator, home),
        cwd=cwd or home,
        check=False,
    )
