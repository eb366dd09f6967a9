"""A 429 the model itself answers (through the serving proxy, its headers on it) may have
followed work done: the error says so, and a batch records it as failed rather than
sending it again; the gateway's 429 (no proxy header) provably did not arrive."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from abeja.exceptions import TooManyRequests
from abeja.services import ServiceClient
from abeja.services.testing import ServiceEmulator

from ..clients import KINDS, emulated_client

CALLS: list[int] = []


def busy_model(request: Any, context: Any) -> dict[str, Any]:
    CALLS.append(1)
    return {"status_code": 429, "content_type": "application/json", "content": {"busy": 1}}


@pytest.fixture(params=KINDS)
def client(request: pytest.FixtureRequest, emulator: ServiceEmulator) -> Iterator[ServiceClient]:
    with emulated_client(request.param, emulator, sleep=lambda s: None, max_retries=0) as made:
        yield made


def _service(client: ServiceClient, emulator: ServiceEmulator) -> str:
    CALLS.clear()
    emulator.add_deployment(emulator.deployment_id, {"ver-busy": busy_model})
    made = client.services.create(emulator.deployment_id, version_id="ver-busy")
    return client.services.wait_until_ready(emulator.deployment_id, made.service_id).service_id


def test_the_models_429_may_have_applied_the_gateways_did_not(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    sid = _service(client, emulator)
    with pytest.raises(TooManyRequests) as from_the_model:
        client.services.predict(emulator.deployment_id, sid, json={})
    assert from_the_model.value.may_have_applied is True and len(CALLS) == 1
    emulator.inject("predict", status=429)
    with pytest.raises(TooManyRequests) as from_the_gateway:
        client.services.predict(emulator.deployment_id, sid, json={})
    assert from_the_gateway.value.may_have_applied is False


def test_a_batch_records_the_models_429_and_never_sends_it_twice(
    client: ServiceClient, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    sid = _service(client, emulator)
    report = client.services.predict_batch(
        emulator.deployment_id, sid, [{"json": n} for n in range(5)], output=tmp_path / "r.jsonl"
    )
    assert (report.failed, report.throttled) == (5, 0)
    assert len(CALLS) == 5
