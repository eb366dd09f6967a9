"""Cold start, side by side in one run: bare Python, ``import abeja.services``, the pytest
plugin (what every pytest run pays where the package is installed) and
``abeja-services --help``. Each is a fresh interpreter; runs are interleaved and the medians
reported, with what each costs above its baseline.

Usage: ``python benchmarks/cold_start.py [--rounds N]``
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

PYTHON = sys.executable
CASES = {
    "bare python": [PYTHON, "-c", "pass"],
    "import abeja.services": [PYTHON, "-c", "import abeja.services"],
    "import pytest": [PYTHON, "-c", "import pytest"],
    "import pytest + the plugin": [PYTHON, "-c", "import pytest, abeja.services.testing.plugin"],
    "abeja-services --help": [PYTHON, "-m", "abeja.services.cli", "--help"],
}
# What each case is compared with, and its target above that baseline (ms).
TARGETS = {
    "import abeja.services": ("bare python", 50.0),
    "import pytest + the plugin": ("import pytest", 30.0),
    "abeja-services --help": ("bare python", 200.0),
}


def once(command: list[str]) -> float:
    started = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, cwd=Path.home())
    return (time.perf_counter() - started) * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    args = parser.parse_args()
    samples: dict[str, list[float]] = {name: [] for name in CASES}
    for command in CASES.values():  # warm the file cache, not measured
        once(command)
    for _ in range(args.rounds):
        for name, command in CASES.items():
            samples[name].append(once(command))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    print(f"cold start, median of {args.rounds} interleaved runs (ms)")
    print(f"{'case':<30} {'median':>8} {'above':>8} {'target':>8}  met")
    for name, value in medians.items():
        above, target, met = "", "", ""
        if name in TARGETS:
            base, limit = TARGETS[name]
            extra = value - medians[base]
            above, target, met = f"{extra:8.1f}", f"{limit:8.0f}", "yes" if extra <= limit else "no"
        print(f"{name:<30} {value:8.1f} {above:>8} {target:>8}  {met}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
