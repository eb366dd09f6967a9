"""`make bench`: abeja-services against http.client, plain requests and abeja-sdk 2.3.6.

One fast keep-alive server (benchmarks/server.py, its own process) answers the Service
API over HTTP and over TLS with a certificate made at run time. Contenders run
interleaved, in shuffled order, over repeated rounds; medians are reported. abeja-sdk
2.3.6 is installed into its own throwaway virtualenv (it ships a package also named
`abeja`) and timed there. Memory is measured in fresh processes as the growth of peak RSS.

Writes benchmarks/results/latest.json (and latest.png when matplotlib is installed).
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

Batch = Callable[[int], float]


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


def sdk_python() -> Path | None:
    """The python of a virtualenv holding abeja-sdk 2.3.6, created on first use."""
    python = SDK_VENV / "bin" / "python"
    if not python.exists():
        print("installing abeja-sdk 2.3.6 into benchmarks/.abeja-sdk-venv ...", flush=True)
        subprocess.run([sys.executable, "-m", "venv", str(SDK_VENV)], check=True)
        result = subprocess.run(
            [str(python), "-m", "pip", "install", "--quiet", "abeja-sdk==2.3.6"],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            print(f"abeja-sdk 2.3.6 could not be installed:\n{result.stderr[-2000:]}")
            shutil.rmtree(SDK_VENV, ignore_errors=True)
            return None
    return python


def timed(call: Callable[[], object]) -> Batch:
    def batch(count: int) -> float:
        started = time.perf_counter()
        for _ in range(count):
            call()
        return time.perf_counter() - started

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

    def batch(self, count: int) -> float:
        assert self.process.stdin is not None and self.process.stdout is not None
        self.process.stdin.write(f"{count}\n")
        self.process.stdin.flush()
        return float(self.process.stdout.readline())

    def close(self) -> None:
        if self.process.stdin is not None:
            self.process.stdin.close()
        self.process.wait(10)
        if self.process.stdout is not None:
            self.process.stdout.close()


def interleave(contenders: dict[str, Batch], rounds: int, count: int) -> dict[str, float]:
    """Median µs per call of each contender, batches interleaved in shuffled order."""
    samples: dict[str, list[float]] = {name: [] for name in contenders}
    for batch in contenders.values():
        batch(max(1, count // 10))  # warm up
    order = list(contenders)
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            samples[name].append(contenders[name](count) / count * 1e6)
    return {name: statistics.median(values) for name, values in samples.items()}


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


def list_contenders(port: int) -> dict[str, Batch]:
    from abeja.services import APIClient, ServiceClient

    url = f"http://127.0.0.1:{port}"
    auth = {"Authorization": f"Bearer {TOKEN}"}
    session = requests.Session()
    os.environ["ABEJA_API_URL"] = url
    typed = ServiceClient(ORG, base_url=url, credential={"auth_token": TOKEN})
    compat = APIClient({"auth_token": TOKEN})
    return {
        "list 1,000: requests + json": timed(
            lambda: session.get(f"{url}{BASE_PATH}", headers=auth, timeout=30).json()
        ),
        "list 1,000: ServiceClient.services.list": timed(lambda: typed.services.list(DEP)),
        "list 1,000: APIClient.list_services": timed(lambda: compat.list_services(ORG, DEP)),
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
    return {name: statistics.median(values) for name, values in samples.items()}


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
    result = subprocess.run(
        [sys.executable, "-c", MEMORY_SCRIPT, kind, f"http://127.0.0.1:{port}"],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(json.loads(result.stdout)["added_mb"])


def table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| benchmark | µs per call | × floor | × plain requests | × abeja-sdk 2.3.6 |",
        "|---|---:|---:|---:|---:|",
    ]
    for row in rows:
        ratios = [row.get(key) for key in ("vs_floor", "vs_requests", "vs_sdk")]
        cells = " | ".join("" if value is None else f"{value:.2f}" for value in ratios)
        lines.append(f"| {row['name']} | {row['us']:.0f} | {cells} |")
    return "\n".join(lines)


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
    assert server.stdout is not None
    ports = json.loads(server.stdout.readline())
    if cafile:
        os.environ["REQUESTS_CA_BUNDLE"] = cafile
    os.environ["PLATFORM_AUTH_TOKEN"] = TOKEN
    python = sdk_python()
    rows: list[dict[str, Any]] = []
    notes: list[str] = []
    try:
        for scheme in ("http", "https"):
            if scheme not in ports:
                notes.append("TLS skipped: openssl is not installed")
                continue
            contenders, _keep = get_contenders(scheme, ports[scheme], cafile)
            worker = None
            if python is not None:
                env = {
                    **os.environ,
                    "ABEJA_API_URL": f"{scheme}://127.0.0.1:{ports[scheme]}",
                }
                worker = SdkWorker(python, env)
                contenders["abeja-sdk 2.3.6 APIClient.get_service"] = worker.batch
            print(f"get over {scheme.upper()} ...", flush=True)
            medians = interleave(contenders, args.rounds, args.calls)
            if worker is not None:
                worker.close()
            names = list(contenders)
            floor, plain = medians[names[0]], medians[names[1]]
            sdk = medians.get("abeja-sdk 2.3.6 APIClient.get_service")
            for name in names:
                rows.append(
                    {
                        "name": f"get ({scheme.upper()}): {name}",
                        "us": medians[name],
                        "vs_floor": medians[name] / floor,
                        "vs_requests": medians[name] / plain,
                        "vs_sdk": medians[name] / sdk if sdk else None,
                    }
                )
        print("list of 1,000 services ...", flush=True)
        listed = interleave(list_contenders(ports["http"]), args.rounds, 5)
        plain_list = listed["list 1,000: requests + json"]
        for name, value in listed.items():
            rows.append({"name": name, "us": value, "vs_requests": value / plain_list})
        print("16 threads predicting ...", flush=True)
        throughput = predict_throughput(ports["http"], max(3, args.rounds // 3))
        print("memory ...", flush=True)
        predict_mb = memory("predict", ports["http"])
        logs_mb = memory("logs", ports["http"])
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(10)
        server.stdout.close()
        shutil.rmtree(folder, ignore_errors=True)

    by_name = {row["name"]: row for row in rows}
    threads_plain = throughput["16 threads predict: requests.Session shared"]
    threads_ours = throughput["16 threads predict: ServiceClient shared"]

    def get_row(scheme: str, name: str) -> dict[str, Any]:
        return by_name.get(f"get ({scheme}): {name}", {})

    typed_name, compat_name = "ServiceClient.services.get", "APIClient.get_service (compat)"
    targets = []

    def target(what: str, value: float | None, limit: float, better: str) -> None:
        ok = value is not None and (value <= limit if better == "lower" else value >= limit)
        targets.append({"target": what, "value": value, "limit": limit, "met": ok})

    for scheme in ("HTTP", "HTTPS"):
        typed_row = get_row(scheme, typed_name)
        if typed_row:
            target(
                f"typed get ≤ 0.8× plain requests ({scheme})",
                typed_row["vs_requests"],
                0.8,
                "lower",
            )
            compat_row = get_row(scheme, compat_name)
            target(
                f"compat within 10% of typed ({scheme})",
                compat_row["us"] / typed_row["us"],
                1.10,
                "lower",
            )
    https_typed = get_row("HTTPS", typed_name)
    if https_typed.get("vs_sdk"):
        target(
            "≥ 4× faster than abeja-sdk 2.3.6 over TLS", 1 / https_typed["vs_sdk"], 4.0, "higher"
        )
    target(
        "typed list of 1,000 ≤ 1.5× requests + json.loads",
        by_name["list 1,000: ServiceClient.services.list"]["vs_requests"],
        1.5,
        "lower",
    )
    target(
        "16-thread predict throughput ≥ 0.9× requests", threads_ours / threads_plain, 0.9, "higher"
    )
    target("predicting a 512 MB file adds < 50 MB peak RSS", predict_mb, 50.0, "lower")
    target("iterating 100,000 log events adds < 20 MB", logs_mb, 20.0, "lower")

    today = datetime.date.today().isoformat()
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    report = [
        f"Measured {today} on {machine}; medians of {args.rounds} interleaved rounds.",
        "Absolute times vary by machine; the ratios are the claim.",
        "",
        table(rows),
        "",
        "| throughput and memory | value |",
        "|---|---:|",
        f"| 16 threads predict, requests.Session shared | {threads_plain:.0f} calls/s |",
        f"| 16 threads predict, ServiceClient shared | {threads_ours:.0f} calls/s |",
        f"| peak RSS added predicting a 512 MB file | {predict_mb:.1f} MB |",
        f"| peak RSS added iterating 100,000 log events | {logs_mb:.1f} MB |",
        "",
        "| target | measured | met |",
        "|---|---:|:---:|",
    ]
    for item in targets:
        value = "n/a" if item["value"] is None else f"{item['value']:.2f}"
        report.append(f"| {item['target']} | {value} | {'yes' if item['met'] else '**no**'} |")
    report += [f"\n{note}" for note in notes]
    text = "\n".join(report)
    print("\n" + text)

    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "latest.json").write_text(
        json.dumps(
            {
                "date": today,
                "machine": machine,
                "rounds": args.rounds,
                "rows": rows,
                "throughput_calls_per_s": throughput,
                "memory_added_mb": {"predict_512mb": predict_mb, "iter_logs_100k": logs_mb},
                "targets": targets,
                "notes": notes,
            },
            indent=2,
            ensure_ascii=False,
        )
        + "\n"
    )
    chart(rows)
    if args.update_docs:
        for path in (ROOT / "README.md", ROOT / "docs" / "benchmarks.md"):
            update_between_markers(path, text)
    return 0


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
    figure.savefig(RESULTS / "latest.png", dpi=110)
    print(f"chart: {RESULTS / 'latest.png'}")


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
