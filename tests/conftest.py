"""Shared fixtures: the emulator (from our pytest plugin), a client whose sleeps are recorded."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from abeja.services import Service, ServiceClient
from abeja.services.testing import ServiceEmulator

from .tls import certificate, tls_server  # noqa: F401 - fixtures, by name

ENV_VARS = (
    "ABEJA_API_URL",
    "ABEJA_ORGANIZATION_ID",
    "PLATFORM_AUTH_TOKEN",
    "ABEJA_PLATFORM_USER_ID",
    "ABEJA_PLATFORM_PERSONAL_ACCESS_TOKEN",
    "ABEJA_PLATFORM_DATASOURCE_ID",
    "ABEJA_PLATFORM_DATASOURCE_SECRET",
    "ABEJA_SDK_CONNECTION_TIMEOUT",
    "ABEJA_SDK_MAX_RETRY_COUNT",
    "ABEJA_SERVICE_URL_TEMPLATE",
    # abejacli's, read with its configuration file
    "ABEJA_CLI_USER",
    "ABEJA_PLATFORM_USER",
    "ABEJA_CLI_TOKEN",
    "PERSONAL_ACCESS_TOKEN",
    "ABEJA_CLI_ORGANIZATION",
    "ORGANIZATION_NAME",
)


@pytest.fixture(autouse=True)
def _clean_env(monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory) -> None:
    """No test sees the developer's ABEJA_* variables, or their abejacli configuration
    (``~/.abeja/config``: HOME is an empty folder)."""
    for name in ENV_VARS:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HOME", str(tmp_path_factory.mktemp("home")))


@pytest.fixture
def sleeps() -> list[float]:
    """What the client asked to sleep, in order (nothing sleeps for real)."""
    return []


@pytest.fixture
def emulator(abeja_emulator: ServiceEmulator) -> ServiceEmulator:
    return abeja_emulator


@pytest.fixture
def client(emulator: ServiceEmulator, sleeps: list[float]) -> Iterator[ServiceClient]:
    with emulator.client(sleep=sleeps.append) as service_client:
        yield service_client


@pytest.fixture
def service(client: ServiceClient, emulator: ServiceEmulator) -> Service:
    """A service created through ``client``; the request log then starts empty."""
    created = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    emulator.forget_requests()  # count only what the test itself sends
    return created


@pytest.fixture
def free_port() -> int:
    """A port nothing listens on (for connection failures)."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port
