"""`make bench-batch`: batch prediction against a service of 16 instances whose handler
takes 20 ms (a capacity of 800 requests/s), at concurrency 16, 64 and 256.

Two services, each in its own process: the emulator (16 instances, a handler that sleeps
20 ms: what the issue asks for; its own threads and GIL bound it) and a lean asyncio
server that holds each request 20 ms with at most 16 at once (the same capacity, without
the emulator's overhead: what the client can reach). Contenders, each in a fresh process,
interleaved over rounds, medians:

- ``services.predict_batch`` on the sync client (threads);
- ``services.predict_batch`` on the async client (tasks);
- a hand-written aiohttp loop with a semaphore (the anchor).

Reported: requests/s, as a ratio of the capacity and of the aiohttp loop; client CPU per
request (the contender's process). And the growth of peak RSS while 1,000,000 requests
come from a generator (lean server, no delay), sync client.

Writes benchmarks/results/batch.json.
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
from pathlib import Path

HERE = Path(__file__).resolve().parent
RESULTS = HERE / "results"
ORG, DEP = "1111111111111", "9999999999999"

LEAN_SERVER = """
import asyncio, sys
instances, delay = int(sys.argv[1]), float(sys.argv[2])
BODY = b'{"ok": true}'
ANSWER = (b"HTTP/1.1 200 OK\\r\\nContent-Type: application/json\\r\\nContent-Length: "
          + str(len(BODY)).encode() + b"\\r\\nConnection: keep-alive\\r\\n\\r\\n" + BODY)

async def serve(reader, writer):
    slots = SLOTS
    try:
        while True:
            head = await reader.readuntil(b"\\r\\n\\r\\n")
            length = 0
            for line in head.split(b"\\r\\n"):
                if line[:15].lower() == b"content-length:":
                    length = int(line[15:])
            if length:
                await reader.readexactly(length)
            if delay:
                async with slots:
                    await asyncio.sleep(delay)
            writer.write(ANSWER)
    except (asyncio.IncompleteReadError, ConnectionError):
        writer.close()

async def main():
    global SLOTS
    SLOTS = asyncio.Semaphore(instances)
    server = await asyncio.start_server(serve, "127.0.0.1", 0, backlog=4096)
    print(server.sockets[0].getsockname()[1], flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)

asyncio.run(main())
"""

EMULATOR = """
import json, sys, time
from abeja.services.testing import ServiceEmulator

def handler(request, context):
    time.sleep(float(sys.argv[2]))
    return {"content_type": "application/json", "content": {"ok": True}}

with ServiceEmulator() as emulator:
    emulator.record_bodies = False
    emulator.add_deployment(emulator.deployment_id, {"ver-bench": handler})
    with emulator.client() as client:
        service = client.services.create(emulator.deployment_id, version_id="ver-bench",
                                         instance_number=int(sys.argv[1])).wait_until_ready()
    print(json.dumps({"url": emulator.url, "sid": service.service_id,
                      "token": emulator.auth_token}), flush=True)
    sys.stdin.read()
"""

CONTENDER = """
import asyncio, json, os, resource, sys, time
kind, base, sid, token, concurrency, count = sys.argv[1:7]
concurrency, count = int(concurrency), int(count)
template = base + "/o/{organization_id}"
rows = ({"json": {"n": n}} for n in range(count))

def cpu():
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime

if kind == "sync":
    from abeja.services import ServiceClient
    client = ServiceClient("1111111111111", base_url=base, credential={"auth_token": token},
                           service_url_template=template)
    started, cpu0 = time.perf_counter(), cpu()
    run = client.services.predict_batch("9999999999999", sid, rows, concurrency=concurrency)
    done = sum(1 for result in run if result.ok)
elif kind == "async":
    from abeja.services import AsyncServiceClient
    async def main():
        async with AsyncServiceClient("1111111111111", base_url=base,
                                      credential={"auth_token": token},
                                      service_url_template=template) as client:
            return sum([1 async for r in client.services.predict_batch(
                "9999999999999", sid, rows, concurrency=concurrency) if r.ok])
    started, cpu0 = time.perf_counter(), cpu()
    done = asyncio.run(main())
else:
    import aiohttp
    url = f"{base}/o/1111111111111/deployments/9999999999999/services/{sid}"
    async def main():
        limit = asyncio.Semaphore(concurrency)
        ok = 0
        async with aiohttp.ClientSession(
            headers={"Authorization": f"Bearer {token}"},
            connector=aiohttp.TCPConnector(limit=concurrency),
        ) as session:
            async def one(row):
                nonlocal ok
                async with limit:
                    async with session.post(url, json=row["json"]) as answer:
                        await answer.read()
                        ok += answer.status == 200
            pending = set()
            for row in rows:  # read lazily too: at most a few times concurrency ahead
                pending.add(asyncio.ensure_future(one(row)))
                if len(pending) >= 2 * concurrency:
                    _, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
            await asyncio.gather(*pending)
        return ok
    started, cpu0 = time.perf_counter(), cpu()
    done = asyncio.run(main())
