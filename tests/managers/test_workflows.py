"""Waiters and log iteration on the emulator, with an injected clock: nothing sleeps for real.
Each test runs against both clients (the async one awaited, ``tests/clients.py``)."""

from __future__ import annotations

import json
import math
import threading
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from abeja.exceptions import NotFound, ServiceFailedError, WaitTimeoutError
from abeja.services import Service, ServiceClient, ServiceStatus
from abeja.services.testing import ServiceEmulator

from ..clients import KINDS, emulated_client


class FakeTime:
    """One clock for the emulator and the client; sleeping advances it and may run a hook."""

    def __init__(self) -> None:
        self.now = 1_700_000_000.0
        self.sleeps: list[float] = []
        self.on_sleep: Callable[[int], None] | None = None

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds
        if self.on_sleep is not None:
            self.on_sleep(len(self.sleeps))


@pytest.fixture
def fake() -> FakeTime:
    return FakeTime()


@pytest.fixture
def emu(fake: FakeTime) -> Iterator[ServiceEmulator]:
    with ServiceEmulator(clock=fake.clock, ready_delay=7) as emulator:
        yield emulator


@pytest.fixture(params=KINDS)
def timed_client(
    request: pytest.FixtureRequest, emu: ServiceEmulator, fake: FakeTime
) -> Iterator[ServiceClient]:
    """A client on ``emu`` whose clock and sleeps are ``fake``'s."""
    with emulated_client(
        request.param, emu, clock=fake.clock, sleep=fake.sleep, max_retries=0
    ) as service_client:
        yield service_client


@pytest.fixture
def service(timed_client: ServiceClient, emu: ServiceEmulator) -> Service:
    created = timed_client.services.create(emu.deployment_id, version_id=emu.version_id)
    emu.forget_requests()
    return created


def test_wait_until_ready_polls_with_a_growing_interval(
    service: Service, emu: ServiceEmulator, fake: FakeTime
) -> None:
    seen: list[str] = []
    ready = service.wait_until_ready(on_status=lambda s: seen.append(str(s.status)))
    assert ready.status is ServiceStatus.READY
    assert ready.service_id == service.service_id
    assert fake.sleeps == [1.0, 1.5, 2.25, 3.375]  # 8.125 s >= the 7 s delay
    assert emu.count("get") == 5
    assert seen == ["IN_PROGRESS", "READY"]


def test_interval_is_capped_at_ten_seconds(emu: ServiceEmulator, fake: FakeTime) -> None:
    emu.ready_delay = 100
    with emu.client(clock=fake.clock, sleep=fake.sleep) as client:
        service = client.services.create(emu.deployment_id, version_id=emu.version_id)
        service.wait_until_ready(timeout=200)
    assert max(fake.sleeps) == 10.0


@pytest.mark.parametrize(("timeout", "first"), [(10.0, 1.0), (9.0, 2.0), (30.0, 0.5)])
def test_timeout_carries_the_last_service_and_never_oversleeps(
    service: Service, emu: ServiceEmulator, fake: FakeTime, timeout: float, first: float
) -> None:
    emu.ready_delay = 10_000
    service.stop()
    service.start()
    emu.forget_requests()
    started = fake.now
    with pytest.raises(WaitTimeoutError) as caught:
        service.wait_until_ready(timeout=timeout, poll_interval=first)
    assert isinstance(caught.value, TimeoutError)
    assert caught.value.service is not None
    assert caught.value.service.status == "IN_PROGRESS"
    assert fake.now - started == pytest.approx(timeout)
    assert emu.count("get") <= math.ceil(timeout / first) + 1


def test_failed_state_raises_at_once(
    service: Service, emu: ServiceEmulator, fake: FakeTime
) -> None:
    fake.on_sleep = lambda n: emu.fail_service(service.service_id) if n == 2 else None
    with pytest.raises(ServiceFailedError, match="FAILED") as caught:
        service.wait_until_ready()
    assert caught.value.service.status == "FAILED"
    assert emu.count("get") == 3


