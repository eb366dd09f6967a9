"""Faults: taken in order, counted down, and delays that a reset cuts short."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from abeja.exceptions import HttpError, ResponseTooLargeError
from abeja.services import Service, ServiceClient
from abeja.services.testing import Fault, ServiceEmulator
from abeja.services.testing._api._faults import Faults


def test_faults_are_taken_in_order_and_counted_down() -> None:
    faults = Faults()
    faults.add(Fault(route="get", status=500, times=2))
    faults.add(Fault(route="*", status=502, times=1))
    assert [f.status if f else None for f in (faults.take("get") for _ in range(4))] == [
        500,
        500,
        502,
        None,
    ]
    with pytest.raises(ValueError, match="unknown route"):
        faults.add(Fault(route="nope"))


def test_interrupt_cuts_a_delay_short_until_rearmed() -> None:
    faults = Faults()
    waiter = threading.Thread(target=faults.delay, args=(60,))
    waiter.start()
    faults.interrupt()
    waiter.join(10)
    assert not waiter.is_alive()
    faults.rearm()
    assert not faults._interrupt.is_set()


def test_reset_does_not_wait_for_a_delayed_request(emulator: ServiceEmulator) -> None:
    """A delay fault left by one test must not stall the next test's reset."""
    emulator.inject("list", delay=60)
    url = f"{emulator.url}/organizations/{emulator.organization_id}/deployments/0/services"
    statuses: list[int] = []
    sender = threading.Thread(
        target=lambda: statuses.append(requests.get(url, timeout=30).status_code)
    )
    sender.start()
    deadline = time.monotonic() + 10
    while emulator.count("list") == 0 and time.monotonic() < deadline:
        pass  # until the request is inside its delay (no sleep: a busy wait of milliseconds)
    assert emulator.count("list") == 1
    emulator.reset()
    sender.join(20)
    assert not sender.is_alive()
    assert statuses == [401]


def test_reset_restores_the_facade_settings(emulator: ServiceEmulator) -> None:
    emulator.ready_delay, emulator.log_page_size, emulator.record_bodies = 9, 2, False
    emulator.reset()
    assert (emulator.ready_delay, emulator.log_page_size, emulator.record_bodies) == (0.0, 50, True)
    with pytest.raises(ValueError):
        emulator.log_page_size = 0
    with pytest.raises(LookupError):
        emulator.logs_of("ser-none")


def _service(emulator: ServiceEmulator, client: ServiceClient) -> Service:
    service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    emulator.forget_requests()
    return service


def test_act_then_fail_creates_the_service_and_the_client_says_it_may_have(
    emulator: ServiceEmulator, client: ServiceClient
) -> None:
    emulator.inject("create", status=502, html=True, after=True)
    with pytest.raises(HttpError) as caught:
        client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    assert caught.value.may_have_applied
    assert [r.acted for r in emulator.requests] == [True]
    assert len(client.services.list(emulator.deployment_id)) == 1


def test_a_trickled_answer_arrives_whole(emulator: ServiceEmulator, client: ServiceClient) -> None:
    service = _service(emulator, client)
    emulator.inject("get", trickle=0.001)
    assert client.services.get(emulator.deployment_id, service.service_id) == service.refresh()


def test_a_truncated_answer_is_retried_for_a_read(
    emulator: ServiceEmulator, client: ServiceClient
) -> None:
    service = _service(emulator, client)
    emulator.inject("get", truncate=True)
    assert client.services.get(emulator.deployment_id, service.service_id).service_id
    assert emulator.count("get") == 2


def test_a_gzipped_answer_is_decoded(emulator: ServiceEmulator, client: ServiceClient) -> None:
    service = _service(emulator, client)
    emulator.inject("predict", gzip=True)
    assert service.predict(json={"a": 1}).json()["echo"] == {"a": 1}
    assert emulator.requests[-1].response is not None
    assert emulator.requests[-1].response[:2] == b"\x1f\x8b"  # it did go out gzipped


def test_an_oversized_answer_meets_the_cap(emulator: ServiceEmulator) -> None:
    with emulator.client(max_predict_bytes=1024) as client:
        service = _service(emulator, client)
        emulator.inject("predict", pad=4096, gzip=True)
        with pytest.raises(ResponseTooLargeError):
            service.predict(json={})


def test_a_1xx_before_the_answer_is_refused_and_a_read_is_retried(
    emulator: ServiceEmulator, client: ServiceClient
) -> None:
    service = _service(emulator, client)
    emulator.inject("get", informational=103)
    assert client.services.get(emulator.deployment_id, service.service_id).service_id
    assert emulator.count("get") == 2
    assert len({r.peer for r in emulator.requests}) == 2  # the connection was not reused
