"""Fault soak: thousands of calls through both layers with a quarter of them spoiled.

Every operation, typed and compat, against the emulator with faults of every kind,
before and after the backend acted. The figures are printed; the claims are asserted:
no write carried out twice, no call past its deadline, no foreign exception, no
connection left checked out.
"""

from __future__ import annotations

import json
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest

from abeja.exceptions import Error
from abeja.services import APIClient, ServiceClient
from abeja.services.testing import PredictRequest, ServiceEmulator

from .clients import KINDS, emulated_client

CALLS = 2_000
FAULT_SHARE = 0.3
TIMEOUT, DEADLINE = 0.1, 1.0
SLACK = 1.0  # the policy's promise: no call ends more than a second past its deadline
WRITES = ("create", "start", "stop", "predict")
V = "ver-soak"

# kind -> Emulator.inject arguments (the route is added per call)
FAULTS: dict[str, dict[str, Any]] = {
    "429": {"status": 429},
    "429+retry-after": {"status": 429, "retry_after": "0"},
    "502-html": {"status": 502, "html": True},
    "503": {"status": 503},
    "503+retry-after": {"status": 503, "retry_after": "0"},
    "504": {"status": 504},
    "500-after-acting": {"status": 500, "after": True},
    "502-after-acting": {"status": 502, "html": True, "after": True},
    "504-after-acting": {"status": 504, "after": True},
    "drop": {"drop": True},
    "drop-after-acting": {"drop": True, "after": True},
    "latency-past-timeout": {"delay": 0.15},
    "latency-after-acting": {"delay": 0.15, "after": True},
    "truncated": {"truncate": True},
    "trickled": {"trickle": 0.0005},
    "1xx": {"informational": 103},
    "gzip": {"gzip": True},
    "oversized": {"pad": 70_000, "gzip": True},
}


@dataclass
class Figures:
    """What the soak counted."""

    calls: int = 0
    faults: Counter[str] = field(default_factory=Counter)
    outcomes: Counter[str] = field(default_factory=Counter)
    requests: int = 0
    duplicates: list[str] = field(default_factory=list)
    late: list[str] = field(default_factory=list)
    foreign: list[str] = field(default_factory=list)
    slowest: float = 0.0

    def report(self) -> str:
        lines = [
            f"fault soak: {self.calls} calls, {sum(self.faults.values())} faults injected, "
            f"{self.requests} requests served ({self.requests - self.calls} retries)",
            "  faults: " + ", ".join(f"{k} {v}" for k, v in sorted(self.faults.items())),
            "  outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(self.outcomes.items())),
            f"  writes carried out twice: {len(self.duplicates)}; calls past their deadline: "
            f"{len(self.late)} (slowest {self.slowest:.2f} s, deadline {DEADLINE} s); "
            f"foreign exceptions: {len(self.foreign)}",
        ]
        return "\n".join(lines)


def _handler(request: PredictRequest, context: Any) -> dict[str, Any]:
    content = json.loads(request.read())
    return {"status_code": 200, "content_type": "application/json", "content": content}


