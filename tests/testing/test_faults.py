"""Faults: taken in order, counted down, and delays that a reset cuts short."""

from __future__ import annotations

import threading
import time

import pytest
import requests

from abeja.services.testing import Fault, ServiceEmulator
from abeja.services.testing._faults import Faults


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
