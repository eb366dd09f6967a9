"""Resource hygiene: long runs with faults leak no descriptors or memory, many threads
share one pool without overflowing it, and ``close()`` gives everything back.

The emulator runs in another process here, so every descriptor counted is the client's.
"""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from abeja.exceptions import Error

from .clients import KINDS, make_client

FAULTS = [
    {"route": "get", "status": 503},
    {"route": "get", "drop": True},
    {"route": "get", "truncate": True},
    {"route": "get", "informational": 103},
    {"route": "predict", "status": 429},
    {"route": "predict", "drop": True},
    {"route": "predict", "status": 502, "html": True},
]


class RemoteEmulator:
    """The emulator's command in a child process, and a session for its control endpoint."""

    def __init__(self, *options: str) -> None:
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "abeja.services.testing",
                "--port",
                "0",
                "--ready-delay",
                "0",
                *options,
            ],  # fmt: skip
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self.process.stdout is not None
        first = self.process.stdout.readline()
        self.url = first.rsplit(" ", 1)[-1].strip()
        self.control = requests.Session()
        for line in iter(self.process.stdout.readline, ""):
            if line.startswith("# control plane"):  # the secret control requests carry
                secret = line.split("X-Abeja-Emulator-Secret: ", 1)[1].split()[0]
                self.control.headers.update(
                    {"X-Abeja-Emulator-Secret": secret, "Content-Type": "application/json"}
                )
                break

    def fault(self, spec: dict[str, object]) -> None:
        self.control.post(f"{self.url}/_emulator/faults", json=spec, timeout=10)

    def close(self) -> None:
        self.control.close()
        self.process.terminate()
        self.process.wait(10)
        assert self.process.stdout is not None
        self.process.stdout.close()


@pytest.fixture(scope="module")
def remote() -> Iterator[RemoteEmulator]:
    emulator = RemoteEmulator()
    yield emulator
    emulator.close()


def _client(remote: RemoteEmulator, kind: str = "sync") -> Any:
    return make_client(
        kind,
        "1111111111111",
        base_url=remote.url,
        credential={"auth_token": "emulator-token"},
        service_url_template=remote.url + "/o/{organization_id}",
        timeout=2.0,
        sleep=lambda seconds: None,
    )


def _descriptors() -> int:
    return len(os.listdir("/proc/self/fd"))


def _rss() -> int:
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _calls(client: Any, remote: RemoteEmulator, service_id: str, count: int) -> int:
    errors = 0
    for i in range(count):
        if i % 4 == 0:
            remote.fault(FAULTS[(i // 4) % len(FAULTS)])
        try:
            if i % 2:
                client.services.get("9999999999999", service_id)
            else:
                client.services.predict("9999999999999", service_id, json={"i": i})
        except Error:
            errors += 1
    return errors


# (warm-up, measured) calls per kind: the async client's calls cost httpx's CPU, so it
# runs fewer; a descriptor or 4 KiB lost per call would still show.
CALLS = {"sync": (1_000, 9_000), "async": (500, 2_500)}


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.long
def test_thousands_of_calls_with_faults_leak_no_descriptors_or_memory(
    remote: RemoteEmulator, capsys: pytest.CaptureFixture[str], kind: str
) -> None:
    remote.fault({"route": "get", "times": 0})  # the control session's connection, opened now
    before_client = _descriptors()
    with _client(remote, kind) as client:
        service = client.services.create("9999999999999", version_id="ver-abc3333333333333")
        warm_up, measured = CALLS[kind]
        _calls(client, remote, service.service_id, warm_up)  # pools, caches, imports
        descriptors, rss = _descriptors(), _rss()
        errors = _calls(client, remote, service.service_id, measured)
        grown_descriptors, grown_rss = _descriptors() - descriptors, _rss() - rss
        checked_out = client._transport.checked_out()  # noqa: SLF001
    after_close = _descriptors() - before_client
    with capsys.disabled():
        print(
            f"\nhygiene ({kind}): {warm_up + measured:,} calls ({errors} failed by injected "
            "faults): descriptors "
            f"+{grown_descriptors}, RSS {grown_rss / 2**20:+.1f} MiB after warm-up; "
            f"{checked_out} connections checked out; {after_close:+d} descriptors after close()"
        )
    assert errors > 0  # the faults did bite
    assert grown_descriptors <= 2
    assert grown_rss < 10 * 2**20
    assert checked_out == 0
    assert after_close <= 0


@pytest.mark.long
def test_32_threads_share_one_client_without_overflowing_its_pool(
    remote: RemoteEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="urllib3")
    failures: list[BaseException] = []
    with _client(remote) as client:
        service = client.services.create("9999999999999", version_id="ver-abc3333333333333")
        start = threading.Barrier(32)

        def work() -> None:
            start.wait()
            try:
                for _ in range(200):
                    client.services.get("9999999999999", service.service_id)
            except BaseException as error:  # noqa: BLE001 - collected and asserted
                failures.append(error)

        threads = [threading.Thread(target=work) for _ in range(32)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(120)
        assert client._transport.checked_out() == 0  # noqa: SLF001
    assert failures == []
    assert not [r for r in caplog.records if "pool is full" in r.getMessage()]


def _child_rss(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def test_the_command_line_emulator_keeps_its_request_log_within_its_byte_budget() -> None:
    """200 predictions of 1 MiB grew the emulator by 201 MiB, never freed; with
    ``--keep-bytes`` (64 MiB by default) the log holds at most that many body bytes."""
    emulator = RemoteEmulator("--keep-bytes", str(8 << 20), "--keep-requests", "150")
    try:
        with _client(emulator) as client:
            service = client.services.create("9999999999999", version_id="ver-abc3333333333333")
            body = b"x" * (1 << 20)
            for _ in range(10):  # warm-up: allocator, imports, the budget filled
                client.services.predict("9999999999999", service.service_id, data=body)
            before = _child_rss(emulator.process.pid)
            for _ in range(200):
                client.services.predict("9999999999999", service.service_id, data=body)
            grown = _child_rss(emulator.process.pid) - before
        log = emulator.control.get(f"{emulator.url}/_emulator/requests", timeout=10).json()
        counters = emulator.control.get(f"{emulator.url}/_emulator/counters", timeout=10).json()
    finally:
        emulator.close()
    print(f"\nemulator log: 200 predictions of 1 MiB: RSS {grown / 2**20:+.1f} MiB "
          f"(budget 8 MiB), {len(log['requests'])} requests kept")  # fmt: skip
    assert grown < 40 * 2**20  # unbounded: +200 MiB
    assert len(log["requests"]) == 150  # the last 150 requests
    assert counters["predict"] == 210  # counted, all of them
