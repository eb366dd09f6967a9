"""Per-call options (with_options), raw HTTP answers beside models, and the ABEJA_LOG switch."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from abeja.exceptions import APITimeoutError
from abeja.services import RawResponse, Service, ServiceClient
from abeja.services.testing import ServiceEmulator


def test_with_options_changes_one_copy_and_shares_the_connections(
    client: ServiceClient, emulator: ServiceEmulator, service: Service
) -> None:
    fast = client.with_options(timeout=0.05, max_retries=0, extra_headers={"X-Tenant": "t1"})
    assert (fast.timeout, fast.max_retries) == (0.05, 0)
    assert (client.timeout, client.max_retries) == (30.0, 5)
    fast.services.get(emulator.deployment_id, service.service_id)
    client.services.get(emulator.deployment_id, service.service_id)
    first, second = emulator.requests
    assert first.headers.get("X-Tenant") == "t1" and "X-Tenant" not in second.headers
    assert first.peer == second.peer  # one pool: the copy's connection was reused
    emulator.inject("get", delay=0.5)
    with pytest.raises(APITimeoutError):
        fast.services.get(emulator.deployment_id, service.service_id)
    assert emulator.count("get") == 3  # max_retries=0: one attempt
    fast.close()  # the copy leaves the connections to the original
    client.services.get(emulator.deployment_id, service.service_id)


@pytest.mark.parametrize(
    "headers", [{"X-A": "a\r\nInjected: 1"}, {"Bad Name": "x"}, {"X-A": 1}, ["X-A"]]
)
def test_extra_headers_that_could_forge_a_header_line_are_refused(
    client: ServiceClient, headers: object
) -> None:
    with pytest.raises((TypeError, ValueError)):
        client.with_options(extra_headers=headers)  # type: ignore[arg-type]


def test_raw_response_shows_the_http_answer_beside_the_model(
    client: ServiceClient, emulator: ServiceEmulator, service: Service
) -> None:
    raw = client.services.with_raw_response.get(emulator.deployment_id, service.service_id)
    assert isinstance(raw, RawResponse) and isinstance(raw.parsed, Service)
    assert raw.status_code == 200 and raw.elapsed > 0
    assert raw.headers["Content-Type"] == "application/json"
    assert raw.request_id == emulator.requests[-1].request_id
    listed = client.services.list(emulator.deployment_id)
    assert listed.http_response is not None
    assert listed.http_response.request_id == emulator.requests[-1].request_id
    assert listed[0].http_response is None  # nested in the list's answer
    predicted = client.services.with_raw_response.predict(
        emulator.deployment_id, service.service_id, json={"a": 1}
    )
    assert predicted.parsed.json()["echo"] == {"a": 1}
    assert predicted.request_id == emulator.requests[-1].request_id
    with pytest.raises(AttributeError, match="wait_until_ready"):
        client.services.with_raw_response.wait_until_ready  # type: ignore[attr-defined]  # noqa: B018


def _run_with_log(
    level: str, emulator: ServiceEmulator, code: str
) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **emulator.env(), "ABEJA_LOG": level}
    return subprocess.run(
        [sys.executable, "-c", code], env=env, capture_output=True, text=True, timeout=60
    )


def test_abeja_log_turns_on_one_line_per_attempt_and_per_retry_decision(
    emulator: ServiceEmulator,
) -> None:
    emulator.inject("list", status=503, times=1)
    code = (
        "from abeja.services import ServiceClient\nServiceClient().services.list('9999999999999')\n"
    )
    done = _run_with_log("debug", emulator, code)
    assert done.returncode == 0, done.stderr
    lines = [line for line in done.stderr.splitlines() if "abeja.services" in line]
    path = "/organizations/1111111111111/deployments/9999999999999/services"
    assert any(f"DEBUG GET {path} -> 503 (attempt 1," in line for line in lines)
    assert any("INFO retrying GET" in line and "after 503: waiting" in line for line in lines)
    assert any(f"GET {path} -> 200 (attempt 2," in line for line in lines)
    request_ids = {r.request_id for r in emulator.requests}
    assert any(rid in done.stderr for rid in request_ids)
    assert emulator.auth_token not in done.stderr
    quiet = _run_with_log("info", emulator, code)
    assert "DEBUG" not in quiet.stderr
    wrong = _run_with_log("loud", emulator, code)
    assert wrong.returncode != 0 and "ABEJA_LOG='loud'" in wrong.stderr
