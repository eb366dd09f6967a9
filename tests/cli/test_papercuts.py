"""Small things a newcomer trips on in the first hour: an empty table, help without examples,
a usage line naming another command, ``--api-url`` that leaves predictions behind, errors
that hide the host or print as reprs. The real command against the emulator."""

from __future__ import annotations

import json
import socket
import subprocess

import pytest

from abeja.exceptions import APIConnectionError, Unauthorized
from abeja.services import RolloutEvent, ServiceClient
from abeja.services.testing import ServiceEmulator

from .test_commands import COMMAND, run


@pytest.fixture
def emulator() -> ServiceEmulator:
    with ServiceEmulator() as running:
        yield running  # type: ignore[misc]


def test_an_empty_table_says_so(emulator: ServiceEmulator) -> None:
    shown = run(emulator, "-o", "table", "list", emulator.deployment_id)
    assert shown.returncode == 0 and shown.stdout.strip() == "(none)"


@pytest.mark.parametrize(
    ("command", "example"),
    [
        (["emulator", "--help"], "abeja-services emulator --port 8080"),
        (["endpoints", "--help"], "abeja-services endpoints create 9999999999999"),
    ],
)
def test_the_help_of_emulator_and_endpoints_has_examples(command: list[str], example: str) -> None:
    shown = subprocess.run([*COMMAND, *command], capture_output=True, text=True, check=False)
    assert shown.returncode == 0 and example in shown.stdout
    assert "abeja-service-emulator" not in shown.stdout  # the command as typed


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def test_api_url_moves_the_prediction_host_set_with_it(emulator: ServiceEmulator) -> None:
    """The variables point at an emulator that is gone; --api-url at the running one."""
    with emulator.client() as client:
        service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
        service.wait_until_ready()
    gone = f"http://127.0.0.1:{_free_port()}"
    stale = {"ABEJA_API_URL": gone, "ABEJA_SERVICE_URL_TEMPLATE": gone + "/o/{organization_id}"}
    answered = run(emulator, "--api-url", emulator.url, "predict", emulator.deployment_id,
                   service.service_id, "--json", '{"a": 1}', env=stale)  # fmt: skip
    assert answered.returncode == 0, answered.stderr
    assert '"a": 1' in answered.stdout


def test_a_prediction_error_shows_the_whole_url(emulator: ServiceEmulator) -> None:
    emulator.inject("predict", status=400, body=b'{"error": "bad", "error_description": "no"}')
    with emulator.client() as client:
        service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
        service.wait_until_ready()
    failed = run(emulator, "predict", emulator.deployment_id, service.service_id, "--json", "{}")
    assert f"on POST {emulator.url}/o/" in failed.stderr  # the host too: not the API's


def test_the_sdks_connection_errors_say_which_setting_to_check(emulator: ServiceEmulator) -> None:
    gone = f"http://127.0.0.1:{_free_port()}"
    with ServiceClient(emulator.organization_id, base_url=gone, credential=emulator.credential,
                       service_url_template=gone + "/p/{organization_id}",
                       max_retries=0) as client:  # fmt: skip
        with pytest.raises(APIConnectionError, match="ABEJA_API_URL"):
            client.services.list(emulator.deployment_id)
        with pytest.raises(APIConnectionError, match="ABEJA_SERVICE_URL_TEMPLATE"):
            client.services.predict(emulator.deployment_id, "ser-abc1111111111111", json={})


def test_rollout_lines_show_errors_as_sentences_not_reprs(emulator: ServiceEmulator) -> None:
    with emulator.client(max_retries=0) as client:
        old = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
        client.endpoints.create(emulator.deployment_id, service_id=old.wait_until_ready())
        emulator.inject("predict", status=500, body=b'{"status": "unexpected error occurred"}')
        events: list[RolloutEvent] = []
        report = client.rollouts.run(
            emulator.deployment_id, version_id=emulator.version_id, smoke=[{"json": {}}],
            bake=0, on_event=events.append,
        )  # fmt: skip
    assert report.outcome == "rolled_back"
    assert "<" not in (report.reason or "") and "500 POST http" in (report.reason or "")
    assert not any("<InternalServerError" in e.message for e in events)


def test_a_rollout_with_no_endpoint_yet_says_how_to_create_the_first(
    emulator: ServiceEmulator,
) -> None:
    failed = run(emulator, "rollout", emulator.deployment_id, "--version", emulator.version_id)
    assert failed.returncode == 6  # not found, nothing changed
    command = f"abeja-services endpoints create {emulator.deployment_id} --service-id SERVICE_ID"
    assert command in failed.stderr


def test_query_and_text_output_give_bare_values_for_the_shell(emulator: ServiceEmulator) -> None:
    made = run(emulator, "create", emulator.deployment_id, "--version-id", emulator.version_id,
               "--query", "service_id", "-o", "text")  # fmt: skip
    service_id = made.stdout.strip()
    assert made.returncode == 0 and service_id.startswith("ser-")
    listed = run(emulator, "list", emulator.deployment_id, "--query", "entries[].service_id")
    assert json.loads(listed.stdout) == [service_id]
    bad = run(emulator, "list", emulator.deployment_id, "--query", "[[[")
    assert bad.returncode == 2 and "--query" in bad.stderr


def test_the_sdks_401_says_the_credential_was_refused(emulator: ServiceEmulator) -> None:
    wrong = {"auth_token": "wrong-token"}
    with (
        ServiceClient(emulator.organization_id, base_url=emulator.url, credential=wrong,
                      max_retries=0) as client,
        pytest.raises(Unauthorized) as raised,
    ):  # fmt: skip
        client.services.list(emulator.deployment_id)
    assert "the credential was refused" in str(raised.value)
    assert (
        "wrong-token" not in str(raised.value) and "refused" not in raised.value.error_description
    )
