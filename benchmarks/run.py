"""`make bench`: abeja-services against http.client, plain requests and abeja-sdk 2.3.6.

One fast keep-alive server (benchmarks/server.py, its own process) answers the Service
API over HTTP and over TLS with a certificate made at run time. Contenders run
interleaved, in shuffled order, over repeated rounds; medians are reported. abeja-sdk
2.3.6 is installed into its own throwaway virtualenv (it ships a package also named
`abeja`) and timed there. Memory is measured in fresh processes as the growth of peak RSS.

Writes benchmarks/results/latest.json (and the docs' chart, docs/assets/benchmarks.png, when
matplotlib is installed).
`--update-docs` rewrites the results table in README.md and docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import datetime
import http.client
import json
import os
import platform
import random
import shutil
import ssl
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import requests

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
RESULTS = HERE / "results"
SDK_VENV = HERE / ".abeja-sdk-venv"
ORG, DEP, SID = "1111111111111", "9999999999999", "ser-abc1111111111111"
TOKEN = "bench-token"
BASE_PATH = f"/organizations/{ORG}/deployments/{DEP}/services"

Batch = Callable[[int], tuple[float, float]]
"""Runs a batch of calls; answers (wall seconds, client CPU seconds)."""
BASELINE = RESULTS / "baseline-2026-11-27.json"  # before this round's transport: "today"
LIST_SIZES = (1, 100, 1000, 10000)


def make_certificate(folder: Path) -> tuple[str, str] | None:
    """A self-signed certificate for 127.0.0.1, made now with openssl."""
    if shutil.which("openssl") is None:
        return None
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
    )  # fmt: skip
    return str(cert), str(key)


def sdk_python() -> Path:
    """The python of a virtualenv holding abeja-sdk 2.3.6, created on first use.

    Called before the bench points REQUESTS_CA_BUNDLE at its self-signed certificate
    (pip would then fail TLS to the registry); a failure stops the run, so no column is
    ever silently missing.
    """
    python = SDK_VENV / "bin" / "python"
    if not python.exists():
        print("installing abeja-sdk 2.3.6 into benchmarks/.abeja-sdk-venv ...", flush=True)
        env = {
            k: v for k, v in os.environ.items() if k not in ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE")
        }
        subprocess.run([sys.executable, "-m", "venv", str(SDK_VENV)], check=True)
        result = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "abeja-sdk==2.3.6"],
            capture_output=True,
            text=True,
            env=env,
        )
        if result.returncode != 0:
            shutil.rmtree(SDK_VENV, ignore_errors=True)
            raise SystemExit(f"abeja-sdk 2.3.6 could not be installed:\n{result.stderr[-2000:]}")
    return python


def timed(call: Callable[[], object]) -> Batch:
    def batch(count: int) -> tuple[float, float]:
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(count):
            call()
        return time.perf_counter() - started, time.process_time() - cpu

    return batch


class SdkWorker:
    """abeja-sdk 2.3.6 in its own process, timing batches when asked."""

    def __init__(self, python: Path, env: dict[str, str]) -> None:
        self.process = subprocess.Popen(
            [str(python), str(HERE / "sdk_worker.py")],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
            env=env,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise RuntimeError("abeja-sdk worker did not start")

    def batch(self, count: int) -> tuple[float, float]:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{count}\n")
        self.process.stdin.flush()
        wall, cpu = self.process.stdout.readline().split()
        return float(wall), float(cpu)

    def predict(self, threads: int, count: int) -> float:
        """Wall seconds of ``count`` predictions shared by ``threads`` threads."""
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"predict {threads} {count}\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline().split()[0])

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def interleave(
    contenders: dict[str, Batch], rounds: int, count: int
) -> dict[str, tuple[float, float]]:
    """Median µs per call of each contender, wall and client CPU, batches interleaved
    in shuffled order."""
    walls: dict[str, list[float]] = {name: [] for name in contenders}
    cpus: dict[str, list[float]] = {name: [] for name in contenders}
    for batch in contenders.values():
        batch(max(1, count // 10))  # warm up
    order = list(contenders)
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            wall, cpu = contenders[name](count)
            walls[name].append(wall / count * 1e6)
            cpus[name].append(cpu / count * 1e6)
    return {
        name: (statistics.median(walls[name]), statistics.median(cpus[name])) for name in contenders
    }


def get_contenders(scheme: str, port: int, cafile: str | None) -> tuple[dict[str, Batch], Any]:
    from abeja.services import APIClient, ServiceClient

    url = f"{scheme}://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    if scheme == "https":
        context = ssl.create_default_context(cafile=cafile)
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            "127.0.0.1", port, context=context
        )
    else:
        connection = http.client.HTTPConnection("127.0.0.1", port)

    def floor() -> object:
        connection.request("GET", f"{BASE_PATH}/{SID}", headers=auth)
        return json.loads(connection.getresponse().read())

    session = requests.Session()
    if cafile:
        session.verify = cafile
    os.environ["ABEJA_API_URL"] = url
    typed = ServiceClient(ORG, base_url=url, credential={"auth_token": TOKEN})
    compat = APIClient({"auth_token": TOKEN})
    contenders = {
        "http.client + json.loads (floor)": timed(floor),
        "requests.Session().get().json()": timed(
            lambda: session.get(f"{url}{BASE_PATH}/{SID}", headers=auth, timeout=30).json()
        ),
        "ServiceClient.services.get": timed(lambda: typed.services.get(DEP, SID)),
        "APIClient.get_service (compat)": timed(lambda: compat.get_service(ORG, DEP, SID)),
    }
    return contenders, (connection, session, typed, compat)


def list_contenders(port: int, size: int) -> dict[str, Batch]:
    from abeja.services import APIClient, ServiceClient

    url = f"http://127.0.0.1:{port}"
    path = f"/organizations/{ORG}/deployments/list-{size}/services"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    session = requests.Session()
    os.environ["ABEJA_API_URL"] = url
    typed = ServiceClient(ORG, base_url=url, credential={"auth_token": TOKEN})
    compat = APIClient({"auth_token": TOKEN})
    label = f"list {size:,}"
    return {
        f"{label}: requests + json": timed(
            lambda: session.get(f"{url}{path}", headers=auth, timeout=30).json()
        ),
        f"{label}: ServiceClient.services.list": timed(lambda: typed.services.list(f"list-{size}")),
        f"{label}: APIClient.get_services": timed(lambda: compat.get_services(ORG, f"list-{size}")),
    }


def threaded_throughput(call: Callable[[], object], threads: int, per_thread: int) -> float:
    """Calls per second of `threads` threads each making `per_thread` calls."""
    barrier = threading.Barrier(threads + 1)

    def work() -> None:
        barrier.wait()
        for _ in range(per_thread):
            call()

    workers = [threading.Thread(target=work) for _ in range(threads)]
    for worker in workers:
        worker.start()
    barrier.wait()
    started = time.perf_counter()
    for worker in workers:
        worker.join()
    return threads * per_thread / (time.perf_counter() - started)


SERVER_PID: int | None = None
"""The bench server's process (set by main), whose CPU the threads measurement reads."""


