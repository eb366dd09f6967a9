"""The import, in instructions (callgrind), above a bare ``python -c pass``: abeja-sdk 2.3.6's
``APIClient`` (in ``benchmarks/.abeja-sdk-venv``, made by ``run.py``), the three runtime
dependencies with the pydantic names a model module uses, and ``ServiceClient``, these two
in ``benchmarks/.import-venv``, which holds this tree and its runtime dependencies only (a
dev virtualenv costs more: pydantic looks through every installed distribution for
plugins). Bytecode is compiled, as after ``pip install``. Instruction counts are stable on
a noisy machine: one run each.

Usage: ``python benchmarks/import_ir.py``
"""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
SDK_PYTHON = HERE / ".abeja-sdk-venv" / "bin" / "python"
IMPORT_VENV = HERE / ".import-venv"
DEPENDENCIES = (
    "import requests, tenacity; from pydantic import BaseModel, Field, ConfigDict, "
    "field_validator, model_validator, AwareDatetime, TypeAdapter"
)


def instructions(python: Path | str, code: str) -> int:
    """Instructions ``python -c code`` runs, counted by callgrind."""
    with tempfile.TemporaryDirectory() as folder:
        out = subprocess.run(
            ["valgrind", "--tool=callgrind", f"--callgrind-out-file={folder}/cg.%p", str(python),
             "-c", code],
            capture_output=True, text=True, check=True, cwd=folder,
        )  # fmt: skip
    found = re.search(r"Collected : (\d+)", out.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count: {out.stderr[-500:]}")
    return int(found.group(1))


def runtime_python() -> Path:
    """``benchmarks/.import-venv``'s Python, with this tree installed (not editable) anew."""
    python = IMPORT_VENV / "bin" / "python"
    if not python.exists():
        subprocess.run([sys.executable, "-m", "venv", str(IMPORT_VENV)], check=True)
    uv = subprocess.run([sys.executable, "-m", "uv", "--version"], capture_output=True)
    install = (
        [sys.executable, "-m", "uv", "pip", "install", "--quiet", "--compile-bytecode",
         "--reinstall-package", "abeja-services", "--python", str(python)]
        if uv.returncode == 0
        else [str(python), "-m", "pip", "install", "--quiet", "--force-reinstall", "--no-deps"]
    )  # fmt: skip
    subprocess.run([*install, str(HERE.parent)], check=True)
    if uv.returncode != 0:
        subprocess.run([str(python), "-m", "pip", "install", "--quiet", str(HERE.parent)],
                       check=True)  # fmt: skip
    return python


def main() -> int:
    if shutil.which("valgrind") is None:
        print("import_ir: valgrind is not installed: skipped")
        return 0
    python = runtime_python()
    rows = []
    if SDK_PYTHON.exists():
        subprocess.run([SDK_PYTHON, "-m", "compileall", "-q", "-x", "site-packages/pip",
                        str(SDK_PYTHON.parent.parent / "lib")], check=False)  # fmt: skip
        sdk = instructions(SDK_PYTHON, "from abeja.services import APIClient")
        rows.append(("abeja-sdk 2.3.6's `APIClient` (the anchor)",
                     sdk - instructions(SDK_PYTHON, "pass")))  # fmt: skip
    else:
        print("import_ir: no benchmarks/.abeja-sdk-venv (make bench makes it): no anchor row")
    bare = instructions(python, "pass")
    rows.append(("`requests`, `pydantic`, `tenacity` (the names a model module uses)",
                 instructions(python, DEPENDENCIES) - bare))  # fmt: skip
    ours = instructions(python, "from abeja.services import ServiceClient") - bare
    rows.append(("`from abeja.services import ServiceClient`", ours))
    print("| what is imported | Ir above bare Python |\n|---|---:|")
    for what, count in rows:
        print(f"| {what} | {count / 1e6:,.0f}M |")
    if SDK_PYTHON.exists():
        ratio = ours / rows[0][1]
        verdict = "met" if ratio <= 1.0 else "not met"
        print(f"\nimport ServiceClient ≤ abeja-sdk's APIClient: {ratio:.2f}× ({verdict})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
