"""``make bench-ir``: instructions per call, counted by callgrind, for one typed get against
the floor and the other clients. Stable on a noisy machine, unlike time.

Per call = (Ir of a run making 350 calls - Ir of one making 50) / 300: start-up, imports
and the first connection cancel out. Only the client's process runs under callgrind; the
server (benchmarks/server.py) is another process. Prints a table, and merges its rows
into benchmarks/results/ir.json, each with its date and commit; ``--quick`` counts 10
and 70 calls instead.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.util
import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
KINDS = ("floor", "typed", "compat", "requests", "httpx", "abeja-sdk")
LIST_KINDS = ("requests-list", "typed-list")  # a list of 1,000: ``--lists``
PREDICT_KINDS = ("floor-predict", "typed-predict")  # a 1 MiB predict: ``--predict``
COMPAT_LIST_KINDS = ("abeja-sdk-list", "compat-list")  # 10,000 as dicts: ``--compat-list``
LOGS_KINDS = ("floor-logs", "typed-logs")  # a page of 1,000 log events: ``--logs``


def instructions(
    python: str, kind: str, count: int, base: str, folder: Path, ca: str | None = None
) -> int:
    """The client's total Ir for ``count`` calls (after one warm-up call)."""
    out = folder / f"{kind}-{count}.out"
    env = {**os.environ, "ABEJA_API_URL": base, "PYTHONHASHSEED": "0"}
    if ca is not None:  # over TLS: every client verifies the bench's certificate
        env["REQUESTS_CA_BUNDLE"] = ca
    done = subprocess.run(
        ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--quiet",
         python, str(HERE / "ir_client.py"), kind, str(count), base],
        env=env, capture_output=True, text=True, timeout=1800,
    )  # fmt: skip
    if done.returncode != 0:
        raise SystemExit(f"{kind} ({count} calls) failed:\n{done.stderr[-3000:]}")
    for line in out.read_text().splitlines():
        if line.startswith(("summary:", "totals:")):
            return int(line.split()[1])
    raise RuntimeError(f"no totals in {out}")


def interpreter(kind: str) -> str | None:
    """The python that runs ``kind`` (None: not available here, with why printed)."""
    if kind in ("abeja-sdk", "abeja-sdk-list"):
        sdk = HERE / ".abeja-sdk-venv" / "bin" / "python"
        if not sdk.exists():
            sys.path.insert(0, str(HERE))
            from run import sdk_python  # installs abeja-sdk 2.3.6 in its own venv once

            return str(sdk_python())
        return str(sdk)
    if kind == "httpx" and importlib.util.find_spec("httpx") is None:
        print("httpx: not installed here (it is in the dev extra): row skipped")
        return None
    return sys.executable


def record(per_call: dict[str, float], calls: tuple[int, int], name: str) -> None:
    """Merge this run's rows into ``benchmarks/results/<name>``: each row keeps the date,
    commit and call counts it was measured with (rows of other runs stay as they were)."""
    path = RESULTS / name
    RESULTS.mkdir(exist_ok=True)
    rows: dict[str, dict[str, object]] = {}
    if path.exists():
        rows = json.loads(path.read_text()).get("rows", {})
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, cwd=HERE
    ).stdout.strip()
    when = datetime.date.today().isoformat()
    for kind, value in per_call.items():
        rows[kind] = {"ir_per_call": round(value), "date": when, "commit": commit,
                      "calls": list(calls)}  # fmt: skip
    path.write_text(json.dumps({"rows": rows}, indent=2, sort_keys=True) + "\n")