def _process_cpu(pid: int) -> float:
    """Seconds of CPU (user + system) process ``pid`` has used, from /proc (Linux)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def threads_bound(
    call: Callable[[], object], threads: int = 16, per_thread: int = 200
) -> dict[str, float]:
    """What bounds ``threads`` threads sharing one client: calls/s, and CPU per call of
    the client process (under the GIL, at most one core) and of the server process."""
    server_before = _process_cpu(SERVER_PID) if SERVER_PID is not None else 0.0
    client_before = time.process_time()
    rate = threaded_throughput(call, threads, per_thread)
    calls = threads * per_thread
    client = (time.process_time() - client_before) / calls
    server = (_process_cpu(SERVER_PID) - server_before) / calls if SERVER_PID is not None else 0.0
    return {
        "calls_per_s": rate,
        "client_cpu_us": client * 1e6,
        "server_cpu_us": server * 1e6,
        "client_cores": client * rate,  # cores the client kept busy: ~1.0 is the GIL's limit
        "server_cores": server * rate,
    }


def predict_throughput(port: int, rounds: int) -> dict[str, float]:
    from abeja.services import ServiceClient

    url = f"http://127.0.0.1:{port}"
    typed = ServiceClient(
        ORG,
        base_url=url,
        credential={"auth_token": TOKEN},
        service_url_template=url + "/o/{organization_id}",
    )
    session = requests.Session()
    predict_url = f"{url}/o/{ORG}/deployments/{DEP}/services/{SID}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    body = {"image": "cat.png", "threshold": 0.5}
    calls: dict[str, Callable[[], object]] = {
        "16 threads predict: requests.Session shared": lambda: session.post(
            predict_url, json=body, headers=auth, timeout=30
        ).json(),
        "16 threads predict: ServiceClient shared": lambda: typed.services.predict(
            DEP, SID, json=body
        ).json(),
    }
    samples: dict[str, list[float]] = {name: [] for name in calls}
    for call in calls.values():
        threaded_throughput(call, 16, 5)
    for _ in range(rounds):
        for name in random.sample(list(calls), len(calls)):
            samples[name].append(threaded_throughput(calls[name], 16, 40))
    medians = {name: statistics.median(values) for name, values in samples.items()}
    bound = threads_bound(calls["16 threads predict: ServiceClient shared"])
    return {**medians, **{f"bound: {key}": value for key, value in bound.items()}}


MEMORY_SCRIPT = f"""
import json, resource, sys, tempfile, os
from pathlib import Path
from abeja.services import ServiceClient
kind, url = sys.argv[1], sys.argv[2]
client = ServiceClient("{ORG}", base_url=url, credential={{"auth_token": "{TOKEN}"}},
                       service_url_template=url + "/o/{{organization_id}}", timeout=300)
