"""pytest plugin (registered as ``abeja_services``): emulator fixtures for your tests.

- ``abeja_emulator``: a running ``ServiceEmulator``, shared by the session and reset
  (services, faults, request log, settings) before each test.
- ``abeja_clock``: a ``FakeClock`` the emulator and ``abeja_client`` share: waits and
  retries finish at once and the same way every run.
- ``abeja_client``: a ``ServiceClient`` pointed at the emulator, on ``abeja_clock``.
- ``abeja_async_client``: an ``AsyncServiceClient`` pointed at the emulator, on
  ``abeja_clock`` (needs ``abeja-services[async]``); a plain fixture that keeps no
  connection open, so it works under pytest-asyncio, anyio or ``asyncio.run``.
- ``abeja_ready_delay``: services take this long (in ``abeja_clock`` time) to be READY;
  30 s unless the test is marked ``@pytest.mark.abeja_ready_delay(seconds)``.
- ``abeja_env``: the environment variables that point code building its own client at
  the emulator, set for the test.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

# Imported inside the fixtures: pytest loads this plugin in every run where the package
# is installed, and only the tests that use the emulator should pay for it.
if TYPE_CHECKING:
    from .._async_client import AsyncServiceClient
    from .._client import ServiceClient
    from ._clock import FakeClock
    from ._emulator import ServiceEmulator


@pytest.fixture(scope="session")
def _abeja_emulator_session() -> Iterator[ServiceEmulator]:
    from ._emulator import ServiceEmulator

    with ServiceEmulator() as emulator:
        yield emulator


@pytest.fixture
def abeja_emulator(_abeja_emulator_session: ServiceEmulator) -> ServiceEmulator:
    """A running Service API emulator, reset for this test (settings included)."""
    _abeja_emulator_session.reset()
    return _abeja_emulator_session


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "abeja_ready_delay(seconds): how long services take to be READY"
    )


@pytest.fixture
def abeja_clock(abeja_emulator: ServiceEmulator) -> FakeClock:
    """A fake clock shared by the emulator and ``abeja_client``: waits finish at once."""
    from ._clock import FakeClock

    clock = FakeClock()
    abeja_emulator.use_clock(clock.time)
    return clock


@pytest.fixture
def abeja_client(
    abeja_emulator: ServiceEmulator, abeja_clock: FakeClock
) -> Iterator[ServiceClient]:
    """A ``ServiceClient`` for the emulator's default organization, on ``abeja_clock``."""
    with abeja_emulator.client(clock=abeja_clock.monotonic, sleep=abeja_clock.sleep) as client:
        yield client


@pytest.fixture
def abeja_async_client(
    abeja_emulator: ServiceEmulator, abeja_clock: FakeClock
) -> AsyncServiceClient:
    """An ``AsyncServiceClient`` for the emulator's default organization, on
    ``abeja_clock``.

    Not an async fixture: it is made outside any event loop and binds to none, and its
    connections close after each answer, so the test's own loop (pytest-asyncio's,
    anyio's, or one ``asyncio.run`` makes) can end with nothing left open.
    """
    return abeja_emulator.async_client(clock=abeja_clock.monotonic, sleep=abeja_clock.async_sleep)


@pytest.fixture
def abeja_ready_delay(request: pytest.FixtureRequest, abeja_emulator: ServiceEmulator) -> float:
    """Services take this long to be READY (30 s, or the ``abeja_ready_delay`` marker's)."""
    marker = request.node.get_closest_marker("abeja_ready_delay")
    seconds = float(marker.args[0]) if marker is not None else 30.0
    abeja_emulator.ready_delay = seconds
    return seconds


@pytest.fixture
def abeja_env(abeja_emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    """The emulator's environment variables, set for this test; returned as a dict."""
    env = abeja_emulator.env()
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return env
