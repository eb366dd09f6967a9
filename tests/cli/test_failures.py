"""What a person sees when a command fails: one line in CLI terms (the ``--flag`` or the
variable to set, the request and its id; never a repr, ``ServiceClient(...)`` or a pydantic
dump) and an exit status of its own per kind of failure, checked against the emulator."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from abeja.services.cli import main
from abeja.services.cli._failures import (
    EXIT_AUTH,
    EXIT_CONFLICT,
    EXIT_ERROR,
    EXIT_NOT_FOUND,
    EXIT_SERVICE_FAILED,
    EXIT_TIMEOUT,
    EXIT_USAGE,
)
from abeja.services.testing import ServiceEmulator

PYTHON_SPEAK = ("<", "ServiceClient(", "credential=", "pydantic", "Traceback", "instance_number")


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> Iterator[ServiceEmulator]:
    with ServiceEmulator() as emulator:
        for name, value in emulator.env().items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("ABEJA_SDK_MAX_RETRY_COUNT", "0")
        yield emulator


def failed(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    """The exit status and the one line on stderr (nothing on stdout)."""
    status = main(list(argv))
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1, err
    assert err.startswith("error: ") and not any(word in err for word in PYTHON_SPEAK), err
    return status, err


def test_not_found_names_the_request_and_its_id(
    env: ServiceEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    status, err = failed(capsys, "get", env.deployment_id, "ser-0000000000000000")
    assert status == EXIT_NOT_FOUND == 6
    path = f"/organizations/{env.organization_id}/deployments/{env.deployment_id}/services/"
    assert f"404 not_found on GET {path}ser-0000000000000000" in err
    assert f"request id {env.requests[-1].request_id}" in err


def test_credentials_missing_or_refused_say_what_to_set(
    env: ServiceEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORM_AUTH_TOKEN", "wrong")
    status, err = failed(capsys, "list", env.deployment_id)
    assert status == EXIT_AUTH == 5 and "the credential was refused" in err
    monkeypatch.delenv("PLATFORM_AUTH_TOKEN")
    status, err = failed(capsys, "list", env.deployment_id)  # and no warning line before it
    assert status == EXIT_AUTH and "set PLATFORM_AUTH_TOKEN" in err and "--profile" in err


def test_no_organization_names_the_flag_and_the_variable(
    env: ServiceEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("ABEJA_ORGANIZATION_ID")
    status, err = failed(capsys, "list", env.deployment_id)
    assert status == EXIT_USAGE
    assert "--organization-id" in err and "ABEJA_ORGANIZATION_ID" in err
    assert env.count() == 0


def test_refused_arguments_name_the_flags(
    env: ServiceEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    service = env.client().services.create(env.deployment_id, version_id=env.version_id)
    d, s = env.deployment_id, service.service_id
    env.forget_requests()
    status, err = failed(capsys, "update", d, s, "--min-instance-number", "2",
                         "--max-instance-number", "1")  # fmt: skip
    assert status == EXIT_USAGE and "--min-instance-number" in err and "errors.pydantic" not in err
    assert env.count() == 0  # refused before sending
    status, err = failed(capsys, "update", d, s, "--instance-number", "3")  # the API refuses
    assert status == EXIT_ERROR and "--max-instance-number" in err


def test_a_conflict_and_a_timeout_have_their_own_status(
    env: ServiceEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    env.inject("list", status=409)
    status, _ = failed(capsys, "list", env.deployment_id)
    assert status == EXIT_CONFLICT == 7
    env.ready_delay = 3600
    service = env.client().services.create(env.deployment_id, version_id=env.version_id)
    status = main(["wait", env.deployment_id, service.service_id, "--timeout", "0.3",
                   "--interval", "0.1"])  # fmt: skip
    err = capsys.readouterr().err
    assert status == EXIT_TIMEOUT == 8 and "not READY after 0.3 s" in err.splitlines()[-1]


def test_a_failed_service_has_its_own_status(
    env: ServiceEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    env.ready_delay = 3600
    service = env.client().services.create(env.deployment_id, version_id=env.version_id)
    env.fail_service(service.service_id)
    status = main(["wait", env.deployment_id, service.service_id, "--interval", "0.1"])
    err = capsys.readouterr().err
    assert status == EXIT_SERVICE_FAILED == 9 and "is FAILED" in err.splitlines()[-1]


def test_predicting_on_a_stopped_service_says_to_start_it(
    env: ServiceEmulator, capsys: pytest.CaptureFixture[str]
) -> None:
    client = env.client()
    service = client.services.create(env.deployment_id, version_id=env.version_id)
    service.wait_until_ready(poll_interval=0.05)
    service.stop()
    status, err = failed(capsys, "predict", env.deployment_id, service.service_id, "--json", "{}")
    assert status == EXIT_ERROR and "is STOPPED" in err
    assert f"abeja-services start {env.deployment_id} {service.service_id}" in err
    assert "may have been applied" not in err


def test_a_retry_is_told_at_once(
    env: ServiceEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ABEJA_SDK_MAX_RETRY_COUNT", "1")
    env.inject("list", status=503, retry_after="0")
    assert main(["list", env.deployment_id]) == 0
    captured = capsys.readouterr()
    assert json.loads(captured.out)["entries"] == []
    path = f"/organizations/{env.organization_id}/deployments/{env.deployment_id}/services"
    assert re.fullmatch(f"retry: GET {path}: 503, retrying \\(2/2\\) in 0\\.[45] s\n", captured.err)


def test_the_profile_option_picks_an_abejacli_configuration(
    env: ServiceEmulator, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("PLATFORM_AUTH_TOKEN")
    monkeypatch.delenv("ABEJA_ORGANIZATION_ID")
    home = Path(__import__("os").environ["HOME"])
    (home / ".abeja").mkdir()
    (home / ".abeja" / "config").write_text(json.dumps({"configurations": [{
        "configuration-name": "emu", "organization-name": env.organization_id,
        "abeja-platform-user": "user-1234567890123", "personal-access-token": "nope",
    }]}))  # fmt: skip
    status, err = failed(capsys, "list", env.deployment_id, "--profile", "emu")
    assert status == EXIT_AUTH and "the credential was refused" in err  # it was sent
    assert env.requests[-1].headers["Authorization"].startswith("Basic ")
    status, err = failed(capsys, "--profile", "other", "list", env.deployment_id)
    assert status == EXIT_USAGE and "no abejacli configuration named 'other'" in err