def _against(
    per_call: dict[str, float],
    title: str,
    anchor: tuple[str, str],
    ours: tuple[str, str],
    target: float,
    *,
    unit: float = 1e3,
) -> None:
    """Two rows (the anchor, then ours) as a table, and ours against ``target`` × the anchor."""
    base, value = per_call[anchor[0]], per_call[ours[0]]
    ratio = value / base
    suffix = "M" if unit == 1e6 else "k"
    print(f"\n| {title} | Ir per call | × the first row |\n|---|---:|---:|")
    print(f"| {anchor[1]} | {base / unit:,.0f}{suffix} | 1.00 |")
    print(f"| {ours[1]} | {value / unit:,.0f}{suffix} | {ratio:.2f} |")
    verdict = "met" if ratio <= target else "not met"
    print(f"\n{ours[1]}: {ratio:.2f}× the first row (target ≤ {target:.2f}×: {verdict})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--quick", action="store_true", help="10 and 70 calls")
    parser.add_argument("--kinds", default=",".join(KINDS), help="which rows (floor first)")
    parser.add_argument("--tls", action="store_true", help="over HTTPS (a certificate made now)")
    parser.add_argument("--lists", action="store_true", help="a list of 1,000: typed, requests")
    parser.add_argument("--predict", action="store_true", help="a 1 MiB predict: typed, floor")
    parser.add_argument(
        "--compat-list", action="store_true", help="get_services of 10,000: compat, abeja-sdk"
    )
    parser.add_argument("--logs", action="store_true", help="a page of 1,000 log events")
    args = parser.parse_args()
    kinds = [kind for kind in args.kinds.split(",") if kind]
    kinds = list(LIST_KINDS) if args.lists else list(PREDICT_KINDS) if args.predict else kinds
    kinds = list(COMPAT_LIST_KINDS) if args.compat_list else kinds
    kinds = list(LOGS_KINDS) if args.logs else kinds
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not on this machine (apt install valgrind)")
    low, high = (10, 70) if args.quick else (50, 350)
    if args.compat_list:  # each call decodes 10,000 services: a few calls suffice
        low, high = 1, 4
    folder = Path(tempfile.mkdtemp(prefix="abeja-ir-"))
    command = [sys.executable, str(HERE / "server.py")]
    ca = None
    if args.tls:
        sys.path.insert(0, str(HERE))
        from run import make_certificate

        made = make_certificate(folder)
        if made is None:
            raise SystemExit("--tls needs openssl to make a certificate")
        ca = made[0]
        command += ["--cert", made[0], "--key", made[1]]
    server = subprocess.Popen(command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None and server.stdin is not None
    ports = json.loads(server.stdout.readline())
    base = (
        f"https://127.0.0.1:{ports['https']}" if args.tls else f"http://127.0.0.1:{ports['http']}"
    )
    per_call: dict[str, float] = {}
    try:
        for kind in kinds:
            python = interpreter(kind)
            if python is None:
                continue
            counted = [instructions(python, kind, n, base, folder, ca) for n in (low, high)]
            per_call[kind] = (counted[1] - counted[0]) / (high - low)
            print(f"{kind}: {per_call[kind] / 1000:,.0f}k Ir per call", flush=True)
    finally:
        server.stdin.close()
        server.wait(10)
        server.stdout.close()
        shutil.rmtree(folder, ignore_errors=True)
    record(per_call, (low, high), "ir-tls.json" if args.tls else "ir.json")
    if args.lists:
        ratio = per_call["typed-list"] / per_call["requests-list"]
        print(f"\n| list of 1,000 | Ir per call |\n|---|---:|\n"
              f"| requests + json | {per_call['requests-list'] / 1000:,.0f}k |\n"
              f"| typed list | {per_call['typed-list'] / 1000:,.0f}k |\n\n"
              f"typed list ≤ 1.05× requests + json: {ratio:.2f} "
              f"({'met' if ratio <= 1.05 else 'not met'})")  # fmt: skip
        return
    if args.compat_list:
        _against(
            per_call,
            "get_services, 10,000 entries",
            ("abeja-sdk-list", "abeja-sdk 2.3.6"),
            ("compat-list", "compat APIClient"),
            1.00,
            unit=1e6,
        )
        return
    if args.logs:
        _against(
            per_call,
            "logs, a page of 1,000 events",
            ("floor-logs", "http.client GET + json.loads (the floor)"),
            ("typed-logs", "typed `services.logs`"),
            1.30,
        )
        return
    if args.predict:
        _against(
            per_call,
            "predict, 1 MiB body",
            ("floor-predict", "http.client POST (the floor)"),
            ("typed-predict", "typed predict"),
            1.20,
        )
        return
    floor = per_call["floor"]
    wire = "HTTPS" if args.tls else "HTTP"
    print(f"\n| get one service, {wire} | Ir per call | × floor |\n|---|---:|---:|")
    for kind, value in per_call.items():
        print(f"| {kind} | {value / 1000:,.0f}k | {value / floor:.2f} |")
    typed = per_call.get("typed")
    if typed is not None:
        print(f"\ntyped get ≤ 1.10× the floor: {typed / floor:.2f} "
              f"({'met' if typed / floor <= 1.10 else 'not met'})")  # fmt: skip
    if typed is not None and "compat" in per_call:
        print(f"compat within 5% of typed: {per_call['compat'] / typed:.2f}")


if __name__ == "__main__":
    main()