class Soak:
    """One client of each layer and a pool of services to act on."""

    def __init__(self, emulator: ServiceEmulator, client: ServiceClient, api: APIClient) -> None:
        self.emulator = emulator
        self.client = client
        self.api = api
        self.dep = "8888888888888"
        self.org = emulator.organization_id
        self.services: list[str] = []
        self.rand = random.Random(20261128)

    def _service(self) -> str:
        if not self.services:
            created = self.client.services.create(self.dep, version_id="ver-soak")
            self.services.append(created.service_id)
        return self.rand.choice(self.services)

    def operations(self, call: int) -> list[tuple[str, Callable[[], object]]]:
        """(route, call) for every operation, in both layers."""
        sid = self._service()
        services, api, dep, org = self.client.services, self.api, self.dep, self.org
        env = {"CALL": str(call)}

        def typed_create() -> None:
            self.services.append(services.create(dep, version_id=V, environment=env).service_id)

        def compat_create() -> None:
            self.services.append(api.create_service(org, dep, V, environment=env)["service_id"])

        def forget() -> str:
            self.services.remove(sid)
            return sid

        return [
            ("create", typed_create),
            ("create", compat_create),
            ("get", lambda: services.get(dep, sid)),
            ("get", lambda: api.get_service(org, dep, sid)),
            ("list", lambda: services.list(dep)),
            ("list", lambda: api.get_services(org, dep)),
            ("update", lambda: services.update(dep, sid, instance_number=2)),
            ("update", lambda: api.update_service(org, dep, sid, {"instance_number": 3})),
            ("start", lambda: services.start(dep, sid)),
            ("start", lambda: api.start_service(org, dep, sid)),
            ("stop", lambda: services.stop(dep, sid)),
            ("stop", lambda: api.stop_service(org, dep, sid)),
            ("logs", lambda: services.logs(dep, sid)),
            ("logs", lambda: api.get_service_recent_logs(org, dep, sid)),
            ("predict", lambda: services.predict(dep, sid, json={"call": call})),
            ("predict", lambda: api.request_service(org, dep, sid, json={"call": call})),
            ("delete", lambda: services.delete(dep, forget())),
            ("delete", lambda: api.delete_service(org, dep, forget())),
        ]  # fmt: skip


@pytest.fixture(params=KINDS)
def soak(
    request: pytest.FixtureRequest, emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Soak]:
    """The typed layer of ``request.param``'s kind (sync, async) beside the compat one."""
    monkeypatch.setenv("ABEJA_API_URL", emulator.url)  # where the compat client goes
    monkeypatch.setenv("ABEJA_SERVICE_URL_TEMPLATE", emulator.service_url_template)
    emulator.record_bodies = False
    emulator.add_deployment("8888888888888", {"ver-soak": _handler})
    options: dict[str, Any] = {"timeout": TIMEOUT, "deadline": DEADLINE, "max_retries": 3}
    with (
        emulated_client(
            request.param,
            emulator,
            sleep=lambda s: None,
            max_predict_bytes=64_000,
            **options,
        ) as client,
        APIClient(
            credential=emulator.credential,
            timeout=TIMEOUT,
            max_retry_count=3,
            deadline=DEADLINE,
            sleep=lambda s: None,
        ) as api,
    ):
        yield Soak(emulator, client, api)


@pytest.mark.long
def test_fault_soak(soak: Soak, capsys: pytest.CaptureFixture[str]) -> None:
    figures = Figures()
    emulator = soak.emulator
    for call in range(CALLS):
        name, operation = soak.rand.choice(soak.operations(call))
        if soak.rand.random() < FAULT_SHARE:
            kind = soak.rand.choice(list(FAULTS))
            emulator.inject(name, **FAULTS[kind])
            figures.faults[kind] += 1
        before = len(emulator.requests)
        started = time.monotonic()
        try:
            operation()
            figures.outcomes["ok"] += 1
        except Error as error:
            figures.outcomes[type(error).__name__] += 1
        except Exception as error:  # noqa: BLE001 - counted: there must be none
            figures.foreign.append(f"{name}: {type(error).__name__}: {error}")
        took = time.monotonic() - started
        figures.slowest = max(figures.slowest, took)
        if took > DEADLINE + SLACK:
            figures.late.append(f"{name} took {took:.2f} s")
        emulator.clear_faults()
        served = emulator.requests[before:]
        if name in WRITES and sum(r.acted for r in served if r.route == name) > 1:
            figures.duplicates.append(f"call {call}: {name} carried out twice")
        figures.calls += 1
    figures.requests = len(emulator.requests)
    with capsys.disabled():
        print("\n" + figures.report())
    assert figures.calls == CALLS
    assert sum(figures.faults.values()) >= CALLS * 0.25
    assert set(figures.faults) == set(FAULTS)
    assert figures.duplicates == []
    assert figures.late == []
    assert figures.foreign == []
    assert soak.client._transport.checked_out() == 0  # noqa: SLF001 (either kind's)
    assert soak.api._transport.checked_out() == 0  # noqa: SLF001
    creates = Counter(
        s["user_env_vars"].get("CALL") for s in soak.api.get_services(soak.org, soak.dep)["entries"]
    )
    assert [call for call, n in creates.items() if call and n > 1] == []
