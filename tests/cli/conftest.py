"""The release commands' deployment: the emulator with a version whose handler raises, a
client on it, and ``old``, a READY service behind the default endpoint."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from abeja.services import Service, ServiceClient
from abeja.services.testing import ServiceEmulator

BROKEN = "ver-broken"


def broken(request: Any, context: Any) -> dict[str, Any]:
    raise RuntimeError("model file missing")


@pytest.fixture
def emulator() -> Iterator[ServiceEmulator]:
    with ServiceEmulator() as running:
        running.add_deployment(running.deployment_id, {BROKEN: broken})
        yield running


@pytest.fixture
def client(emulator: ServiceEmulator) -> Iterator[ServiceClient]:
    with emulator.client() as made:
        yield made


@pytest.fixture
def old(client: ServiceClient, emulator: ServiceEmulator) -> Service:
    """A READY service behind the default endpoint."""
    service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    service = service.wait_until_ready()
    client.endpoints.create(emulator.deployment_id, service_id=service)
    return service
