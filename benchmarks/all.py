"""``make bench``: every figure of the benchmarks page in one run, each beside its anchors.

Runs each benchmark of this folder in turn (each interleaves its own contenders over
rounds and reports medians, or counts instructions where time is noisy), then writes one
report, ``benchmarks/results/all.md``: the date, the commit, the machine, every table as
its benchmark printed it, and first, every target's verdict line gathered from them.

``--quick`` runs fewer rounds and calls everywhere (a check that every figure is made,
about a quarter of the time); without it, each benchmark's own defaults.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import re
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
REPORT = HERE / "results" / "all.md"

# (short name, title, script and its arguments, the arguments --quick adds)
STEPS: list[tuple[str, str, list[str], list[str]]] = [
    ("run.py", "Gets, lists, 16 threads and memory against http.client, requests and abeja-sdk",
     ["run.py"], ["--rounds", "5", "--calls", "100"]),
    ("cold start", "Cold start", ["cold_start.py"], ["--rounds", "5"]),
    ("ir get", "Instructions per call: a get", ["ir.py"], ["--quick"]),
    ("ir predict", "Instructions per call: a 1 MiB predict", ["ir.py", "--predict"],
     ["--quick"]),
    ("ir logs", "Instructions per call: a page of 1,000 log events", ["ir.py", "--logs"],
     ["--quick"]),
    ("ir compat list", "Instructions per call: the compat list of 10,000",
     ["ir.py", "--compat-list"], ["--quick"]),
    ("import", "The import", ["import_ir.py"], []),
    ("async", "The async client against aiohttp and httpx", ["async_bench.py"],
     ["--rounds", "3", "--calls", "150"]),
    ("threads", "16 threads on one client against the floor", ["threads_vs.py"],
     ["--rounds", "3"]),
    ("answer", "A 100 MiB answer, whole and streamed", ["big_answer.py"], ["--rounds", "2"]),
]  # fmt: skip

# A verdict line: "... (met)", "... not met", a targets table's "| yes |" or "**no**", a cold
# start row ending "yes"/"no".
VERDICT = re.compile(r"\b(not met|met)\b|\*\*no\*\*|\| yes \||\s(yes|no)$")
HEADERS = ("| target", "case ")


def commit() -> str:
    """The commit measured, marked when the tree has changes."""
    root = HERE.parent
    head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                          text=True, cwd=root).stdout.strip() or "unknown"  # fmt: skip
    dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True, cwd=root).stdout.strip()  # fmt: skip
    return head + (" (with changes)" if dirty else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer rounds and calls")
    parser.add_argument("--only", default="", help="run the steps whose title has this text")
    args = parser.parse_args()
    started, measured = time.monotonic(), commit()  # before the results files change
    sections: list[str] = []
    verdicts: list[str] = []
    failed = 0
    for name, title, command, quick in STEPS:
        if args.only and args.only.lower() not in f"{name} {title}".lower():
            continue
        extra = quick if args.quick else []
        argv = [sys.executable, str(HERE / command[0]), *command[1:], *extra]
        print(f"== {title}: {' '.join(argv[1:])}", flush=True)
        step_started = time.monotonic()
        done = subprocess.run(argv, capture_output=True, text=True, cwd=HERE.parent,
                              env={**os.environ, "PYTHONUNBUFFERED": "1"})  # fmt: skip
        output = done.stdout.strip()
        print(output, flush=True)
        seconds = time.monotonic() - step_started
        if done.returncode != 0:
            failed += 1
            output += f"\n\n(exit {done.returncode})\n{done.stderr.strip()[-2000:]}"
        verdicts += [f"- {name}: {line.strip()}" for line in output.splitlines()
                     if VERDICT.search(line) and not line.startswith(HEADERS)]  # fmt: skip
        sections.append(f"## {title}\n\n`{' '.join(argv[1:])}`, {seconds:.0f} s\n\n"
                        f"```text\n{output}\n```\n")  # fmt: skip
    head = (
        f"# Every figure, one run\n\n{datetime.date.today().isoformat()}, commit {measured}, "
        f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"{'--quick, ' if args.quick else ''}{time.monotonic() - started:.0f} s in all.\n\n"
        "## Verdicts\n\n" + ("\n".join(verdicts) or "(none printed)") + "\n\n"
    )
    REPORT.write_text(head + "\n".join(sections))
    print(f"\nwritten: {REPORT.relative_to(HERE.parent)}")
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
