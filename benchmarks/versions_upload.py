"""`make bench-upload`: a 200 MiB folder uploaded as a deployment version.

The emulator runs in its own process (bodies not recorded). Each contender runs in a fresh
process, interleaved and shuffled over rounds; medians are reported:

- ``versions.create(folder)``: archived (gzip, reproducible) into a temporary file, then
  uploaded; the archive's size is the figure's bytes;
- ``versions.create(archive)``: the same archive, made beforehand, uploaded as it is;
- ``requests.put``: the anchor, a plain ``requests.put(upload_url, data=file)`` of that
  archive (the version created beforehand, untimed), as abeja-sdk's docs show it.

Reported: seconds, MB/s of archive bytes, and the growth of peak RSS over the process's
own after its imports (the folder's 200 MiB must never be in memory).

Writes benchmarks/results/versions-upload.json.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"

EMULATOR = """
import json, sys
from abeja.services.testing import ServiceEmulator
with ServiceEmulator() as emulator:
    emulator.record_bodies = False
    print(json.dumps({**emulator.env(), "ABEJA_DEPLOYMENT_ID": emulator.deployment_id}), flush=True)
    sys.stdin.read()
"""

CONTENDER = """
import json, os, resource, sys, time
kind, source, number = sys.argv[1], sys.argv[2], sys.argv[3]
import requests
from abeja.services import ServiceClient
client = ServiceClient()
dep = os.environ["ABEJA_DEPLOYMENT_ID"]
upload_url = None
if kind == "requests.put":
    made = requests.post(
        f"{os.environ['ABEJA_API_URL']}/organizations/{os.environ['ABEJA_ORGANIZATION_ID']}"
        f"/deployments/{dep}/versions",
        json={"version": number, "image": "abeja-inc/all-cpu:19.10", "handler": "predict:handler"},
        headers={"Authorization": f"Bearer {os.environ['PLATFORM_AUTH_TOKEN']}"}, timeout=60,
    )
    upload_url = made.json()["upload_url"]
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
started = time.perf_counter()
if kind == "requests.put":
    with open(source, "rb") as file:
        answer = requests.put(upload_url, data=file, timeout=600)
    assert answer.status_code == 200, answer.text
    size = os.path.getsize(source)
else:
    size = client.versions.create(dep, source, version=number).archive_bytes
seconds = time.perf_counter() - started
after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
print(json.dumps({"seconds": seconds, "bytes": size, "rss_growth_mb": (after - before) / 1024}))
"""


def _folder(root: Path, mib: int) -> Path:
    """``mib`` MiB of incompressible files and a handler."""
    folder = root / "model"
    folder.mkdir()
    (folder / "predict.py").write_text("def handler(request, context):\n    return {}\n")
    chunk = 8 * 1024 * 1024
    for index in range(mib // 50 or 1):
        with open(folder / f"weights-{index}.bin", "wb") as file:
            for _ in range(min(50, mib) * 1024 * 1024 // chunk):
                file.write(os.urandom(chunk))
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--mib", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    from abeja.services._managers._archive import archive_folder

    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        folder = _folder(root, args.mib)
        archive = archive_folder(folder)
        targz = root / "model.tar.gz"
        with open(targz, "wb") as out:
            while chunk := archive.file.read(1 << 20):
                out.write(chunk)
        archive.close()
        emulator = subprocess.Popen(
            [sys.executable, "-c", EMULATOR], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        assert emulator.stdout is not None
        env = {**os.environ, **json.loads(emulator.stdout.readline())}
        kinds = {"versions.create(folder)": str(folder), "versions.create(archive)": str(targz),
                 "requests.put": str(targz)}  # fmt: skip
        figures: dict[str, list[dict[str, float]]] = {kind: [] for kind in kinds}
        try:
            for round_number in range(args.rounds):
                order = list(kinds)
                random.shuffle(order)
                for index, kind in enumerate(order):
                    number = f"{round_number}.{index}.{random.randrange(1 << 30)}"
                    done = subprocess.run(
                        [sys.executable, "-c", CONTENDER, kind, kinds[kind], number],
                        env=env, capture_output=True, text=True, check=True, timeout=900,
                    )  # fmt: skip
                    figures[kind].append(json.loads(done.stdout))
        finally:
            emulator.communicate("")
    rows = []
    for kind, runs in figures.items():
        seconds = statistics.median(r["seconds"] for r in runs)
        size = runs[0]["bytes"]
        rows.append({
            "contender": kind,
            "archive_mb": round(size / 1e6, 1),
            "seconds": round(seconds, 2),
            "mb_per_s": round(size / 1e6 / seconds, 1),
            "rss_growth_mb": round(statistics.median(r["rss_growth_mb"] for r in runs), 1),
        })  # fmt: skip
    anchor = next(r for r in rows if r["contender"] == "requests.put")
    for row in rows:
        row["throughput_vs_requests_put"] = round(row["mb_per_s"] / anchor["mb_per_s"], 2)
    print(f"{'contender':28} {'MB':>7} {'s':>7} {'MB/s':>7} {'x put':>6} {'RSS+ MB':>8}")
    for row in rows:
        print(f"{row['contender']:28} {row['archive_mb']:7} {row['seconds']:7} "
              f"{row['mb_per_s']:7} {row['throughput_vs_requests_put']:6} "
              f"{row['rss_growth_mb']:8}")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "versions-upload.json").write_text(json.dumps({
        "date": datetime.date.today().isoformat(), "mib": args.mib, "rounds": args.rounds,
        "rows": rows,
    }, indent=2) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
