"""Running handlers leaves the host process as it was: streams, root logger, file descriptors."""

from __future__ import annotations

import faulthandler
import logging
import subprocess
import sys
from typing import Any

from abeja.services import ServiceClient
from abeja.services.testing import PredictRequest, ServiceEmulator


def test_predictions_leave_the_process_streams_and_root_logger_as_they_were(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    def handler(request: PredictRequest, context: Any) -> dict[str, Any]:
        print("printed by the model")
        print("to stderr", file=sys.stderr)
        logging.getLogger("my.model").warning("logged by the model")
        return {"status_code": 200, "content_type": "application/json", "content": {}}

    stdout, stderr = sys.stdout, sys.stderr
    root_handlers = list(logging.getLogger().handlers)
    emulator.add_deployment("6161", {"ver-p": handler})
    service = client.services.create("6161", version_id="ver-p")
    for _ in range(3):
        service.predict(json={})
    assert sys.stdout is stdout and sys.stderr is stderr
    assert logging.getLogger().handlers == root_handlers
    lines = emulator.logs_of(service.service_id)
    assert lines.count("printed by the model") == 3 and lines.count("to stderr") == 3
    assert sum("logged by the model" in line for line in lines) == 3
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
