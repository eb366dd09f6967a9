"""The emulator on its own: shapes, errors, state machine, handlers, logs, faults, CLI."""

from __future__ import annotations

import base64
import contextlib
import json
import logging
import os
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests
from requests import Session

from abeja.exceptions import BadRequest, InternalServerError, ServiceUnavailable
from abeja.services import ServiceClient
from abeja.services.testing import PredictRequest, ServiceEmulator

from .. import reference_examples as ref


class Raw:
    """Plain requests against the emulator: the SDK is not in the way of what is tested."""

    def __init__(self, emulator: ServiceEmulator) -> None:
        self.emulator = emulator
        self.session = requests.Session()
        self.session.trust_env = False
        self.base = (
            f"{emulator.url}/organizations/{emulator.organization_id}"
            f"/deployments/{emulator.deployment_id}/services"
        )
        self.auth = {"Authorization": f"Bearer {emulator.auth_token}"}

    def __call__(self, method: str, path: str = "", **kwargs: Any) -> requests.Response:
        headers = {**self.auth, **kwargs.pop("headers", {})}
        return self.session.request(method, self.base + path, headers=headers, **kwargs)

    def create(self, **body: Any) -> dict[str, Any]:
        response = self("POST", json={"version_id": self.emulator.version_id, **body})
        assert response.status_code == 200, response.text
        data: dict[str, Any] = response.json()
        return data


@pytest.fixture
def raw(emulator: ServiceEmulator) -> Iterator[Raw]:
    client = Raw(emulator)
    yield client
    client.session.close()


def _same_shape(answer: dict[str, Any], example: dict[str, Any]) -> None:
    for key, value in example.items():
        assert key in answer, key
        assert type(answer[key]) is type(value), key
    for key in ("created_at", "modified_at"):
        if key in example:
            assert answer[key].endswith("Z") and len(answer[key]) == len(example[key])


def test_reference_examples_appear_field_for_field(raw: Raw) -> None:
    created = raw.create(
        models={"alias": "3333333333333"},
        environment={"EXAMPLE_ENV": "abc"},
        min_instance_number=1,
        max_instance_number=2,
        enable_autoscale=True,
    )
    _same_shape(created, ref.CREATE)
    assert created["status"] == "IN_PROGRESS"
    assert created["user_env_vars"] == {"EXAMPLE_ENV": "abc"}
    sid = created["service_id"]
    got = raw("GET", f"/{sid}").json()
    _same_shape(got, ref.GET)
    assert got["status"] == "READY"
    listed = raw("GET").json()
    assert set(listed) == set(ref.LIST)
    _same_shape(listed["entries"][0], ref.LIST["entries"][0])
    updated = raw("PATCH", f"/{sid}", json={"environment": {"EXAMPLE_ENV2": "exmaple2"}}).json()
    _same_shape({**updated, "record_channel_id": "x"}, ref.UPDATE)
    assert updated["merged_env_vars"] == {
        "EXAMPLE_ENV": "deployment_example",
        "EXAMPLE_ENV2": "exmaple2",
    }
    logs = raw("GET", f"/{sid}/recentlogs").json()
    _same_shape(logs, ref.LOGS)
    _same_shape(logs["events"][0], ref.LOGS["events"][0])
    assert raw("POST", f"/{sid}/stop").json() == {"message": f"{sid} stopped"}
    assert raw("POST", f"/{sid}/start").json() == {"message": f"{sid} started"}
    assert raw("DELETE", f"/{sid}").json() == {"message": f"{sid} deleted"}


def test_authentication(raw: Raw, emulator: ServiceEmulator) -> None:
    assert raw("GET", headers={"Authorization": ""}).status_code == 401
    assert raw("GET", headers={"Authorization": "Bearer nope"}).json() == {
        "error": "unauthorized",
        "error_description": "Authentication failed",
    }
    basic = base64.b64encode(b"user-1234567890123:emulator-personal-access-token").decode()
    assert raw("GET", headers={"Authorization": f"Basic {basic}"}).status_code == 200
    wrong = base64.b64encode(b"user-1234567890123:other").decode()
    assert raw("GET", headers={"Authorization": f"Basic {wrong}"}).status_code == 401


