"""``make bench-threads``: 16 threads sharing one ``ServiceClient``, this tree against an
earlier commit of it, side by side in one run.

The earlier code (``--baseline``, default the commit before this round's fast path) is
checked out into a temporary git worktree; each side runs in its own process (one
version of the package per process), rounds interleaved, medians reported. Each round
also reads what bounds the threads: the client process's CPU per call (under the GIL at
most one core) and the server's (benchmarks/server.py, its own process). A third side is
the floor: 16 threads of bare ``http.client`` + ``json.loads``, a connection of its own
each, no timeout, no checks: what any client of this machine's Python can reach.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
BASELINE = "6cdc5a0"  # main when issue 22's lean path began: urllib3 under every call

WORKER = """
import json, os, sys, threading, time
from abeja.services import ServiceClient
url = sys.argv[1]
threads, per_thread, server_pid = (int(arg) for arg in sys.argv[2:5])
ORG, DEP, SID = "1111111111111", "9999999999999", "ser-abc1111111111111"
client = ServiceClient(ORG, base_url=url, credential={"auth_token": "bench-token"},
                       service_url_template=url + "/o/{organization_id}")
body = {"image": "cat.png", "threshold": 0.5}
def cpu(pid):
    fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
def run(count):
    barrier = threading.Barrier(threads + 1)
    def work():
        barrier.wait()
        for _ in range(count):
            client.services.predict(DEP, SID, json=body).json()
    workers = [threading.Thread(target=work) for _ in range(threads)]
    for w in workers: w.start()
    barrier.wait()
    started = time.perf_counter()
    for w in workers: w.join()
    return time.perf_counter() - started
run(5)
server, mine = cpu(server_pid), time.process_time()
wall = run(per_thread)
calls = threads * per_thread
print(json.dumps({"calls_per_s": calls / wall,
                  "client_cpu_us": (time.process_time() - mine) / calls * 1e6,
                  "server_cpu_us": (cpu(server_pid) - server) / calls * 1e6}))
"""


# The same measurement with no SDK: bare http.client keep-alive, one connection per thread.
_NO_SDK = ("from abeja.services import ServiceClient\n", "import http.client\n")
FLOOR = (
    WORKER.replace(*_NO_SDK)
    .replace(
        """client = ServiceClient(ORG, base_url=url, credential={"auth_token": "bench-token"},
                       service_url_template=url + "/o/{organization_id}")
""",
        """host, port = url.split("//")[1].split(":")
path = f"/o/{ORG}/deployments/{DEP}/services/{SID}"
local = threading.local()
def predict(payload):
    conn = getattr(local, "conn", None)
    if conn is None:
        conn = local.conn = http.client.HTTPConnection(host, int(port))
    conn.request("POST", path, json.dumps(payload).encode(),
                 {"Content-Type": "application/json", "Authorization": "Bearer bench-token"})
    return json.loads(conn.getresponse().read())
""",
    )
    .replace("client.services.predict(DEP, SID, json=body).json()", "predict(body)")
)
FLOOR_SIDE = Path("floor")


def one(tree: Path, url: str, per_thread: int, server_pid: int) -> dict[str, float]:
    env = {**os.environ, "PYTHONPATH": str(tree)}
    worker = FLOOR if tree == FLOOR_SIDE else WORKER
    done = subprocess.run(
        [sys.executable, "-c", worker, url, "16", str(per_thread), str(server_pid)],
        capture_output=True, text=True, env=env, check=True, timeout=600,
    )  # fmt: skip
    figures: dict[str, float] = json.loads(done.stdout)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--baseline", default=BASELINE, help="the commit to compare with")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--per-thread", type=int, default=400)
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="abeja-threads-"))
    old = folder / "baseline"
    subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old),
                    args.baseline], check=True)  # fmt: skip
    server = subprocess.Popen([sys.executable, str(HERE / "server.py")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert server.stdout is not None and server.stdin is not None
    url = f"http://127.0.0.1:{json.loads(server.stdout.readline())['http']}"
    sides = {f"baseline {args.baseline}": old, "this tree": ROOT, "floor": FLOOR_SIDE}
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in sides}
    try:
        for round_number in range(args.rounds):
            order = list(sides)[round_number % 3 :] + list(sides)[: round_number % 3]
            for name in order:
                samples[name].append(one(sides[name], url, args.per_thread, server.pid))
    finally:
        server.stdin.close()
        server.wait(10)
        server.stdout.close()
        subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)],
                       check=False)  # fmt: skip
    print(f"16 threads sharing one ServiceClient, predicting; medians of {args.rounds} rounds")
    print("| code | calls/s | client CPU µs per call | client cores busy | server CPU µs "
          "per call | server cores busy |\n|---|---:|---:|---:|---:|---:|")  # fmt: skip
    medians = {}
    for name, runs in samples.items():
        m = {key: statistics.median(r[key] for r in runs) for key in runs[0]}
        medians[name] = m
        print(f"| {name} | {m['calls_per_s']:,.0f} | {m['client_cpu_us']:.0f} | "
              f"{m['client_cpu_us'] * m['calls_per_s'] / 1e6:.2f} | {m['server_cpu_us']:.0f} | "
              f"{m['server_cpu_us'] * m['calls_per_s'] / 1e6:.2f} |")  # fmt: skip
    base = medians[f"baseline {args.baseline}"]["calls_per_s"]
    ratio = medians["this tree"]["calls_per_s"] / base
    floor = medians["floor"]["calls_per_s"] / base
    print(f"\nthis tree / the floor: {ratio / floor:.2f}× calls/s (target ≥ 0.85×: "
          f"{'met' if ratio / floor >= 0.85 else 'not met'}); this tree / baseline: "
          f"{ratio:.2f}×, the floor / baseline: {floor:.2f}× (the floor bounds the 1.5× an "
          "earlier round asked of the baseline)")  # fmt: skip


if __name__ == "__main__":
    main()
