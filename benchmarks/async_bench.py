"""``make bench-async``: the async client beside its alternatives, side by side in one run.

- 1,000 concurrent small predictions: ``AsyncServiceClient`` (one ``gather``) against
  ``ServiceClient`` shared by 16 threads and abeja-sdk 2.3.6's ``APIClient`` on 16
  threads (in its own virtualenv and process, as ``make bench`` runs it; ``--no-sdk``
  leaves it out); wall time per batch.
- Bursts on one client: a ``gather`` of 1, 10, 100 and 1,000 new predictions, and 100
  tasks each making 10, beside aiohttp (the issue's anchor); calls/s.
- Per call, one after the other: an async typed ``services.get`` against a bare
  ``httpx.AsyncClient`` + ``json.loads`` (and aiohttp's, when installed), client CPU.

The server is benchmarks/server.py in its own process. Rounds are interleaved, medians
reported; ratios are the claim (absolute times move with the machine).
"""

from __future__ import annotations

import argparse
import asyncio
import importlib.util
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from abeja.services import AsyncServiceClient, ServiceClient

sys.path.insert(0, str(Path(__file__).resolve().parent))
from run import SdkWorker, sdk_python  # noqa: E402 - the same abeja-sdk as make bench

HERE = Path(__file__).resolve().parent
ORG, DEP, SID = "1111111111111", "9999999999999", "ser-abc1111111111111"
TOKEN = "bench-token"
PATH = f"/organizations/{ORG}/deployments/{DEP}/services/{SID}"


def _settings(base: str) -> dict[str, object]:
    return {"base_url": base, "credential": {"auth_token": TOKEN},
            "service_url_template": base + "/o/{organization_id}"}  # fmt: skip


async def _concurrent_async(base: str, count: int) -> float:
    async with AsyncServiceClient(ORG, **_settings(base)) as client:  # type: ignore[arg-type]
        await client.services.predict(DEP, SID, json={})
        started = time.perf_counter()
        await asyncio.gather(*(client.services.predict(DEP, SID, json={"i": i})
                               for i in range(count)))  # fmt: skip
        return time.perf_counter() - started


def _concurrent_threads(base: str, count: int) -> float:
    with ServiceClient(ORG, **_settings(base)) as client:  # type: ignore[arg-type]
        client.services.predict(DEP, SID, json={})
        with ThreadPoolExecutor(16) as pool:
            started = time.perf_counter()
            list(pool.map(lambda i: client.services.predict(DEP, SID, json={"i": i}),
                          range(count)))  # fmt: skip
            return time.perf_counter() - started


async def _cpu_per_call(make: Callable[[], Awaitable[Callable[[], Awaitable[object]]]],
                        count: int) -> float:  # fmt: skip
    call = await make()
    await call()
    cpu = time.process_time()
    for _ in range(count):
        await call()
    return (time.process_time() - cpu) / count


def _typed(base: str) -> Callable[[], Awaitable[Callable[[], Awaitable[object]]]]:
    async def make() -> Callable[[], Awaitable[object]]:
        client = AsyncServiceClient(ORG, **_settings(base))  # type: ignore[arg-type]
        return lambda: client.services.get(DEP, SID)

    return make


def _bare_httpx(base: str) -> Callable[[], Awaitable[Callable[[], Awaitable[object]]]]:
    async def make() -> Callable[[], Awaitable[object]]:
        client = httpx.AsyncClient(headers={"Authorization": f"Bearer {TOKEN}"})

        async def call() -> object:
            return json.loads((await client.get(base + PATH)).content)

        return call

    return make


def _bare_aiohttp(base: str) -> Callable[[], Awaitable[Callable[[], Awaitable[object]]]]:
    async def make() -> Callable[[], Awaitable[object]]:
        import aiohttp

        session = aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"})

        async def call() -> object:
            async with session.get(base + PATH) as response:
                return json.loads(await response.read())

        return call

    return make


async def _burst(kind: str, base: str, size: int, loops: int = 1) -> float:
    """Calls per second of ``size`` tasks on one new client, each making ``loops`` calls
    (loops=1: a burst of ``size`` new calls, one ``gather``)."""
    if kind == "aiohttp":
        import aiohttp

        url = base + f"/o/{ORG}/deployments/{DEP}/services/{SID}"
        async with aiohttp.ClientSession(headers={"Authorization": f"Bearer {TOKEN}"}) as http:

            async def post(i: int) -> object:
                async with http.post(url, json={"i": i}) as response:
                    return json.loads(await response.read())

            return await _timed_tasks(post, size, loops)
    async with AsyncServiceClient(ORG, **_settings(base)) as client:  # type: ignore[arg-type]

        async def predict(i: int) -> object:
            return await client.services.predict(DEP, SID, json={"i": i})

        return await _timed_tasks(predict, size, loops)


async def _timed_tasks(call: Callable[[int], Awaitable[object]], size: int, loops: int) -> float:
    async def task(i: int) -> None:
        for _ in range(loops):
            await call(i)

    started = time.perf_counter()
    await asyncio.gather(*(task(i) for i in range(size)))
    return size * loops / (time.perf_counter() - started)


