"""Wheels of the platform's own packages (abeja-sdk 2.3.6, abejacli), downloaded once from
the registry into .cache/ (gitignored) and read, never installed into the test environment."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "abeja-sdk" / f"py{sys.version_info[0]}{sys.version_info[1]}"
SDK = "abeja-sdk==2.3.6"


def registry_wheel(requirement: str, pattern: str) -> Path:
    """A wheel's path (downloaded on first use; a failure fails the test, loudly)."""
    folder = CACHE.parent / "wheels"
    found = sorted(folder.glob(pattern))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--only-binary=:all:"]
            + ["-d", str(folder), requirement],
            check=True,
            timeout=300,
        )
        found = sorted(folder.glob(pattern))
    return found[-1]


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
