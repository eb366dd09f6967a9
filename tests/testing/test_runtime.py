"""Running handlers leaves the host process as it was: streams, root logger, file descriptors."""

from __future__ import annotations

import contextlib
import faulthandler
import logging
import os
import subprocess
import sys
import threading
import warnings
from typing import Any

import pytest

from abeja.services import ServiceClient
from abeja.services.testing import PredictRequest, ServiceEmulator


# Warning filters are the process's: under "error" a handler's warning would raise here.
@pytest.mark.filterwarnings("always::UserWarning")
def test_predictions_leave_the_process_streams_and_root_logger_as_they_were(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    def handler(request: PredictRequest, context: Any) -> dict[str, Any]:
        print("printed by the model")
        print("to stderr", file=sys.stderr)
        logging.getLogger("my.model").warning("logged by the model")
        warnings.warn("careful", UserWarning, stacklevel=1)
        assert os.environ["ABEJA_SERVICE_ID"] == os.getenv("ABEJA_SERVICE_ID")
        return {"status_code": 200, "content_type": "application/json", "content": {}}

    stdout, stderr = sys.stdout, sys.stderr
    environ, showwarning = os.environ, warnings.showwarning
    root_handlers = list(logging.getLogger().handlers)
    emulator.add_deployment("6161", {"ver-p": handler})
    service = client.services.create("6161", version_id="ver-p")
    for _ in range(3):
        service.predict(json={})
    assert sys.stdout is stdout and sys.stderr is stderr
    assert os.environ is environ and "ABEJA_SERVICE_ID" not in os.environ
    assert warnings.showwarning is showwarning
    assert logging.getLogger().handlers == root_handlers
    lines = emulator.logs_of(service.service_id)
    assert lines.count("printed by the model") == 3 and lines.count("to stderr") == 3
    assert sum("logged by the model" in line for line in lines) == 3
    assert sum("UserWarning: careful" in line for line in lines) >= 1
    done = subprocess.run([sys.executable, "-c", "print('child')"], stdout=sys.stdout, check=False)
    assert done.returncode == 0
    faulthandler.enable(file=sys.stderr)
    faulthandler.disable()


def test_a_handler_can_hand_the_real_streams_to_a_subprocess(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    """While a handler runs, the stand-in streams delegate fileno() to the real ones."""

    def handler(request: PredictRequest, context: Any) -> dict[str, Any]:
        done = subprocess.run([sys.executable, "-c", "pass"], stdout=sys.stdout, check=False)
        return {
            "status_code": 200,
            "content_type": "application/json",
            "content": {"rc": done.returncode},
        }

    emulator.add_deployment("6162", {"ver-s": handler})
    service = client.services.create("6162", version_id="ver-s")
    assert service.predict(json={}).json() == {"rc": 0}


def _concurrency(emulator: ServiceEmulator, client: ServiceClient, instances: int) -> int:
    """The most requests a service's handler served at once, with 4 sent together."""
    lock, running, peak = threading.Lock(), [0], [0]
    both_inside = threading.Barrier(2, timeout=1)

    def handler(request: PredictRequest, context: Any) -> dict[str, Any]:
        with lock:
            running[0] += 1
            peak[0] = max(peak[0], running[0])
        with contextlib.suppress(threading.BrokenBarrierError):
            both_inside.wait()  # two at once only if two instances let them in
        with lock:
            running[0] -= 1
        return {"status_code": 200, "content_type": "application/json", "content": {}}

    emulator.add_deployment(f"717{instances}", {"ver-c": handler})
    service = client.services.create(
        f"717{instances}", version_id="ver-c", instance_number=instances
    )
    senders = [threading.Thread(target=lambda: service.predict(json={})) for _ in range(4)]
    for sender in senders:
        sender.start()
    for sender in senders:
        sender.join(30)
    return peak[0]


def test_each_instance_serves_one_request_at_a_time(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    assert _concurrency(emulator, client, 1) == 1
    assert _concurrency(emulator, client, 2) == 2
