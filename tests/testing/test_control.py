"""The control plane (``/_emulator/...``) trusts only the developer's own programs, checks
every input (a 400 with a reason, never a dropped connection), and the emulator's
constructor checks its arguments as its setters do."""

from __future__ import annotations

import json
import math

import pytest
import requests

from abeja.services import ServiceClient
from abeja.services.testing import ServiceEmulator


def _control(emulator: ServiceEmulator, path: str, **options: object) -> requests.Response:
    return requests.request(
        str(options.pop("method", "POST")),
        f"{emulator.url}/_emulator/{path}",
        timeout=10,
        **options,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("why", "headers"),
    [
        ("no secret", {"Content-Type": "application/json"}),
        ("a wrong secret", {"Content-Type": "application/json", "X-Abeja-Emulator-Secret": "x"}),
        ("text/plain, as a web page's form would send", {"Content-Type": "text/plain"}),
    ],
)
def test_a_reset_without_the_secret_or_as_text_is_refused(
    emulator: ServiceEmulator, client: ServiceClient, why: str, headers: dict[str, str]
) -> None:
    if "plain" in why:
        headers = {**headers, "X-Abeja-Emulator-Secret": emulator.control_secret}
    created = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    answer = _control(emulator, "reset", headers=headers, data="{}")
    assert answer.status_code in (403, 415), why
    assert client.services.get(emulator.deployment_id, created.service_id)  # still there


def test_a_control_request_for_another_host_name_is_refused(emulator: ServiceEmulator) -> None:
    headers = {**emulator.control_headers(), "Host": "attacker.example"}
    answer = _control(emulator, "faults", headers=headers, json={"route": "*", "status": 500})
    assert answer.status_code == 403
    assert _control(emulator, "counters", method="GET", headers=emulator.control_headers()).ok


@pytest.mark.parametrize(
    "spec",
    [
        {"route": "*", "times": "x"},
        {"route": "*", "times": 0},
        {"route": "*", "status": "500"},
        {"route": "*", "status": 999},
        '{"route": "*", "delay": Infinity}',
        {"route": "*", "delay": -1},
        {"route": "*", "drop": "yes"},
        {"route": "*", "headers": {"a": 1}},
        {"route": "*", "informational": 200},
        {"route": "nope"},
        {"bogus": 1},
        ["not", "an", "object"],
    ],
)
def test_a_bad_fault_is_a_400_and_nothing_is_injected(
    emulator: ServiceEmulator, client: ServiceClient, spec: object
) -> None:
    body = spec.encode() if isinstance(spec, str) else json.dumps(spec).encode()
    answer = _control(emulator, "faults", headers=emulator.control_headers(), data=body)
    assert answer.status_code == 400
    assert answer.json()["error"] == "bad_request"
    assert client.services.list(emulator.deployment_id).entries == []  # no fault in force


def test_the_documented_json_body_field_is_answered(
    emulator: ServiceEmulator, client: ServiceClient
) -> None:
    spec = {"route": "list", "status": 503, "body": '{"error": "x", "error_description": "y"}'}
    assert _control(emulator, "faults", headers=emulator.control_headers(), json=spec).ok
    answer = requests.get(
        f"{emulator.url}/organizations/{emulator.organization_id}/deployments/"
        f"{emulator.deployment_id}/services",
        headers={"Authorization": f"Bearer {emulator.auth_token}"},
        timeout=10,
    )
    assert answer.status_code == 503
    assert answer.json() == {"error": "x", "error_description": "y"}


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"[]",
        json.dumps({"deployment_id": 5}).encode(),
        json.dumps({"deployment_id": "../x"}).encode(),
        json.dumps({"deployment_id": "1", "versions": "ver-a"}).encode(),
        json.dumps({"deployment_id": "1", "versions": [1]}).encode(),
        json.dumps({"deployment_id": "1", "environment": {"A": 1}}).encode(),
        json.dumps({"deployment_id": "1", "organization_id": "a.b"}).encode(),
        json.dumps({"deployment_id": "1", "extra": True}).encode(),
    ],
)
def test_a_malformed_deployment_is_a_400_with_a_reason(
    emulator: ServiceEmulator, body: bytes
) -> None:
    answer = _control(emulator, "deployments", headers=emulator.control_headers(), data=body)
    assert answer.status_code == 400
    assert answer.json()["error_description"]


@pytest.mark.parametrize(
    ("options", "error"),
    [
        ({"log_page_size": 0}, ValueError),
        ({"log_page_size": 1.5}, TypeError),
        ({"ready_delay": math.nan}, ValueError),
        ({"ready_delay": math.inf}, ValueError),
        ({"ready_delay": -1}, ValueError),
    ],
)
def test_the_constructor_checks_its_arguments_like_the_setters(
    emulator: ServiceEmulator, options: dict[str, object], error: type[Exception]
) -> None:
    with pytest.raises(error):
        ServiceEmulator(**options)  # type: ignore[arg-type]
    name, value = next(iter(options.items()))
    with pytest.raises(error):
        setattr(emulator, name, value)


def test_the_command_prints_the_secret_and_takes_one(free_port: int) -> None:
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "abeja.services.testing", "--port", str(free_port),
         "--control-secret", "s3cret-for-test"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        assert process.stdout is not None
        lines = [process.stdout.readline()]
        while len(lines) < 40 and not lines[-1].startswith("# control plane"):
            lines.append(process.stdout.readline())
        assert "X-Abeja-Emulator-Secret: s3cret-for-test" in lines[-1]
        url = f"http://127.0.0.1:{free_port}/_emulator/counters"
        assert requests.get(url, timeout=10).status_code == 403
        ok = requests.get(url, headers={"X-Abeja-Emulator-Secret": "s3cret-for-test"}, timeout=10)
        assert ok.status_code == 200
    finally:
        process.terminate()
        process.communicate(timeout=10)
