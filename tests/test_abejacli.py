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


def test_abejacli_service_commands_work_against_the_emulator(
    emulator: ServiceEmulator, client: ServiceClient, home: Path
) -> None:
    deployment = emulator.deployment_id
    created = _json(run_abejacli(emulator, home, "model", "create-service", "-d", deployment,
                                 "-v", emulator.version_id, "-e", "MODE:test",
                                 "--instance-number", "2"))  # fmt: skip
    assert isinstance(created, dict)
    sid = created["service_id"]
    assert created["instance_number"] == 2 and created["user_env_vars"] == {"MODE": "test"}

    listed = _json(run_abejacli(emulator, home, "model", "describe-services", "-d", deployment))
    assert isinstance(listed, dict) and [s["service_id"] for s in listed["entries"]] == [sid]
    one = _json(run_abejacli(emulator, home, "model", "describe-services", "-d", deployment,
                             "-s", sid))  # fmt: skip
    assert isinstance(one, dict) and one["service_id"] == sid

    emulator.add_log_line(sid, "hello from the handler")
    logs = _json(run_abejacli(emulator, home, "model", "describe-service-logs", "-d", deployment,
                              "-s", sid))  # fmt: skip
    assert isinstance(logs, dict)
    assert "hello from the handler" in [e["message"] for e in logs["events"]]
    assert "next_token" in logs

    stopped = _json(run_abejacli(emulator, home, "model", "stop-service", "-d", deployment,
                                 "-s", sid))  # fmt: skip
    assert stopped == {"message": f"{sid} stopped"}
    assert client.services.get(deployment, sid).status == "STOPPED"
    started = _json(run_abejacli(emulator, home, "model", "start-service", "-d", deployment,
                                 "-s", sid))  # fmt: skip
    assert started == {"message": f"{sid} started"}
    client.services.wait_until_ready(deployment, sid, timeout=30, poll_interval=0.05)

    client.endpoints.create(deployment, service_id=sid)
    answer = _json(run_abejacli(emulator, home, "model", "check-endpoint-json", "-d", deployment,
                                "-s", sid, "-k", "text", "-v", "hi"))  # fmt: skip
    assert isinstance(answer, dict)
    predicted = [r for r in emulator.requests if r.route == "predict"]
    assert [r.path for r in predicted] == [f"/deployments/{deployment}/services/{sid}"]

    client.endpoints.delete(deployment, "default")
    deleted = _json(run_abejacli(emulator, home, "model", "delete-service", "-d", deployment,
                                 "-s", sid))  # fmt: skip
    assert deleted == {"message": f"{sid} deleted"}
    assert client.services.list(deployment).entries == []


def test_the_log_route_abejacli_reads_pages_with_next_token(
    emulator: ServiceEmulator, client: ServiceClient, home: Path
) -> None:
    service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    emulator.log_page_size = 2
    for number in range(5):
        emulator.add_log_line(service.service_id, f"line {number}")
    seen: list[str] = []
    token: str | None = None
    for _ in range(10):
        args = ["model", "describe-service-logs", "-d", emulator.deployment_id,
                "-s", service.service_id]  # fmt: skip
        page = _json(
            run_abejacli(emulator, home, *args, *(["--next_token", token] if token else []))
        )
        assert isinstance(page, dict)
        if not page["events"]:
            break
        seen += [e["message"] for e in page["events"]]
        token = page["next_token"]
    assert [m for m in seen if m.startswith("line ")] == [f"line {n}" for n in range(4, -1, -1)]


def test_abejacli_create_deployment_version_from_a_folder_then_we_predict_through_it(
    emulator: ServiceEmulator, client: ServiceClient, home: Path, tmp_path: Path
) -> None:
    """abejacli archives the folder it runs in (without .git) and PUTs it to the link the
    emulator answers; the version it made serves that folder's handler to our client."""
    from .managers.test_versions import model_folder

    folder = model_folder(tmp_path / "code", "weights-from-abejacli")
    created = _json(run_abejacli(
        emulator, home, "model", "create-deployment-version", "-d", emulator.deployment_id,
        "-v", "1.2.3", "-i", "abeja-inc/all-cpu:19.10", "-h", "predict:handler",
        "--user-parameters", "GREETING:hello", cwd=folder,
    ))  # fmt: skip
    assert isinstance(created, dict) and created["version"] == "1.2.3"
    upload = [r for r in emulator.requests if r.route == "upload_archive"]
    assert len(upload) == 1 and "Authorization" not in upload[0].headers
    got = client.versions.get(emulator.deployment_id, created["version_id"])
    assert got.handler == "predict:handler" and got.user_parameters == {"GREETING": "hello"}
    service = client.services.create(emulator.deployment_id, version_id=got.version_id)
    answer = service.wait_until_ready().predict(json={}).json()
    assert answer == {"model": "weights-from-abejacli", "greeting": "hello", "cwd_has_model": True}