def test_failed_statuses_are_configurable(
    timed_client: ServiceClient, service: Service, emu: ServiceEmulator
) -> None:
    with pytest.raises(ServiceFailedError):
        timed_client.services.wait_until_ready(
            emu.deployment_id, service.service_id, failed_statuses={"IN_PROGRESS"}
        )


def test_unknown_statuses_keep_polling(service: Service, emu: ServiceEmulator) -> None:
    body = emu.service_json(service.service_id)
    body["status"] = "WARMING_UP"
    emu.inject("get", status=200, body=json.dumps(body).encode(), times=3)
    seen: list[object] = []
    assert service.wait_until_ready(on_status=lambda s: seen.append(s.status)).is_ready
    assert seen == ["WARMING_UP", ServiceStatus.IN_PROGRESS, ServiceStatus.READY]


def test_transient_errors_are_polled_through(service: Service, emu: ServiceEmulator) -> None:
    emu.inject("get", status=502, times=3)
    emu.inject("get", drop=True, times=1)
    assert service.wait_until_ready().is_ready
    assert emu.count("get") >= 5


def test_a_404_right_after_create_is_polled_through(service: Service, emu: ServiceEmulator) -> None:
    emu.inject("get", status=404, times=2)
    assert service.wait_until_ready().is_ready


def test_a_lasting_404_raises_after_the_grace_period(
    timed_client: ServiceClient, emu: ServiceEmulator, fake: FakeTime
) -> None:
    started = fake.now
    with pytest.raises(NotFound):
        timed_client.services.wait_until_ready(emu.deployment_id, "ser-never")
    assert 30 <= fake.now - started <= 41


def test_wait_until_stopped_and_deleted(service: Service, emu: ServiceEmulator) -> None:
    service.stop()
    assert service.wait_until_stopped().status == ServiceStatus.STOPPED
    with pytest.raises(WaitTimeoutError):
        service.wait_until_deleted(timeout=3)
    service.delete()
    assert service.wait_until_deleted() is None


def test_bad_wait_arguments(service: Service) -> None:
    with pytest.raises(ValueError):
        service.wait_until_ready(timeout=-1)
    with pytest.raises(ValueError):
        service.wait_until_ready(poll_interval=0)


def _add_lines(emu: ServiceEmulator, service_id: str, texts: list[str]) -> None:
    for text in texts:
        emu.add_log_line(service_id, text)


def test_iter_logs_walks_back_one_page_per_request(service: Service, emu: ServiceEmulator) -> None:
    emu.log_page_size = 7
    emu.clear_logs(service.service_id)
    _add_lines(emu, service.service_id, [f"line {i}" for i in range(100)])
    messages = [event.message for event in service.iter_logs()]
    assert messages == [f"line {i}" for i in reversed(range(100))]
    assert emu.count("logs") == math.ceil(100 / 7) + 1


def test_iter_logs_is_lazy_and_honours_limit(service: Service, emu: ServiceEmulator) -> None:
    emu.log_page_size = 7
    _add_lines(emu, service.service_id, [f"line {i}" for i in range(100)])
    events = service.iter_logs(limit=10)
    assert emu.count("logs") == 0
    assert len(list(events)) == 10
    assert emu.count("logs") == 2
    assert list(service.iter_logs(limit=0)) == []


def test_iter_logs_stops_on_a_repeated_token_with_events(
    service: Service, emu: ServiceEmulator
) -> None:
    page = {
        "events": [{"message": "again", "timestamp": "2026-01-01T00:00:00Z"}],
        "next_backward_token": "stuck",
        "next_forward_token": "f",
    }
    emu.inject("logs", status=200, body=json.dumps(page).encode(), times=None)
    assert [e.message for e in service.iter_logs()] == ["again", "again"]
    assert emu.count("logs") == 2


