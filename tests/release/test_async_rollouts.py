"""``AsyncServiceClient(...).rollouts`` where async differs: a task cancelled mid-run (or an
``asyncio.timeout`` expiring) rolls back before the cancellation goes on, and rollouts of
two deployments run at once on one event loop. Every other branch of a rollout runs
against both clients in ``tests/release/test_rollouts.py``."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Callable
from typing import Any

import pytest

from abeja.services import AsyncServiceClient, RolloutEvent, RolloutReport
from abeja.services.testing import FakeClock, ServiceEmulator

OLD, NEW = "ver-old", "ver-new"
SMOKE = [{"json": {"text": "hello"}}]


def _answer(request: Any, context: Any) -> dict[str, Any]:
    return {"status_code": 200, "content_type": "application/json", "content": {"ok": True}}


async def _serving(client: AsyncServiceClient, emulator: ServiceEmulator, deployment: str) -> str:
    """A deployment whose default endpoint points at a READY service; its id."""
    emulator.add_deployment(deployment, {OLD: _answer, NEW: _answer})
    old = await client.services.create(deployment, version_id=OLD)
    await old.wait_until_ready()
    await client.endpoints.create(deployment, service_id=old)
    return old.service_id


async def _target(client: AsyncServiceClient, deployment: str) -> str | None:
    return (await client.endpoints.get(deployment, "default")).service_id


async def _left(client: AsyncServiceClient, deployment: str) -> dict[str, str]:
    return {s.service_id: str(s.status) for s in await client.services.list(deployment)}


def _at_bake(act: Callable[[], object]) -> Callable[[RolloutEvent], None]:
    """An ``on_event`` that calls ``act`` once, when the bake first reports progress."""
    done: list[bool] = []

    def on_event(event: RolloutEvent) -> None:
        if event.step == "bake" and event.state == "progress" and not done:
            done.append(True)
            act()

    return on_event


@pytest.fixture
def emulator() -> Any:
    with ServiceEmulator(ready_delay=5) as emulator:
        yield emulator


def _client(emulator: ServiceEmulator, clock: FakeClock) -> AsyncServiceClient:
    emulator.use_clock(clock.time)
    return emulator.async_client(clock=clock.monotonic, sleep=clock.async_sleep)


def test_a_run_cancelled_mid_bake_rolls_back_then_the_cancellation_goes_on(
    emulator: ServiceEmulator,
) -> None:
    events: list[RolloutEvent] = []

    async def scenario() -> tuple[str, str | None, dict[str, str], bool]:
        async with _client(emulator, FakeClock()) as client:
            deployment = emulator.deployment_id
            old = await _serving(client, emulator, deployment)
            tasks: list[asyncio.Task[RolloutReport]] = []
            cancel = _at_bake(lambda: tasks[0].cancel())

            def on_event(event: RolloutEvent) -> None:
                events.append(event)
                cancel(event)

            tasks.append(
                asyncio.create_task(
                    client.rollouts.run(deployment, version_id=NEW, smoke=SMOKE, on_event=on_event)
                )
            )
            with pytest.raises(asyncio.CancelledError):
                await tasks[0]
            return old, await _target(client, deployment), await _left(client, deployment), True

    old, target, left, _ = asyncio.run(scenario())
    assert target == old  # switched back, and read back
    assert left == {old: "READY"}  # the new service deleted, the old one untouched
    done = [(e.step, e.state) for e in events if e.state in ("ok", "failed")]
    assert done[-3:] == [("bake", "failed"), ("restore", "ok"), ("cleanup", "ok")]
    bake = next(e for e in events if e.step == "bake" and e.state == "failed")
    assert bake.message == "cancelled"
    assert emulator.count("update_endpoint") == 2  # the switch, and the switch back


@pytest.mark.skipif(sys.version_info < (3, 11), reason="asyncio.timeout is Python 3.11+")
def test_an_asyncio_timeout_expiring_mid_run_rolls_back_and_raises_timeout_error(
    emulator: ServiceEmulator,
) -> None:
    async def scenario() -> tuple[str, str | None, dict[str, str]]:
        async with _client(emulator, FakeClock()) as client:
            deployment = emulator.deployment_id
            old = await _serving(client, emulator, deployment)
            loop = asyncio.get_running_loop()
            with pytest.raises(TimeoutError):
                async with asyncio.timeout(None) as window:
                    expire = _at_bake(lambda: window.reschedule(loop.time()))
                    await client.rollouts.run(
                        deployment, version_id=NEW, smoke=SMOKE, on_event=expire
                    )
            return old, await _target(client, deployment), await _left(client, deployment)

    old, target, left = asyncio.run(scenario())
    assert target == old
    assert left == {old: "READY"}


def test_rollouts_of_two_deployments_run_at_once_on_one_loop(emulator: ServiceEmulator) -> None:
    """Each run's pauses and calls let the other go on: their steps interleave."""
    order: list[tuple[str, str]] = []

    async def scenario() -> list[tuple[str, RolloutReport, str | None, dict[str, str]]]:
        async with _client(emulator, FakeClock()) as client:
            deployments = [emulator.deployment_id, "2" * 13]
            olds = [await _serving(client, emulator, d) for d in deployments]

            def recorder(name: str) -> Callable[[RolloutEvent], None]:
                return lambda event: order.append((name, event.step))

            reports = await asyncio.gather(
                *(
                    client.rollouts.run(d, version_id=NEW, smoke=SMOKE, on_event=recorder(d))
                    for d in deployments
                )
            )
            return [
                (old, report, await _target(client, d), await _left(client, d))
                for old, report, d in zip(olds, reports, deployments, strict=True)
            ]

    for old, report, target, left in asyncio.run(scenario()):
        assert report.outcome == "completed"
        assert target == report.new_service_id
        assert left == {old: "STOPPED", report.new_service_id: "READY"}
    names = [name for name, _ in order]
    first, second = names[0], next(name for name in names if name != names[0])
    last_of_first = len(names) - 1 - names[::-1].index(first)
    assert names.index(second) < last_of_first, order  # not one run after the other