def status_mb(field):
    for line in open("/proc/self/status"):
        if line.startswith(field + ":"):
            return int(line.split()[1]) / 1024
def start():
    # Writing 5 to clear_refs resets the peak (VmHWM) to the current RSS (Linux).
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return status_mb("VmRSS")
    except OSError:
        return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
def peak():
    value = status_mb("VmHWM")
    return value if value is not None else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
if kind == "list":
    # Bytes the typed list of 10,000 keeps alive, against the same models validated from
    # the same body with no client (what the models themselves take): traced, not RSS.
    import gc, tracemalloc
    from abeja.services import ServiceList
    client.services.list("list-1")
    tracemalloc.start()
    gc.collect()
    base = tracemalloc.get_traced_memory()[0]
    listed = client.services.list("list-10000")
    gc.collect()
    kept = tracemalloc.get_traced_memory()[0] - base
    body = client.services.with_raw_response.list("list-10000").http.content
    gc.collect()
    base = tracemalloc.get_traced_memory()[0]
    own = ServiceList.model_validate_json(body)
    gc.collect()
    models = tracemalloc.get_traced_memory()[0] - base
    assert len(listed) == len(own) == 10_000
    print(json.dumps({{"added_mb": kept / 2**20, "models_mb": models / 2**20}}))
    raise SystemExit
if kind == "predict":
    folder = tempfile.mkdtemp()
    big = Path(folder) / "big.bin"
    with big.open("wb") as f:
        f.truncate(512 * 1024 * 1024)
    client.services.predict("{DEP}", "{SID}", data=b"warm-up")
    before = start()
    client.services.predict("{DEP}", "{SID}", data=big).json()
    os.remove(big)
else:
    next(iter(client.services.iter_logs("{DEP}", "{SID}", limit=1)))
    before = start()
    count = sum(1 for _ in client.services.iter_logs("{DEP}", "{SID}"))
    assert count == 100_000, count