@pytest.mark.parametrize("token", [None, "", []])
def test_iter_logs_stops_without_a_token(
    service: Service, emu: ServiceEmulator, token: object
) -> None:
    page = {
        "events": [{"message": "only", "timestamp": "2026-01-01T00:00:00Z"}],
        "next_backward_token": token,
    }
    emu.inject("logs", status=200, body=json.dumps(page).encode(), times=None)
    assert [e.message for e in service.iter_logs()] == ["only"]
    assert emu.count("logs") == 1


def test_follow_yields_new_events_without_duplicates_or_gaps(
    service: Service, emu: ServiceEmulator, fake: FakeTime
) -> None:
    emu.log_page_size = 3
    emu.clear_logs(service.service_id)
    _add_lines(emu, service.service_id, ["old 0", "old 1", "old 2", "old 3"])

    def more(n: int) -> None:
        if n in (1, 3):
            _add_lines(emu, service.service_id, [f"new {n}.{i}" for i in range(4)])

    fake.on_sleep = more
    messages = [e.message for e in service.iter_logs(follow=True, poll_interval=1, timeout=5)]
    assert messages == [
        "old 3", "old 2", "old 1", "old 0",
        "new 1.0", "new 1.1", "new 1.2", "new 1.3",
        "new 3.0", "new 3.1", "new 3.2", "new 3.3",
    ]  # fmt: skip
    assert sum(fake.sleeps) == pytest.approx(5)


def test_follow_stops_on_an_event(service: Service, emu: ServiceEmulator, fake: FakeTime) -> None:
    stop = threading.Event()

    def tick(n: int) -> None:
        _add_lines(emu, service.service_id, [f"tick {n}"])
        if n == 3:
            stop.set()

    fake.on_sleep = tick
    messages = [e.message for e in service.iter_logs(follow=True, stop_event=stop)]
    assert messages[-2:] == ["tick 1", "tick 2"]
    assert len(fake.sleeps) == 3


def test_follow_stops_on_keyboard_interrupt(emu: ServiceEmulator, fake: FakeTime) -> None:
    """Sync only: on the async client Ctrl-C cancels the task (``asyncio.run``), which
    ``test_async_client.py`` tests."""

    def interrupt(n: int) -> None:
        raise KeyboardInterrupt

    fake.on_sleep = interrupt
    with emu.client(clock=fake.clock, sleep=fake.sleep, max_retries=0) as client:
        service = client.services.create(emu.deployment_id, version_id=emu.version_id)
        events = list(service.iter_logs(follow=True))
    assert events and len(fake.sleeps) == 1


def _peak_while_iterating(service: Service, emu: ServiceEmulator, events: int) -> int:
    emu.clear_logs(service.service_id)
    _add_lines(emu, service.service_id, [f"event {i:06d} " + "x" * 40 for i in range(events)])
    tracemalloc.start()
    try:
        count = sum(1 for _ in service.iter_logs())
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == events
    return peak


def test_iterating_logs_keeps_memory_flat(service: Service, emu: ServiceEmulator) -> None:
    """Peak memory does not grow with the number of events (the 100,000-event figure is
    measured by `make bench`)."""
    emu.log_page_size = 500
    emu.record_bodies = False  # the emulator's own request log would grow
    small = _peak_while_iterating(service, emu, 2_000)
    large = _peak_while_iterating(service, emu, 10_000)
    assert large < small * 1.5, (small, large)


def test_typed_predict_and_workflow_from_a_fresh_client(
    emu: ServiceEmulator, fake: FakeTime
) -> None:
    with emu.client(clock=fake.clock, sleep=fake.sleep) as client:
        service = client.services.create(emu.deployment_id, version_id=emu.version_id)
        ready = client.services.wait_until_ready(emu.deployment_id, service.service_id)
        answer: Any = ready.predict(json={"k": "v"}).json()
    assert answer == {"echo": {"k": "v"}, "model_version": "0.0.1"}
