"""Wheels of the platform's own packages (abeja-sdk 2.3.6, abejacli), downloaded once from
the registry into .cache/ (gitignored) and read, never installed into the test environment."""

from __future__ import annotations

import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

from .locks import exclusive

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "abeja-sdk" / f"py{sys.version_info[0]}{sys.version_info[1]}"
SDK = "abeja-sdk==2.3.6"


def registry_wheel(requirement: str, pattern: str) -> Path:
    """A wheel's path (downloaded on first use; a failure fails the test, loudly)."""
    folder = CACHE.parent / "wheels"
    with exclusive("registry-wheels"):  # one download at a time, across the workers
        return _downloaded(folder, requirement, pattern)


def _downloaded(folder: Path, requirement: str, pattern: str) -> Path:
    found = sorted(folder.glob(pattern))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
            # Both packages' wheels are pure Python and say Requires-Python < 3.12: asked for
            # as 3.11's, they download with any interpreter (3.12 and 3.13 included).
            + ["--python-version", "3.11", "-d", str(folder), requirement],
            check=True,
            timeout=300,
        )
        found = sorted(folder.glob(pattern))
    return found[-1]


def old_python() -> str | None:
    """An interpreter abeja-sdk 2.3.6 and abejacli 2.2.8 install on (Python < 3.12): this one
    when it can, else a python3.11 or python3.10 found on the machine (pyenv's included)."""
    if sys.version_info < (3, 12):
        return sys.executable
    for name in ("python3.11", "python3.10"):
        found = shutil.which(name)
        if found:
            return found
    for folder in sorted((Path.home() / ".pyenv" / "versions").glob("3.1[01].*"), reverse=True):
        if (folder / "bin" / "python").exists():
            return str(folder / "bin" / "python")
    return None


def sdk_wheel() -> Path:
    """abeja-sdk 2.3.6's wheel."""
    return registry_wheel(SDK, "abeja_sdk-2.3.6-*.whl")


def wheel_file(wheel: Path, path: str) -> str:
    """A text file inside a wheel."""
    with zipfile.ZipFile(wheel) as archive:
        return archive.read(path).decode()


def sdk_source(path: str) -> str:
    """A file of abeja-sdk's, read from its wheel."""
    return wheel_file(sdk_wheel(), path)