def test_not_found(raw: Raw, emulator: ServiceEmulator) -> None:
    url = emulator.url
    auth = raw.auth
    org, dep = emulator.organization_id, emulator.deployment_id
    assert (
        requests.get(f"{url}/organizations/0/deployments/{dep}/services", headers=auth).status_code
        == 404
    )
    answer = requests.get(f"{url}/organizations/{org}/deployments/0/services", headers=auth)
    assert answer.status_code == 404 and answer.json()["error"] == "not_found"
    assert raw("GET", "/ser-none").status_code == 404
    assert raw("PUT").status_code == 405
    assert requests.get(f"{url}/nowhere").status_code == 404


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({}, "version_id is required"),
        ({"version_id": "ver-unknown"}, "not found in deployment"),
        ({"version_id": "V", "instance_number": 0}, "between 1 and"),
        ({"version_id": "V", "instance_number": 65}, "between 1 and"),
        (
            {
                "version_id": "V",
                "instance_number": 3,
                "min_instance_number": 1,
                "max_instance_number": 2,
            },
            "above max",
        ),
        ({"version_id": "V", "min_instance_number": 2}, "below min"),
        ({"version_id": "V", "min_instance_number": 3, "max_instance_number": 2}, "greater"),
        ({"version_id": "V", "instance_number": "2"}, "instance_number must be int"),
        ({"version_id": "V", "enable_autoscale": "true"}, "enable_autoscale must be bool"),
        ({"version_id": "V", "instance_number": True}, "instance_number must be int"),
        ({"version_id": "V", "environment": {"A": 1}}, "strings to strings"),
        ({"version_id": "V", "surprise": 1}, "unknown parameter"),
        ([], "JSON object"),
    ],
)
def test_invalid_create_bodies(
    raw: Raw, emulator: ServiceEmulator, body: Any, message: str
) -> None:
    if isinstance(body, dict) and body.get("version_id") == "V":
        body["version_id"] = emulator.version_id
    answer = raw("POST", json=body)
    assert answer.status_code == 400
    assert answer.json()["error"] == "bad_request"
    assert message in answer.json()["error_description"]
    assert raw("GET").json() == {"entries": []}


def test_non_json_body(raw: Raw) -> None:
    answer = raw("POST", data=b"{nope", headers={"Content-Type": "application/json"})
    assert answer.status_code == 400 and "not valid JSON" in answer.json()["error_description"]


def test_invalid_update_keeps_the_service(raw: Raw) -> None:
    sid = raw.create(instance_number=2)["service_id"]
    answer = raw("PATCH", f"/{sid}", json={"min_instance_number": 5, "max_instance_number": 4})
    assert answer.status_code == 400
    assert raw("PATCH", f"/{sid}", json={"version_id": "x"}).status_code == 400
    assert raw("GET", f"/{sid}").json()["instance_number"] == 2


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


def test_state_machine_with_a_ready_delay() -> None:
    clock = Clock()
    with (
        ServiceEmulator(ready_delay=5, clock=clock) as emulator,
        emulator.client(max_retries=0) as client,
    ):
        service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
        assert service.status == "IN_PROGRESS"
        clock.now += 4.9
        assert service.refresh().status == "IN_PROGRESS"
        with pytest.raises(ServiceUnavailable, match=": service unavailable"):
            service.predict(json={})
        clock.now += 0.1
        assert service.refresh().status == "READY"
        service.update(instance_number=2)
        assert service.refresh().status == "IN_PROGRESS"
        clock.now += 5
        service.stop()
        assert service.refresh().status == "STOPPED"
        with pytest.raises(ServiceUnavailable, match=": service unavailable"):
            service.predict(json={})
        service.start()
        assert service.refresh().status == "IN_PROGRESS"
        clock.now += 5
        ready = service.refresh()
        assert ready.status == "READY"
        assert ready.created_at is not None and ready.created_at.timestamp() == 1_700_000_000.0


def test_injected_failure_leads_to_failed(client: ServiceClient, emulator: ServiceEmulator) -> None:
    service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    emulator.fail_service(service.service_id, "out of memory")
    assert service.refresh().status == "FAILED"
    assert any("FAILED: out of memory" in line for line in emulator.logs_of(service.service_id))
    with pytest.raises(BadRequest, match="not running"):
        service.stop()
    service.start()
    assert service.refresh().status == "READY"


