"""Every Python block of the README and of the docs site runs as written, against the
emulator (its variables in the environment, as ServiceClient() reads them)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from abeja.services.testing import ServiceEmulator

ROOT = Path(__file__).resolve().parent.parent
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
BLOCKS = [
    (f"{page.name}#{number}", block)
    for page in PAGES
    for number, block in enumerate(
        re.findall(r"```python\n(.*?)```", page.read_text(), flags=re.DOTALL)
    )
]


def test_the_docs_have_their_examples() -> None:
    assert sum(name.startswith("README") for name, _ in BLOCKS) >= 3
    assert sum(name.startswith("workflows") for name, _ in BLOCKS) >= 5


PAGES_WITH_BLOCKS = sorted({name.split("#")[0] for name, _ in BLOCKS})


@pytest.mark.parametrize("page", PAGES_WITH_BLOCKS)
def test_a_docs_page_runs_top_to_bottom(page: str, tmp_path: Path) -> None:
    """Every Python block of ``page``, in order, against one emulator, as a reader runs
    them one after the other (what one block leaves, the next one finds)."""
    (tmp_path / "cat.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 64)
    with ServiceEmulator() as emulator:
        for name, block in BLOCKS:
            if name.split("#")[0] != page:
                continue
            # A block that defines tests runs as a test module, with the installed plugin.
            (tmp_path / "test_example.py").write_text(block)
            command = ["-m", "pytest", "-q", "-p", "no:cacheprovider", "test_example.py"]
            done = subprocess.run(
                [sys.executable, *(command if "def test_" in block else ["-c", block])],
                cwd=tmp_path,
                env={**os.environ, **emulator.env()},
                capture_output=True,
                text=True,
                timeout=120,
            )
            assert done.returncode == 0, f"{name}: {done.stderr[-3000:]}"


def test_the_api_reference_documents_public_import_paths_only() -> None:
    directives = re.findall(r"^::: (\S+)", (ROOT / "docs" / "reference.md").read_text(), re.M)
    assert directives and all("._" not in path for path in directives), directives


def _console_block(page: Path, heading: str) -> str:
    """The shell commands of the first ``console`` block under ``heading``: the ``$ `` lines
    and their continuations, as a person would type them."""
    text = page.read_text()
    section = text[text.index(heading) :]
    block = re.search(r"```console\n(.*?)```", section, flags=re.DOTALL)
    assert block is not None, heading
    lines = [line[2:] if line.startswith("$ ") else line for line in block.group(1).splitlines()]
    return "\n".join(lines)


def test_the_readmes_release_commands_run_as_written_on_a_fresh_emulator(
    tmp_path: Path,
) -> None:
    script = _console_block(ROOT / "README.md", "## Releasing a new version")
    with ServiceEmulator(ready_delay=0.2) as fresh:  # as `abeja-services emulator` starts
        done = subprocess.run(
            ["bash", "-e", "-c", script],
            cwd=tmp_path,
            env={**os.environ, **fresh.env(),
                 "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}"},
            capture_output=True,
            text=True,
            timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr[-3000:]
        report = json.loads((tmp_path / "report.json").read_text())
        assert report["outcome"] == "completed"
        with fresh.client() as client:
            serving = client.endpoints.get(fresh.deployment_id, "default").service_id
        assert serving == report["new_service_id"]