seconds, used = time.perf_counter() - started, cpu() - cpu0
assert done == count, (done, count)
print(json.dumps({"rps": count / seconds, "cpu_ms": 1000 * used / count}))
"""

RSS = """
import json, resource, sys
from abeja.services import ServiceClient
base, count = sys.argv[1], int(sys.argv[2])
client = ServiceClient("1111111111111", base_url=base, credential={"auth_token": "x"},
                       service_url_template=base + "/o/{organization_id}")
list(client.services.predict_batch("9999999999999", "ser-1", ({"json": 1} for _ in range(1000)),
                                   concurrency=16))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
marks = []
rows = ({"json": {"n": n}} for n in range(count))
run = client.services.predict_batch("9999999999999", "ser-1", rows, concurrency=16)
for n, result in enumerate(run, 1):
    if n % (count // 5) == 0:
        marks.append((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
print(json.dumps({"growth_mb": marks, "succeeded": run.report.succeeded}))
"""


def _start(code: str, *args: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-c", code, *args], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert process.stdout is not None
    return process, process.stdout.readline().strip()


def _run(kind: str, base: str, sid: str, token: str, concurrency: int, count: int) -> dict:
    done = subprocess.run(
        [sys.executable, "-c", CONTENDER, kind, base, sid, token, str(concurrency), str(count)],
        capture_output=True, text=True, timeout=3600, check=True,
    )  # fmt: skip
    return json.loads(done.stdout)


def _rss(count: int) -> dict:
    """Peak RSS growth while ``count`` generated requests go through the sync client."""
    server, port = _start(LEAN_SERVER, "16", "0")
    try:
        done = subprocess.run(
            [sys.executable, "-c", RSS, f"http://127.0.0.1:{port}", str(count)],
            capture_output=True, text=True, timeout=7200, check=True,
        )  # fmt: skip
    finally:
        server.communicate("")
    return json.loads(done.stdout)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=10_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--rss-rows", type=int, default=1_000_000)
    parser.add_argument("--concurrency", default="16,64,256")
    parser.add_argument("--only-rss", action="store_true", help="the RSS figure alone")
    args = parser.parse_args()
    if args.only_rss:
        print(json.dumps(_rss(args.rss_rows)))
        return
    levels = [int(c) for c in args.concurrency.split(",")]
    capacity = 16 / 0.02
    kinds = ["sync", "async", "aiohttp"]
    lean, port = _start(LEAN_SERVER, "16", "0.02")
    emulator, line = _start(EMULATOR, "16", "0.02")
    targets = {"lean": (f"http://127.0.0.1:{port}", "ser-1", "x")}
    emulated = json.loads(line)
    targets["emulator"] = (emulated["url"], emulated["sid"], emulated["token"])
    runs: dict[tuple[str, str, int], list[dict]] = {}
    try:
        for _ in range(args.rounds):
            cases = [(t, k, c) for t in targets for k in kinds for c in levels]
            random.shuffle(cases)
            for target, kind, concurrency in cases:
                base, sid, token = targets[target]
                runs.setdefault((target, kind, concurrency), []).append(
                    _run(kind, base, sid, token, concurrency, args.requests)
                )
    finally:
        emulator.communicate("")
        lean.communicate("")
    rows = []
    for (target, kind, concurrency), measured in sorted(runs.items()):
        rps = statistics.median(m["rps"] for m in measured)
        anchor = statistics.median(m["rps"] for m in runs[(target, "aiohttp", concurrency)])
        rows.append({
            "service": target, "client": kind, "concurrency": concurrency,
            "requests_per_s": round(rps, 1), "of_capacity": round(rps / capacity, 2),
            "of_aiohttp": round(rps / anchor, 2),
            "cpu_ms_per_request": round(statistics.median(m["cpu_ms"] for m in measured), 3),
        })  # fmt: skip
    print(f"{'service':9} {'client':8} {'conc':>5} {'req/s':>8} {'capacity':>9} "
          f"{'aiohttp':>8} {'CPU ms':>7}")  # fmt: skip
    for row in rows:
        print(f"{row['service']:9} {row['client']:8} {row['concurrency']:5} "
              f"{row['requests_per_s']:8} {row['of_capacity']:9} {row['of_aiohttp']:8} "
              f"{row['cpu_ms_per_request']:7}")  # fmt: skip
    rss = _rss(args.rss_rows)
    print(f"RSS growth over {args.rss_rows} requests from a generator, at each fifth: "
          f"{rss['growth_mb']} MB")  # fmt: skip
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "batch.json").write_text(json.dumps({
        "date": datetime.date.today().isoformat(), "requests": args.requests,
        "rounds": args.rounds, "capacity_rps": capacity, "rows": rows,
        "rss": {"rows": args.rss_rows, **rss},
        "cpus": os.cpu_count(),
    }, indent=2) + "\n")  # fmt: skip


if __name__ == "__main__":
    main()
