"""Write the sync managers from their async sources (as httpcore writes ``_sync/`` from
``_async/``): ``python .ci/unasync.py`` rewrites them, ``--check`` fails if one is stale.

Each async module is the source; its sync twin is the same text with the awaiting taken
out and the async names put back (``AsyncServices`` -> ``Services``), by the ordered
substitutions below, then formatted by ruff as the rest of the tree is. The generated file
says so in its first line. ``make generate`` runs it; ``make lint`` and the test suite
check that the committed files are current.
"""

from __future__ import annotations

import difflib
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "abeja" / "services"

# (async source, sync file it writes), relative to abeja/services.
PAIRS = [
    ("_managers/_async_services.py", "_managers/_services.py"),
    ("_managers/_async_endpoints.py", "_managers/_endpoints.py"),
    ("_managers/_async_service_waits.py", "_managers/_service_waits.py"),
    ("_api/_async_streamed.py", "_api/_streamed.py"),
]

# Whole lines first (imports and the lines that differ in shape), then names and keywords.
SUBSTITUTIONS: list[tuple[str, str]] = [
    (r"^import asyncio\n", ""),
    (
        r"^derive_service_docs\(AsyncService, AsyncServices\)",
        "derive_service_docs(BoundService, Services)",
    ),
    (
        r"^derive_endpoint_docs\(AsyncEndpoint, AsyncEndpoints\)",
        "derive_endpoint_docs(BoundEndpoint, Endpoints)",
    ),
    (r"^# sync: (.*)\n", "\\1\n"),
    (
        r"^    from \.\._http\._async\._async_sender import AsyncBodyStream\n",
        "    from .._http._reading import BodyStream\n",
    ),
    (r"^.*# async only\n", ""),
    (
        r"Iterable\[Mapping\[str, Any\]\] \| AsyncIterable\[Mapping\[str, Any\]\]",
        "Iterable[Mapping[str, Any]]",
    ),
    (r"Coroutine\[Any, Any, BatchReport\]", "BatchReport"),
    (r"Callable\[\[float\], Awaitable\[object\]\]", "Callable[[float], object]"),
    (r"Awaitable\[HTTPResponse\]", "HTTPResponse"),
    (r"Awaitable\[PredictResponse\]", "PredictResponse"),
    (r"  # type: ignore\[(arg-type|override)\]", ""),
    (r"\basync def\b", "def"),
    (r"\basync for\b", "for"),
    (r"\basync with\b", "with"),
    (r"\bawait ", ""),
    (r"\basyncio\.sleep\b", "time.sleep"),
    (r"\bAsyncServiceClient\b", "ServiceClient"),
    (r"\bAsyncServiceCalls\b", "ServiceCalls"),
    (r"\bAsyncEndpointCalls\b", "EndpointCalls"),
    (r"\bAsyncServiceWaits\b", "ServiceWaits"),
    (r"\b_async_service_waits\b", "_service_waits"),
    (r"\bAsyncServices\b", "Services"),
    (r"\bAsyncServiceList\b", "ServiceList"),
    (r"\bAsyncService\b", "Service"),
    (r"\bAsyncEndpoints\b", "Endpoints"),
    (r"\bAsyncEndpointList\b", "EndpointList"),
    (r"\bAsyncEndpoint\b", "Endpoint"),
    (r"\bAsyncRawServices\b", "RawServices"),
    (r"\bAsyncRawEndpoints\b", "RawEndpoints"),
    (r"\bAsyncIterator\b", "Iterator"),
    (r"\b__aenter__\b", "__enter__"),
    (r"\b__aexit__\b", "__exit__"),
    (r"\bAsyncStreamedResponse\b", "StreamedResponse"),
    (r"\bAsyncStreamingCall\b", "StreamingCall"),
    (r"\bAsyncStreamingServices\b", "StreamingServices"),
    (r"\bAsyncStreamingEndpoints\b", "StreamingEndpoints"),
    (r"\bAsyncBodyStream\b", "BodyStream"),
    (r"\b_async_streamed\b", "_streamed"),
    (r"\basync_streaming_call\b", "streaming_call"),
    (r"\bAsyncSleep\b", "Sleep"),
    (r"\bAsyncBatchRun\b", "SyncBatchRun"),
    (r"\basync_predict\b", "sync_predict"),
    (r"\bstart_async\b", "run_sync"),
    (r"\basync_raw_call\b", "raw_call"),
    (r"\b_async_services\b", "_services"),
    (r"\b_async_endpoints\b", "_endpoints"),
]  # fmt: skip
COMPILED = [
    (re.compile(pattern, re.MULTILINE), replacement) for pattern, replacement in SUBSTITUTIONS
]


