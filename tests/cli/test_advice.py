"""What the command line advises when a call fails: advice that fits the state the service is
in, and a ``create --wait`` that ends early still printing what it created. The real
command in a subprocess against the emulator; the SDK's own error text too."""

from __future__ import annotations

import json
import signal
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest

from abeja.exceptions import InternalServerError
from abeja.services.testing import ServiceEmulator

from .test_commands import COMMAND, _environment, run

BROKEN = "ver-broken"


def broken(request: Any, context: Any) -> dict[str, Any]:
    raise RuntimeError("model file missing")


@pytest.fixture
def emulator() -> Iterator[ServiceEmulator]:
    with ServiceEmulator(ready_delay=3600) as running:
        running.add_deployment(running.deployment_id, {BROKEN: broken})
        yield running


def test_a_prediction_to_a_starting_service_advises_waiting_not_starting(
    emulator: ServiceEmulator,
) -> None:
    with emulator.client() as client:
        service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    failed = run(emulator, "predict", emulator.deployment_id, service.service_id, "--json", "{}")
    assert failed.returncode == 1
    assert "is IN_PROGRESS" in failed.stderr
    assert f"abeja-services wait {emulator.deployment_id} {service.service_id}" in failed.stderr
    assert "abeja-services start" not in failed.stderr


def test_a_prediction_to_a_stopped_service_advises_starting_then_waiting(
    emulator: ServiceEmulator,
) -> None:
    emulator.ready_delay = 0
    with emulator.client() as client:
        service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
        service.wait_until_ready().stop()
    failed = run(emulator, "predict", emulator.deployment_id, service.service_id, "--json", "{}")
    assert "is STOPPED" in failed.stderr
    assert f"abeja-services start {emulator.deployment_id} {service.service_id}" in failed.stderr


def test_a_handler_that_raises_points_at_the_log(emulator: ServiceEmulator) -> None:
    emulator.ready_delay = 0
    with emulator.client(max_retries=0) as client:
        service = client.services.create(emulator.deployment_id, version_id=BROKEN)
        service = service.wait_until_ready()
        with pytest.raises(InternalServerError) as raised:
            service.predict(json={})
    assert "traceback is in the service's log" in str(raised.value)  # the SDK's text
    failed = run(emulator, "predict", emulator.deployment_id, service.service_id, "--json", "{}")
    assert failed.returncode == 1
    logs = f"abeja-services logs {emulator.deployment_id} {service.service_id}"
    assert logs in failed.stderr and "check (`get`, `list`)" not in failed.stderr
    shown = run(emulator, "logs", emulator.deployment_id, service.service_id)
    assert "model file missing" in shown.stdout  # where the advice points: the traceback


def test_create_wait_that_times_out_prints_the_service_and_says_how_to_wait_on(
    emulator: ServiceEmulator,
) -> None:
    waiting = ["--wait", "--wait-timeout", "0.5", "--interval", "0.1"]
    done = run(emulator, "-o", "json", "create", emulator.deployment_id, "--version-id",
               emulator.version_id, *waiting)  # fmt: skip
    assert done.returncode == 8, done.stderr
    created = json.loads(done.stdout)  # `SID=$(... | jq -r .service_id)` still works
    service_id = created["service_id"]
    assert created["status"] == "IN_PROGRESS"
    assert f"abeja-services wait {emulator.deployment_id} {service_id}" in done.stderr
    assert "--wait-timeout" in done.stderr


def test_create_wait_interrupted_prints_the_service_it_left_running(
    emulator: ServiceEmulator,
) -> None:
    process = subprocess.Popen(
        [*COMMAND, "-o", "json", "create", emulator.deployment_id, "--version-id",
         emulator.version_id, "--wait", "--interval", "0.1"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=_environment(emulator),
    )  # fmt: skip
    assert process.stderr is not None
    for _ in range(100):  # until the wait has begun
        line = process.stderr.readline()
        if "IN_PROGRESS" in line or not line:
            break
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=30)
    assert process.returncode == 130, stderr
    service_id = json.loads(stdout)["service_id"]
    assert f"abeja-services wait {emulator.deployment_id} {service_id}" in stderr
    with emulator.client() as client:  # it was left there, as the message says
        assert client.services.get(emulator.deployment_id, service_id).service_id == service_id