print(json.dumps({{"added_mb": peak() - before}}))
"""


def memory(kind: str, port: int) -> float:
    return float(memory_figures(kind, port)["added_mb"])


def memory_figures(kind: str, port: int) -> dict[str, float]:
    """What MEMORY_SCRIPT measured for ``kind`` (``predict``, ``logs``, ``list``), in MB."""
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, kind, f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        check=True,
    )
    figures: dict[str, float] = json.loads(result.stdout)
    return figures


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| benchmark | µs per call | client CPU µs | × floor (wall) | × floor (CPU) "
        "| × plain requests | × abeja-sdk 2.3.6 |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        ratios = [row.get(key) for key in ("vs_floor", "cpu_vs_floor", "vs_requests", "vs_sdk")]
        cells = " | ".join("" if value is None else f"{value:.2f}" for value in ratios)
        lines.append(f"| {row['name']} | {row['us']:.0f} | {row['cpu_us']:.0f} | {cells} |")
    return "\n".join(lines)


def measure(args: argparse.Namespace, ports: dict[str, int], cafile: str | None) -> dict[str, Any]:
    """Every measurement of the run: rows, list scaling, threads, memory."""
    python = sdk_python()  # before REQUESTS_CA_BUNDLE points at the self-signed certificate
    if cafile:
        os.environ["REQUESTS_CA_BUNDLE"] = cafile
    os.environ["PLATFORM_AUTH_TOKEN"] = TOKEN
    rows: list[dict[str, Any]] = []
    for scheme in ("http", "https"):
        if scheme not in ports:
            raise SystemExit("openssl is not installed: the TLS column cannot be measured")
        contenders, _keep = get_contenders(scheme, ports[scheme], cafile)
        env = {**os.environ, "ABEJA_API_URL": f"{scheme}://127.0.0.1:{ports[scheme]}"}
        worker = SdkWorker(python, env)
        contenders["abeja-sdk 2.3.6 APIClient.get_service"] = worker.batch
        print(f"get over {scheme.upper()} ...", flush=True)
        medians = interleave(contenders, args.rounds, args.calls)
        worker.close()
        names = list(contenders)
        floor, plain = medians[names[0]], medians[names[1]]
        sdk = medians["abeja-sdk 2.3.6 APIClient.get_service"]
        for name in names:
            wall, cpu = medians[name]
            rows.append(
                {
                    "name": f"get ({scheme.upper()}): {name}",
                    "us": wall,
                    "cpu_us": cpu,
                    "vs_floor": wall / floor[0],
                    "cpu_vs_floor": cpu / floor[1],
                    "vs_requests": wall / plain[0],
                    "vs_sdk": wall / sdk[0],
                }
            )
    scaling: dict[int, dict[str, float]] = {}
    for size in LIST_SIZES:
        print(f"list of {size:,} services ...", flush=True)
        calls = max(1, 200 // max(1, size // 10)) if size < 10000 else 1
        listed = interleave(list_contenders(ports["http"], size), args.rounds, calls)
        plain_wall, plain_cpu = listed[f"list {size:,}: requests + json"]
        scaling[size] = {}
        for name, (wall, cpu) in listed.items():
            rows.append(
                {
                    "name": name,
                    "us": wall,
                    "cpu_us": cpu,
                    "vs_requests": wall / plain_wall,
                    "cpu_vs_requests": cpu / plain_cpu,
                }
            )
            scaling[size][name.split(": ", 1)[1]] = wall
    print("16 threads predicting ...", flush=True)
    throughput = predict_throughput(ports["http"], max(3, args.rounds // 3))
    print("memory ...", flush=True)
    return {
        "rows": rows,
        "scaling": scaling,
        "throughput": throughput,
        "predict_mb": memory("predict", ports["http"]),
        "logs_mb": memory("logs", ports["http"]),
        "list_memory": memory_figures("list", ports["http"]),
    }


def judge(measured: dict[str, Any]) -> list[dict[str, Any]]:
    """The targets, each with its measured value and by how much it was met or missed."""
    rows = {row["name"]: row for row in measured["rows"]}
    baseline = json.loads(BASELINE.read_text()) if BASELINE.exists() else {"rows": []}
    before = {row["name"]: row for row in baseline["rows"]}
    targets: list[dict[str, Any]] = []

    def target(what: str, value: float, limit: float, lower_is_better: bool = True) -> None:
        met = value <= limit if lower_is_better else value >= limit
        margin = (value / limit - 1) * (1 if lower_is_better else -1)
        targets.append({"target": what, "value": value, "limit": limit, "met": met, "by": margin})

    typed, compat = "ServiceClient.services.get", "APIClient.get_service (compat)"
    for scheme in ("HTTP", "HTTPS"):
        row = rows[f"get ({scheme}): {typed}"]
        target(f"typed get ≤ 2.0× the floor, client CPU ({scheme})", row["cpu_vs_floor"], 2.0)
        target(f"typed get ≤ 2.0× the floor, wall ({scheme})", row["vs_floor"], 2.0)
        compat_row = rows[f"get ({scheme}): {compat}"]
        target(f"compat get within 5% of typed ({scheme})", compat_row["us"] / row["us"], 1.05)
    target(
        "typed list of 1,000 ≤ 1.15× requests + json.loads",
        rows["list 1,000: ServiceClient.services.list"]["vs_requests"],
        1.15,
    )
    threads = measured["throughput"]
    ratio = (
        threads["16 threads predict: ServiceClient shared"]
        / threads["16 threads predict: requests.Session shared"]
    )
    old = baseline.get("throughput_calls_per_s", {})
    if old:
        old_ratio = (
            old["16 threads predict: ServiceClient shared"]
            / old["16 threads predict: requests.Session shared"]
        )
        target(
            "16 threads sharing a client ≥ 1.25× today's throughput (each vs requests)",
            ratio / old_ratio,
            1.25,
            lower_is_better=False,
        )
    https = rows[f"get (HTTPS): {typed}"]
    target("≥ 4× faster than abeja-sdk 2.3.6 over TLS", 1 / https["vs_sdk"], 4.0, False)
    target("predicting a 512 MB file adds < 50 MB peak RSS", measured["predict_mb"], 50.0)
    target("iterating 100,000 log events adds < 20 MB", measured["logs_mb"], 20.0)
    listed = measured["list_memory"]
    target(
        "a typed list of 10,000 keeps ≤ 1.05× its models' own memory",
        listed["added_mb"] / listed["models_mb"],
        1.05,
    )
    for name, row in rows.items():
        old_row = before.get(
            name.replace(
                "list 1,000: APIClient.get_services", "list 1,000: APIClient.list_services"
            )
        )
        key = "vs_floor" if "vs_floor" in row else "vs_requests"
        ours = ("ServiceClient" in name or "APIClient" in name) and "abeja-sdk" not in name
        if old_row and key in old_row and ours:
            target(f"not slower than today: {name} (× {key[3:]})", row[key] / old_row[key], 1.0)
    return targets


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=15)
    parser.add_argument("--calls", type=int, default=200, help="calls per batch of a get")
    parser.add_argument("--update-docs", action="store_true")
    args = parser.parse_args()
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"):
        os.environ.pop(name, None)

    folder = Path(tempfile.mkdtemp(prefix="abeja-bench-"))
    certificate = make_certificate(folder)
    cafile = certificate[0] if certificate else None
    server_args = [sys.executable, str(HERE / "server.py")]
    if certificate:
        server_args += ["--cert", certificate[0], "--key", certificate[1]]
    server = subprocess.Popen(server_args, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    global SERVER_PID
    SERVER_PID = server.pid
    assert server.stdout is not None
    ports = json.loads(server.stdout.readline())
    try:
        measured = measure(args, ports, cafile)
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(10)
        server.stdout.close()
        shutil.rmtree(folder, ignore_errors=True)
    targets = judge(measured)
    text = report(args, measured, targets)
    print("\n" + text)
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(
        json.dumps(
            {
                "date": datetime.date.today().isoformat(),
                "machine": machine(),
                "rounds": args.rounds,
                "rows": measured["rows"],
                "list_scaling_us": measured["scaling"],
                "throughput_calls_per_s": measured["throughput"],
                "memory_added_mb": {
                    "predict_512mb": measured["predict_mb"],
                    "iter_logs_100k": measured["logs_mb"],
                },
                "targets": targets,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    chart(measured["rows"])
    if args.update_docs:
        for path in (ROOT / "README.md", ROOT / "docs" / "benchmarks.md"):
            update_between_markers(path, text)
    return 0


def machine() -> str:
    return f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"


def report(
    args: argparse.Namespace, measured: dict[str, Any], targets: list[dict[str, Any]]
) -> str:
    threads = measured["throughput"]
    lines = [
        f"Measured {datetime.date.today().isoformat()} on {machine()}; medians of "
        f"{args.rounds} interleaved rounds. Client CPU is the process time of the calling "
        "process only (the server runs in another); on a shared machine it swings far less "
        "than wall time. Absolute times vary by machine; the ratios are the claim.",
        "",
        table(measured["rows"]),
        "",
        "| list size | requests + json µs | typed µs | compat µs | typed µs per service |",
        "|---:|---:|---:|---:|---:|",
    ]
    for size, values in measured["scaling"].items():
        typed = values["ServiceClient.services.list"]
        lines.append(
            f"| {size:,} | {values['requests + json']:.0f} | {typed:.0f} | "
            f"{values['APIClient.get_services']:.0f} | {typed / size:.1f} |"
        )
    lines += [
        "",
        "| throughput and memory | value |",
        "|---|---:|",
        f"| 16 threads predict, requests.Session shared | "
        f"{threads['16 threads predict: requests.Session shared']:.0f} calls/s |",
        f"| 16 threads predict, ServiceClient shared | "
        f"{threads['16 threads predict: ServiceClient shared']:.0f} calls/s |",
        f"| … what bounds it: client CPU per call (cores busy) | "
        f"{threads['bound: client_cpu_us']:.0f} µs ({threads['bound: client_cores']:.2f}) |",
        f"| … server CPU per call (cores busy) | "
        f"{threads['bound: server_cpu_us']:.0f} µs ({threads['bound: server_cores']:.2f}) |",
        f"| peak RSS added predicting a 512 MB file | {measured['predict_mb']:.1f} MB |",
        f"| peak RSS added iterating 100,000 log events | {measured['logs_mb']:.1f} MB |",
        f"| kept by a typed list of 10,000 (its models alone) | "
        f"{measured['list_memory']['added_mb']:.1f} MB "
        f"({measured['list_memory']['models_mb']:.1f} MB) |",
        "",
        # The PyPI description stops here: the targets are the project's, not a user's.
        "<!-- bench:targets -->",
        "| target | measured | limit | met |",
        "|---|---:|---:|:---:|",
    ]
    for item in targets:
        verdict = "yes" if item["met"] else f"**no**, missed by {item['by']:.0%}"
        lines.append(
            f"| {item['target']} | {item['value']:.2f} | {item['limit']:.2f} | {verdict} |"
        )
    return "\n".join(lines)


def chart(rows: list[dict[str, Any]]) -> None:
    """A bar chart of µs per get, when matplotlib is installed (the `bench` extra)."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("(matplotlib not installed: no chart; pip install -e '.[bench]')")
        return
    gets = [row for row in rows if row["name"].startswith("get")]
    figure, axes = plt.subplots(figsize=(9, 0.45 * len(gets) + 1))
    axes.barh([row["name"] for row in gets], [row["us"] for row in gets])
    axes.invert_yaxis()
    axes.set_xlabel("µs per call (median, lower is better)")
    figure.tight_layout()
    chart = RESULTS.parent.parent / "docs" / "assets" / "benchmarks.png"
    figure.savefig(chart, dpi=110)
    print(f"chart: {chart}")


def update_between_markers(path: Path, text: str) -> None:
    start, end = "<!-- bench:start -->", "<!-- bench:end -->"
    content = path.read_text()
    if start not in content or end not in content:
        return
    head, rest = content.split(start, 1)
    _, tail = rest.split(end, 1)
    path.write_text(f"{head}{start}\n{text}\n{end}{tail}")


if __name__ == "__main__":
    raise SystemExit(main())