# The async bound models' names, and where their sync twins live.
BOUND_HOMES = {
    "AsyncService": "..models", "AsyncServiceList": "..models", "AsyncEndpoint": "..models",
    "AsyncEndpointList": "..models", "AsyncServiceCalls": "._bound",
    "AsyncEndpointCalls": "._bound",
}  # fmt: skip
_BOUND_IMPORT = re.compile(r"^from \._async_bound import (.*)\n", re.MULTILINE)


def _bound_import(match: re.Match[str]) -> str:
    """``from ._async_bound import ...`` as the sync imports of the same names."""
    lines = []
    for name in (part.strip() for part in match.group(1).split(",")):
        lines.append(f"from {BOUND_HOMES[name]} import {name}\n")
    return "".join(lines)


def unasync(source: str, name: str) -> str:
    """The sync text of an async module's ``source`` (unformatted)."""
    source = _BOUND_IMPORT.sub(_bound_import, source)
    for pattern, replacement in COMPILED:
        source = pattern.sub(replacement, source)
    header = f"# Generated from {name} by .ci/unasync.py: do not edit (make generate).\n"
    return header + source


def formatted(text: str, path: Path) -> str:
    """``text`` as ruff (the tree's settings) sorts its imports and formats it."""
    ruff = [sys.executable, "-m", "ruff"]
    name = ["--stdin-filename", str(path)]
    fixed = subprocess.run(
        [*ruff, "check", "--quiet", "--fix-only", "--select", "I,F401", *name, "-"],
        input=text, capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout  # fmt: skip
    return subprocess.run(
        [*ruff, "format", "--quiet", *name, "-"],
        input=fixed, capture_output=True, text=True, check=True, cwd=ROOT,
    ).stdout  # fmt: skip


def _substituted(text: str) -> str:
    """``text`` with the substitutions alone (no header, no import rewriting)."""
    for pattern, replacement in COMPILED:
        text = pattern.sub(replacement, text)
    return text


def generated() -> dict[str, str]:
    """``{path under abeja/services: text}`` of every generated module (unformatted): the
    sync managers, then the bound models (``bound.py``, from the managers' signatures)."""
    texts = {
        target: unasync((PACKAGE / source).read_text(), Path(source).name)
        for source, target in PAIRS
    }
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    import bound

    texts.update(bound.render(_substituted))
    return texts


def main(argv: list[str]) -> int:
    check = "--check" in argv
    stale = []
    for target_name, raw in generated().items():
        target = PACKAGE / target_name
        text = formatted(raw, target)
        current = target.read_text() if target.exists() else ""
        if text == current:
            continue
        if check:
            stale.append(target_name)
            diff = difflib.unified_diff(
                current.splitlines(keepends=True), text.splitlines(keepends=True),
                f"{target_name} (committed)", f"{target_name} (generated)", n=1,
            )  # fmt: skip
            sys.stdout.writelines(list(diff)[:40])
        else:
            target.write_text(text)
            print(f"wrote {target.relative_to(ROOT)}")
    if stale:
        print(f"stale: {', '.join(stale)}: run `make generate`", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
