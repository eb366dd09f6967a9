"""abejacli 2.2.8's endpoint commands against the emulator, using only the variables the
emulator prints (``abejacli_env``): the platform's own tool, installed from its wheel."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from abeja.services import ServiceClient
from abeja.services.testing import ServiceEmulator

from .abejacli import run_abejacli


@pytest.fixture
def home(tmp_path: Path) -> Path:
    """A HOME without ~/.abeja/config: abejacli reads only the environment."""
    return tmp_path


def _json(done: object) -> object:
    assert done.returncode == 0, (done.stdout, done.stderr)  # type: ignore[attr-defined]
    return json.loads(done.stdout)  # type: ignore[attr-defined]


def test_abejacli_creates_describes_updates_endpoints_and_predicts_through_them(
    emulator: ServiceEmulator, client: ServiceClient, home: Path
) -> None:
    deployment = emulator.deployment_id
    first = client.services.create(deployment, version_id=emulator.version_id).wait_until_ready()
    second = client.services.create(deployment, version_id=emulator.version_id).wait_until_ready()
    emulator.forget_requests()

    created = _json(run_abejacli(emulator, home, "model", "create-endpoint", "-d", deployment,
                                 "-s", first.service_id, "-c", "default"))  # fmt: skip
    assert isinstance(created, dict) and created["service_id"] == first.service_id
    endpoint_id = created["endpoint_id"]

    described = _json(run_abejacli(emulator, home, "model", "describe-endpoints", "-d", deployment))
    assert described == {"entries": [created]}
    one = _json(run_abejacli(emulator, home, "model", "describe-endpoints", "-d", deployment,
                             "-e", endpoint_id))  # fmt: skip
    assert one == created

    updated = _json(run_abejacli(emulator, home, "model", "update-endpoint", "-d", deployment,
                                 "-s", second.service_id, "-e", endpoint_id))  # fmt: skip
    assert updated == {"message": f"{endpoint_id} updated"}
    assert client.endpoints.get(deployment, "default").service_id == second.service_id

    answer = _json(run_abejacli(emulator, home, "model", "check-endpoint-json", "-d", deployment,
                                "-k", "text", "-v", "hello"))  # fmt: skip
    assert isinstance(answer, dict)
    predicted = [r for r in emulator.requests if r.route == "predict_endpoint"]
    assert [(r.method, r.path) for r in predicted] == [("POST", f"/deployments/{deployment}")]
    assert json.loads(predicted[0].body or b"") == {"text": "hello"}
    assert predicted[0].headers["Host"].startswith(f"{emulator.organization_id}.")
    assert predicted[0].response is not None and json.loads(predicted[0].response) == answer

    routes = [r.route for r in emulator.requests]
    assert routes == [
        "create_endpoint",
        "list_endpoints",
        "get_endpoint",
        "update_endpoint",
        "get_endpoint",  # the test's own read
        "predict_endpoint",
    ]
