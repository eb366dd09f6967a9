"""pytest plugin (registered as ``abeja_services``): emulator fixtures for your tests.

- ``abeja_emulator``: a running :class:`ServiceEmulator`, shared by the session
  and reset (services, faults, request log) before each test.
- ``abeja_client``: a ``ServiceClient`` pointed at it, whose retries do not sleep.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .._client import ServiceClient
from ._emulator import ServiceEmulator


@pytest.fixture(scope="session")
def _abeja_emulator_session() -> Iterator[ServiceEmulator]:
    with ServiceEmulator() as emulator:
        yield emulator


@pytest.fixture
def abeja_emulator(_abeja_emulator_session: ServiceEmulator) -> ServiceEmulator:
    """A running Service API emulator, reset for this test (settings included)."""
    _abeja_emulator_session.reset()
    return _abeja_emulator_session


@pytest.fixture
def abeja_client(abeja_emulator: ServiceEmulator) -> Iterator[ServiceClient]:
    """A ``ServiceClient`` for the emulator's default organization; retries do not sleep."""
    with abeja_emulator.client(sleep=lambda seconds: None) as client:
        yield client