def test_handler_sees_the_request_and_its_answer_goes_back(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    seen: dict[str, Any] = {}

    def handler(request: PredictRequest, context: Any) -> dict[str, Any]:
        seen.update(
            http_method=request["http_method"],
            content_type=request["content_type"],
            header=request["http_headers"]["X-Custom"],
            authorization="authorization" in request["http_headers"],
            body=request.read(),
            context=context,
            deployment=os.environ["ABEJA_DEPLOYMENT_ID"],
            service=os.environ["ABEJA_SERVICE_ID"],
            environment=(os.environ["DEP"], os.environ["SVC"]),
        )
        return {"status_code": 201, "content_type": "application/json", "content": [[1, 2]]}

    emulator.add_deployment("555", {"ver-h": handler}, environment={"DEP": "1"})
    service = client.services.create("555", version_id="ver-h", environment={"SVC": "2"})
    answer = requests.post(
        f"{emulator.service_url_template.format(organization_id=emulator.organization_id)}"
        f"/deployments/555/services/{service.service_id}",
        data=b'{"q":"x"}',
        headers={
            "Authorization": f"Bearer {emulator.auth_token}",
            "X-Custom": "yes",
            "Content-Type": "application/json",
        },
        timeout=10,
    )
    assert answer.status_code == 201 and answer.json() == [1, 2]
    assert answer.headers["x-abeja-sys-meta-runtime-version"] == "1.1.1"
    assert seen == {
        "http_method": "POST",
        "content_type": "application/json",
        "header": "yes",
        "authorization": False,
        "body": b'{"q":"x"}',
        "context": {},
        "deployment": "555",
        "service": service.service_id,
        "environment": ("1", "2"),
    }
    assert "ABEJA_SERVICE_ID" not in os.environ  # only the handler's thread saw them
    assert answer.headers["X-Abeja-Deployment-Id"] == "555"
    assert answer.headers["X-Abeja-Service-Id"] == service.service_id
    assert answer.headers["X-Abeja-Model-Version"]


@pytest.mark.parametrize(
    ("content", "content_type", "body"),
    [  # without a content type, as the runtime: text/plain, values written by its rules
        ({"a": 1}, "text/plain", b'{"a": 1}'),
        ([{"a": 1}, {"a": 2}], "text/plain", b'{"a": 1}\n{"a": 2}'),  # JSON Lines
        ("héllo", "text/plain", "héllo".encode()),
        ([b"\x00", b"\xff"], "text/plain", b"\x00\xff"),  # bytes parts, concatenated
        (b"\x00\xff", "text/plain", b"0\n255"),  # bare bytes iterate as integers
    ],
)
def test_handler_content_kinds(
    client: ServiceClient, emulator: ServiceEmulator, content: Any, content_type: str, body: bytes
) -> None:
    emulator.add_deployment("556", {"ver-k": lambda request, context: {"content": content}})
    service = client.services.create("556", version_id="ver-k")
    answer = service.predict(data=b"")
    assert answer.content == body
    assert answer.content_type == content_type


def test_handler_output_and_errors_go_to_the_logs(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    def handler(request: PredictRequest, context: Any) -> dict[str, Any]:
        print("printed by the model")
        logging.getLogger("my.model").warning("logged by the model")
        if json.loads(request.read()).get("boom"):
            raise RuntimeError("model exploded")
        return {"status_code": 200, "content_type": "application/json", "content": {}}

    emulator.add_deployment("557", {"ver-l": handler})
    service = client.services.create("557", version_id="ver-l")
    service.predict(json={})
    with pytest.raises(InternalServerError) as caught:
        service.predict(json={"boom": True})
    # As the platform: the client gets the runtime's message, the traceback goes to the log.
    assert caught.value.error_description == "unexpected error occurred"
    assert "model exploded" not in str(caught.value)
    lines = emulator.logs_of(service.service_id, deployment_id="557")
    assert "printed by the model" in lines
    assert "WARNING:my.model:logged by the model" in lines
    assert "ERROR: unexpected error occurred in user model." in lines
    assert any("RuntimeError: model exploded" in line for line in lines)
    assert any(line.startswith("Traceback") for line in lines)
    assert (
        sum(" 200 " in line for line in lines) == 1 and sum(" 500 " in line for line in lines) == 1
    )
    messages = [event.message for event in service.logs()]
    assert "printed by the model" in messages


def test_predict_on_the_real_hosts_route(emulator: ServiceEmulator, raw: Raw) -> None:
    sid = raw.create()["service_id"]
    answer = requests.post(
        f"{emulator.url}/deployments/{emulator.deployment_id}/services/{sid}",
        json={"x": 1},
        headers={**raw.auth, "Host": f"{emulator.organization_id}.api.abeja.io"},
    )
    assert answer.json() == {"echo": {"x": 1}, "model_version": "0.0.1"}
    unknown = requests.post(
        f"{emulator.url}/deployments/{emulator.deployment_id}/services/{sid}",
        json={},
        headers={**raw.auth, "Host": "2222.api.abeja.io"},
    )
    assert unknown.status_code == 404
    assert requests.get(f"{emulator.url}/health_check").json() == {"status": "ok"}


def _all_logs(raw: Raw, sid: str, **params: str) -> tuple[list[str], dict[str, Any]]:
    messages: list[str] = []
    page = raw("GET", f"/{sid}/recentlogs", params=params).json()
    while page["events"]:
        messages += [e["message"] for e in page["events"]]
        page = raw(
            "GET", f"/{sid}/recentlogs", params={"next_backward_token": page["next_backward_token"]}
        ).json()
    return messages, page


def test_logs_pages_newest_first_and_ends_with_the_same_token(raw: Raw) -> None:
    raw.emulator.log_page_size = 3
    sid = raw.create()["service_id"]
    for i in range(8):
        raw.emulator.add_log_line(sid, f"line {i}")
    messages, last = _all_logs(raw, sid)
    assert messages[:8] == [f"line {i}" for i in reversed(range(8))]
    assert len(messages) == len(raw.emulator.logs_of(sid))
    again = raw(
        "GET", f"/{sid}/recentlogs", params={"next_backward_token": last["next_backward_token"]}
    ).json()
    assert again["events"] == [] and again["next_backward_token"] == last["next_backward_token"]


def test_logs_forward_token_waits_for_new_events(raw: Raw, emulator: ServiceEmulator) -> None:
    sid = raw.create()["service_id"]
    head = raw("GET", f"/{sid}/recentlogs").json()
    token = head["next_forward_token"]
    quiet = raw("GET", f"/{sid}/recentlogs", params={"next_forward_token": token}).json()
    assert quiet["events"] == [] and quiet["next_forward_token"] == token
    emulator.add_log_line(sid, "new one")
    emulator.add_log_line(sid, "newer one")
    fresh = raw("GET", f"/{sid}/recentlogs", params={"next_forward_token": token}).json()
    assert [e["message"] for e in fresh["events"]] == ["newer one", "new one"]
    assert fresh["next_forward_token"] != token


def test_logs_filtered_by_time(raw: Raw, emulator: ServiceEmulator) -> None:
    sid = raw.create()["service_id"]
    emulator.clear_logs(sid)
    for i, ts in enumerate((1_600_000_000, 1_600_000_100, 1_600_000_200)):
        emulator.add_log_line(sid, f"at {i}", at=ts)
    page = raw(
        "GET",
        f"/{sid}/recentlogs",
        params={"start_time": "2020-09-13T12:28:00Z", "end_time": "2020-09-13T12:29:00Z"},
    ).json()
    assert [e["message"] for e in page["events"]] == ["at 1"]
    bad = raw("GET", f"/{sid}/recentlogs", params={"start_time": "yesterday"})
    assert bad.status_code == 400
    assert raw("GET", f"/{sid}/recentlogs", params={"next_backward_token": "x"}).status_code == 400


def test_faults_through_the_control_endpoint(raw: Raw, emulator: ServiceEmulator) -> None:
    control = f"{emulator.url}/_emulator"
    plane = Session()  # every control request carries the emulator's secret, as JSON
    plane.headers.update(emulator.control_headers())
    added = plane.post(
        f"{control}/faults", json={"route": "list", "status": 429, "retry_after": "3", "times": 2}
    )
    assert added.status_code == 200
    first = raw("GET")
    assert first.status_code == 429 and first.headers["Retry-After"] == "3"
    assert raw("GET").status_code == 429
    assert raw("GET").status_code == 200
    plane.post(f"{control}/faults", json={"route": "list", "status": 502, "html": True})
    html = raw("GET")
    assert html.status_code == 502 and html.headers["Content-Type"] == "text/html"
    assert plane.get(f"{control}/counters").json() == {"list": 4}
    served = plane.get(f"{control}/requests").json()["requests"]
    assert [s["status"] for s in served] == [429, 429, 200, 502]
    plane.post(f"{control}/faults", json={"route": "list", "status": 500, "times": None})
    plane.delete(f"{control}/faults")
    assert raw("GET").status_code == 200
    assert plane.post(f"{control}/faults", json={"route": "nope"}).status_code == 400
    assert plane.post(f"{control}/faults", json={"bogus": 1}).status_code == 400
    plane.post(f"{control}/deployments", json={"deployment_id": "888", "versions": ["ver-x"]})
    assert emulator.deployment_versions("888") == ["ver-x"]
    sid = raw.create()["service_id"]
    assert plane.post(f"{control}/services/{sid}/fail").status_code == 200
    assert raw("GET", f"/{sid}").json()["status"] == "FAILED"
    plane.post(f"{control}/reset")
    assert raw("GET").json() == {"entries": []}


def test_dropped_connection_and_latency(raw: Raw, emulator: ServiceEmulator) -> None:
    emulator.inject("list", drop=True)
    with pytest.raises(requests.ConnectionError):
        raw("GET")
    emulator.inject("list", delay=0.2)
    with pytest.raises(requests.ReadTimeout):
        raw("GET", timeout=0.05)
    assert raw("GET").status_code == 200
    assert emulator.count("list") == 3


def test_reset_forgets_services_and_the_request_log(raw: Raw, emulator: ServiceEmulator) -> None:
    raw.create()
    emulator.inject("get", status=500, times=None)
    emulator.reset()
    assert emulator.count() == 0
    assert raw("GET").json() == {"entries": []}
    assert emulator.deployment_versions(emulator.deployment_id) == [emulator.version_id]


def test_32_concurrent_keep_alive_clients(emulator: ServiceEmulator) -> None:
    barrier = threading.Barrier(32)
    failures: list[BaseException] = []

    def work() -> None:
        try:
            with emulator.client() as client:
                barrier.wait(5)
                for _ in range(5):
                    client.services.list(emulator.deployment_id)
        except BaseException as error:  # pragma: no cover - reported below
            failures.append(error)

    threads = [threading.Thread(target=work) for _ in range(32)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert emulator.count("list") == 160
    assert len({r.peer for r in emulator.requests}) == 32


def test_env_points_a_client_at_it(
    emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    env = emulator.env()
    assert env["ABEJA_SERVICE_URL_TEMPLATE"].endswith("/o/{organization_id}")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with ServiceClient() as client:
        service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
        assert service.predict(json=1).json()["echo"] == 1


def test_fixtures_give_a_ready_client(
    abeja_client: ServiceClient, abeja_emulator: ServiceEmulator
) -> None:
    abeja_emulator.inject("list", status=503)
    assert abeja_client.services.list(abeja_emulator.deployment_id).entries == []
    assert abeja_emulator.count("list") == 2


def test_command_line_serves_and_prints_the_environment(tmp_path: Any) -> None:
    (tmp_path / "my_model.py").write_text(
        "def handler(request, context):\n"
        "    return {'status_code': 200, 'content_type': 'text/plain', 'content': 'custom'}\n"
    )
    env = {**os.environ, "PYTHONPATH": str(tmp_path)}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "abeja.services.testing",
            "--port",
            "0",
            "--ready-delay",
            "0",
            "--deployment",
            "4444=ver-a,ver-b",
            "--handler",
            "my_model:handler",
        ],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert process.stdout is not None
        assert process.stdout.readline().startswith(
            "ABEJA Service API emulator on http://127.0.0.1:"
        )
        exported = dict(
            process.stdout.readline().removeprefix("export ").strip().split("=", 1)
            for _ in range(4)
        )
        template = exported["ABEJA_SERVICE_URL_TEMPLATE"].strip("'")
        client = ServiceClient(
            exported["ABEJA_ORGANIZATION_ID"],
            base_url=exported["ABEJA_API_URL"],
            credential={"auth_token": exported["PLATFORM_AUTH_TOKEN"]},
            service_url_template=template,
        )
        with client:
            service = client.services.create("4444", version_id="ver-b")
            assert service.predict(json={}).text == "custom"
            assert json.loads(service.model_dump_json())["model_version_id"] == "ver-b"
    finally:
        process.terminate()
        process.wait(10)
        if process.stdout is not None:
            process.stdout.close()


def test_command_line_rejects_a_bad_handler() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "abeja.services.testing", "--handler", "nope"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "module:function" in result.stderr


def _command(*args: str, cwd: Path | None = None) -> subprocess.Popen[str]:
    """The console script (its sys.path does not start with the current directory)."""
    script = Path(sys.executable).parent / "abeja-service-emulator"
    assert script.exists()
    return subprocess.Popen(
        [str(script), "--port", "0", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=cwd,
    )


def test_command_line_loads_a_handler_from_the_current_directory_and_prints_the_ids(
    tmp_path: Path,
) -> None:
    (tmp_path / "my_model.py").write_text(
        "def handler(request, context):\n"
        "    return {'status_code': 200, 'content_type': 'text/plain', 'content': 'mine'}\n"
    )
    process = _command("--handler", "my_model:handler", "--deployment", "4545=ver-m", cwd=tmp_path)
    try:
        assert process.stdout is not None
        lines: list[str] = []
        while len(lines) < 30 and lines[-1:] != ["# deployment 4545: versions ver-m\n"]:
            lines.append(process.stdout.readline())
        assert "# deployment 4545: versions ver-m\n" in lines
        assert any(line.startswith("#   export ABEJA_CLI_ORGANIZATION=") for line in lines)
        assert any(line.startswith("#   export HTTP_PROXY=http://127.0.0.1:") for line in lines)
    finally:
        process.terminate()
        process.wait(10)
        for stream in (process.stdout, process.stderr):
            if stream is not None:
                stream.close()


def test_command_line_says_plainly_when_the_port_is_taken(emulator: ServiceEmulator) -> None:
    port = emulator.url.rsplit(":", 1)[1]
    result = subprocess.run(
        [sys.executable, "-m", "abeja.services.testing", "--port", port],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and f"cannot listen on 127.0.0.1:{port}" in result.stderr
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("spec", ["../x=ver-a", "4545=ver a", "4545=..", "a/b=v"])
def test_command_line_refuses_malformed_deployments(spec: str) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "abeja.services.testing", "--deployment", spec],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "--deployment" in result.stderr


@contextlib.contextmanager
def _serving(handler: str, folder: Path) -> Iterator[tuple[subprocess.Popen[str], ServiceClient]]:
    """The emulator command serving ``handler`` from ``folder``, and a client of it."""
    process = _command("--handler", handler, "--ready-delay", "0", cwd=folder)
    try:
        assert process.stdout is not None
        url = process.stdout.readline().split(" on ", 1)[1].strip()
        with ServiceClient(
            "1111111111111", base_url=url, credential={"auth_token": "emulator-token"},
            service_url_template=url + "/o/{organization_id}",
        ) as client:  # fmt: skip
            yield process, client
    finally:
        process.terminate()
        process.communicate(timeout=10)


def test_the_command_imports_a_handler_in_the_services_environment_when_it_starts(
    tmp_path: Path,
) -> None:
    """Module-level code sees the service's variables (as on the platform), not the shell's:
    the command does not import the handler at start."""
    (tmp_path / "env_model.py").write_text(
        "import os\n"
        "SEEN = os.environ.get('EXAMPLE_ENV')\n"
        "def handler(request, context):\n"
        "    return {'status_code': 200, 'content_type': 'application/json',\n"
        "            'content': {'seen': SEEN}}\n"
    )
    with _serving("env_model:handler", tmp_path) as (_, client):
        service = client.services.create("9999999999999", version_id="ver-abc3333333333333")
        service = service.wait_until_ready(timeout=10, poll_interval=0.05)
        assert service.model_version == "0.0.1"  # --handler does not renumber it
        assert service.predict(json={}).json() == {"seen": "deployment_example"}


def test_a_handler_that_fails_to_import_fails_its_service_not_the_command(
    tmp_path: Path,
) -> None:
    (tmp_path / "broken_model.py").write_text("raise RuntimeError('weights not found')\n")
    with _serving("broken_model:handler", tmp_path) as (process, client):
        service = client.services.create("9999999999999", version_id="ver-abc3333333333333")
        service = service.wait_until_ready(timeout=10, poll_interval=0.05)
        with pytest.raises(ServiceUnavailable):
            service.predict(json={})
        assert service.refresh().status == "FAILED"
        messages = [e.message for e in service.iter_logs()]
        assert any("weights not found" in m for m in messages)
        assert any("Traceback" in m for m in messages)
        assert process.poll() is None  # the command still serves