def _bursts(base: str, rounds: int) -> None:
    """Bursts of 1, 10, 100 and 1,000 new calls on one client, and 100 tasks looping 10
    times, beside aiohttp; interleaved rounds, medians."""
    if importlib.util.find_spec("aiohttp") is None:
        print("\nbursts: aiohttp is not installed here (the anchor)")
        return
    shapes = [(1, 1), (10, 1), (100, 1), (1000, 1), (100, 10)]
    rates: dict[tuple[str, int, int], list[float]] = {}
    for _ in range(rounds):
        for size, loops in shapes:
            for kind in ("abeja-services", "aiohttp"):
                rate = asyncio.run(_burst(kind, base, size, loops))
                rates.setdefault((kind, size, loops), []).append(rate)
    print("\n| async, one client | calls/s | aiohttp calls/s | × aiohttp |\n|---|---:|---:|---:|")
    for size, loops in shapes:
        ours = statistics.median(rates[("abeja-services", size, loops)])
        theirs = statistics.median(rates[("aiohttp", size, loops)])
        shape = f"gather of {size:,} new calls" if loops == 1 else f"{size} tasks x {loops} calls"
        print(f"| {shape} | {ours:,.0f} | {theirs:,.0f} | {ours / theirs:.2f} |")
    ours_by = {shape: statistics.median(rates[("abeja-services", *shape)]) for shape in shapes}
    theirs_by = {shape: statistics.median(rates[("aiohttp", *shape)]) for shape in shapes}
    ratios = {shape: ours_by[shape] / theirs_by[shape] for shape in shapes}
    _verdicts(ratios, [ours_by[shape] for shape in shapes[:4]])


def _verdicts(ratios: dict[tuple[int, int], float], growing: list[float]) -> None:
    """Issue 33's targets for the bursts: ≥ 0.5× aiohttp (100 at once; 100 tasks looping),
    and no drop in calls/s as the burst grows from 1 to 1,000 (each within 10% of the
    one before, or above it)."""
    print()
    for shape, what in (((100, 1), "gather of 100"), ((100, 10), "100 tasks looping")):
        met = "met" if ratios[shape] >= 0.5 else "not met"
        print(f"{what} ≥ 0.5× aiohttp: {ratios[shape]:.2f}× ({met})")
    drop = any(later < 0.9 * before for before, later in zip(growing, growing[1:], strict=False))
    steps = " → ".join(f"{rate:,.0f}" for rate in growing)
    print(f"no drop from 1 to 1,000 at once: {steps} calls/s ({'not met' if drop else 'met'})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--calls", type=int, default=300)
    parser.add_argument("--no-sdk", action="store_true", help="leave abeja-sdk 2.3.6 out")
    args = parser.parse_args()
    sdk = None if args.no_sdk else sdk_python()
    server = subprocess.Popen([sys.executable, str(HERE / "server.py")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert server.stdout is not None and server.stdin is not None
    base = f"http://127.0.0.1:{json.loads(server.stdout.readline())['http']}"
    walls: dict[str, list[float]] = {"async gather": [], "sync, 16 threads": []}
    worker = None
    if sdk is not None:
        env = {**os.environ, "ABEJA_API_URL": base, "PLATFORM_AUTH_TOKEN": TOKEN,
               "HTTP_PROXY": base, "NO_PROXY": ""}  # fmt: skip
        worker = SdkWorker(sdk, env)
        walls["abeja-sdk 2.3.6, 16 threads"] = []
    cpu: dict[str, list[float]] = {
        "AsyncServiceClient.services.get": [],
        "bare httpx.AsyncClient + json": [],
    }
    makers = {"AsyncServiceClient.services.get": _typed(base),
              "bare httpx.AsyncClient + json": _bare_httpx(base)}  # fmt: skip
    if importlib.util.find_spec("aiohttp") is not None:
        cpu["bare aiohttp + json"] = []
        makers["bare aiohttp + json"] = _bare_aiohttp(base)
    try:
        for _ in range(args.rounds):
            walls["async gather"].append(asyncio.run(_concurrent_async(base, 1000)))
            walls["sync, 16 threads"].append(_concurrent_threads(base, 1000))
            if worker is not None:
                walls["abeja-sdk 2.3.6, 16 threads"].append(worker.predict(16, 1000))
            for name, make in makers.items():
                cpu[name].append(asyncio.run(_cpu_per_call(make, args.calls)))
    finally:
        if worker is not None:
            worker.close()
        server.stdin.close()
        server.wait(10)
        server.stdout.close()
    print("| 1,000 concurrent predictions | seconds (median) | calls/s |\n|---|---:|---:|")
    for name, values in walls.items():
        median = statistics.median(values)
        print(f"| {name} | {median:.3f} | {1000 / median:,.0f} |")
    bare = statistics.median(cpu["bare httpx.AsyncClient + json"])
    print("\n| one get after another | client CPU µs per call | × bare httpx |\n|---|---:|---:|")
    for name, values in cpu.items():
        median = statistics.median(values)
        print(f"| {name} | {median * 1e6:.0f} | {median / bare:.2f} |")
    if "bare aiohttp + json" not in cpu:
        print("\naiohttp: not installed here (pip install aiohttp to measure it beside httpx)")
    server = subprocess.Popen([sys.executable, str(HERE / "server.py")], stdin=subprocess.PIPE,
                              stdout=subprocess.PIPE, text=True)  # fmt: skip
    assert server.stdout is not None and server.stdin is not None
    try:
        _bursts(f"http://127.0.0.1:{json.loads(server.stdout.readline())['http']}", args.rounds)
    finally:
        server.stdin.close()
        server.wait(10)
        server.stdout.close()


if __name__ == "__main__":
    main()
