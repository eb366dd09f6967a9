"""The pytest plugin's fixtures, as a user's test suite would use them."""

from __future__ import annotations

import asyncio

import pytest

from abeja.exceptions import WaitTimeoutError
from abeja.services import AsyncServiceClient, ServiceClient, ServiceStatus
from abeja.services.testing import FakeClock, ServiceEmulator


@pytest.mark.abeja_ready_delay(10)
def test_waits_finish_at_once_and_the_same_way_every_run(
    abeja_client: ServiceClient,
    abeja_emulator: ServiceEmulator,
    abeja_clock: FakeClock,
    abeja_ready_delay: float,
) -> None:
    assert abeja_ready_delay == 10
    service = abeja_client.services.create(
        abeja_emulator.deployment_id, version_id=abeja_emulator.version_id
    )
    assert service.wait_until_ready().status is ServiceStatus.READY
    assert abeja_clock.sleeps == [1.0, 1.5, 2.25, 3.375, 5.0625]  # fake time: 13.2 s
    assert abeja_emulator.count("get") == 6


def test_a_short_wait_polls_twice_not_a_thousand_times(
    abeja_client: ServiceClient, abeja_emulator: ServiceEmulator, abeja_ready_delay: float
) -> None:
    service = abeja_client.services.create(
        abeja_emulator.deployment_id, version_id=abeja_emulator.version_id
    )
    with pytest.raises(WaitTimeoutError):
        service.wait_until_ready(timeout=1)
    assert abeja_emulator.count("get") == 2  # at 0 s and at the 1 s deadline


def test_abeja_env_points_code_that_builds_its_own_client(
    abeja_env: dict[str, str], abeja_emulator: ServiceEmulator
) -> None:
    with ServiceClient() as client:
        assert client.base_url == abeja_env["ABEJA_API_URL"]
        assert client.services.list(abeja_emulator.deployment_id).entries == []


def test_the_clock_goes_back_to_real_time_after_a_reset(abeja_emulator: ServiceEmulator) -> None:
    abeja_emulator.use_clock(FakeClock(start=0).time)
    abeja_emulator.reset()
    with abeja_emulator.client() as client:
        created = client.services.create(
            abeja_emulator.deployment_id, version_id=abeja_emulator.version_id
        )
    assert created.created_at is not None and created.created_at.year >= 2026


async def _ready_through(client: AsyncServiceClient, emulator: ServiceEmulator) -> tuple[int, int]:
    service = await client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    ready = await service.wait_until_ready()
    assert ready.status is ServiceStatus.READY
    assert (await ready.predict(json={"n": 1})).json()["echo"] == {"n": 1}
    routed = client._transport._http._transport  # type: ignore[attr-defined]
    pools = [transport._pool for transport in routed.transports()]  # direct, and proxies'
    assert all(pool.connections == [] for pool in pools)  # nothing left open for the loop's end
    return emulator.count("get"), emulator.count("predict")


@pytest.mark.abeja_ready_delay(10)
@pytest.mark.asyncio
async def test_the_async_client_under_pytest_asyncio(
    abeja_async_client: AsyncServiceClient,
    abeja_emulator: ServiceEmulator,
    abeja_clock: FakeClock,
    abeja_ready_delay: float,
) -> None:
    assert await _ready_through(abeja_async_client, abeja_emulator) == (6, 1)
    assert abeja_clock.sleeps == [1.0, 1.5, 2.25, 3.375, 5.0625]  # as the sync client's


@pytest.mark.abeja_ready_delay(10)
@pytest.mark.anyio
async def test_the_async_client_under_anyio(
    abeja_async_client: AsyncServiceClient,
    abeja_emulator: ServiceEmulator,
    abeja_clock: FakeClock,
    abeja_ready_delay: float,
) -> None:
    assert await _ready_through(abeja_async_client, abeja_emulator) == (6, 1)
    assert abeja_clock.sleeps == [1.0, 1.5, 2.25, 3.375, 5.0625]


@pytest.mark.abeja_ready_delay(10)
def test_the_async_client_under_asyncio_run_in_a_sync_test(
    abeja_async_client: AsyncServiceClient,
    abeja_emulator: ServiceEmulator,
    abeja_ready_delay: float,
) -> None:
    assert asyncio.run(_ready_through(abeja_async_client, abeja_emulator)) == (6, 1)
