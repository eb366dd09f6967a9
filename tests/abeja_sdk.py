"""abeja-sdk 2.3.6's wheel, downloaded once from the registry into .cache/ (gitignored)."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / ".cache" / "abeja-sdk" / f"py{sys.version_info[0]}{sys.version_info[1]}"
SDK = "abeja-sdk==2.3.6"


def sdk_wheel() -> Path:
    """The wheel's path (downloaded on first use; a failure fails the test, loudly)."""
    folder = CACHE.parent / "wheels"
    found = sorted(folder.glob("abeja_sdk-2.3.6-*.whl"))
    if not found:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(folder), SDK],
            check=True,
            timeout=300,
        )
        found = sorted(folder.glob("abeja_sdk-2.3.6-*.whl"))
    return found[0]


def sdk_source(path: str) -> str:
    """A file of abeja-sdk's, read from its wheel."""
    with zipfile.ZipFile(sdk_wheel()) as archive:
        return archive.read(path).decode()
