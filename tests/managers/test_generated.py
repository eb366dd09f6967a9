"""The sync managers are generated from the async ones (``.ci/unasync.py``): the committed
files must be what the generator writes today."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".ci" / "unasync.py"


def _generator():  # type: ignore[no-untyped-def]
    spec = importlib.util.spec_from_file_location("unasync", SCRIPT)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_committed_sync_managers_are_current() -> None:
    done = subprocess.run(
        [sys.executable, str(SCRIPT), "--check"], capture_output=True, text=True, cwd=ROOT
    )
    assert done.returncode == 0, done.stdout + done.stderr


def test_each_generated_file_says_so_and_names_its_source() -> None:
    for source, target in _generator().PAIRS:
        head = (ROOT / "abeja" / "services" / target).read_text().splitlines()[0]
        assert "Generated from" in head and "do not edit" in head
        assert Path(source).name in head


def test_a_changed_source_is_caught_as_stale() -> None:
    generator = _generator()
    source, target = generator.PAIRS[0]
    text = (ROOT / "abeja" / "services" / source).read_text()
    written = generator.formatted(
        generator.unasync(text.replace("Fetch one service.", "Fetch a service."), "x.py"),
        ROOT / "abeja" / "services" / target,
    )
    assert written != (ROOT / "abeja" / "services" / target).read_text()
    assert "await " not in written and "async def" not in written
    assert "class Services(" in written and "AsyncService" not in written


def test_the_bound_models_are_written_from_the_managers_signatures() -> None:
    """A parameter added to ``AsyncServices.predict`` reaches ``Service.predict`` and
    ``AsyncService.predict`` (signature and forwarded call) with nothing else edited."""
    generator = _generator()
    sys.path.insert(0, str(SCRIPT.parent))
    import bound  # type: ignore[import-not-found]

    def read(relative: str) -> str:
        text = (ROOT / "abeja" / "services" / relative).read_text()
        if relative.endswith("_async_services.py"):
            marker = (
                "        content_type: str | None = None,\n        timeout: float | None = None,\n"
            )
            assert text.count(marker) == 1
            text = text.replace(marker, marker + "        priority: int = 0,\n")
        return text

    written = bound.render(generator._substituted, read)
    sync = generator.formatted(written["_managers/_bound.py"], ROOT / "x.py")
    assert "Generated from" in sync.splitlines()[0] and "do not edit" in sync.splitlines()[0]
    assert "await " not in sync and "AsyncService" not in sync
    asynchronous = written["_managers/_async_bound.py"]
    for text in (sync, asynchronous):
        assert text.count("priority: int = 0") == 2  # the protocol and the model
        assert "priority=priority" in text
    current = (ROOT / "abeja" / "services" / "_managers" / "_bound.py").read_text()
    assert "priority" not in current
