"""Bad input is refused with a clear error before anything is sent, and what is refused is
never mistaken for a network failure: no wait, no retry, ``may_have_applied`` False, and
no header value (a credential) in any message."""

from __future__ import annotations

import logging
import math
from datetime import datetime, timezone

import pytest

from abeja.exceptions import APIConnectionError
from abeja.services import PredictResponse, ServiceClient
from abeja.services._api._answers import HTTPResponse
from abeja.services.testing import ServiceEmulator

from ..cli.test_commands import run
from ..hostile import HostileServer, answer

SECRET = "S3CR3T-do-not-show"


# -- credentials --------------------------------------------------------------------------


def test_a_token_read_from_a_file_keeps_its_newline_and_still_works(
    emulator: ServiceEmulator,
) -> None:
    with emulator.client(credential={"auth_token": f"  {emulator.auth_token}\n"}) as client:
        client.services.list(emulator.deployment_id)
    assert emulator.requests[-1].headers["Authorization"] == f"Bearer {emulator.auth_token}"


@pytest.mark.parametrize("bad", [f"{SECRET}\x00", "S3\nCR3T", f"{SECRET}\x7f", f"{SECRET}é"])
def test_a_credential_with_a_control_or_non_ascii_character_refuses_the_client(
    emulator: ServiceEmulator, bad: str
) -> None:
    with pytest.raises(ValueError) as raised:
        emulator.client(credential={"auth_token": bad})
    assert "credential['auth_token']" in str(raised.value)
    assert "S3" not in str(raised.value)
    assert emulator.count() == 0


def test_a_variable_with_a_control_character_is_named_not_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("ABEJA_PLATFORM_USER_ID", "1234567890123")
    monkeypatch.setenv("ABEJA_PLATFORM_PERSONAL_ACCESS_TOKEN", f"{SECRET}\x1b[2J")
    with pytest.raises(ValueError, match="ABEJA_PLATFORM_PERSONAL_ACCESS_TOKEN") as raised:
        ServiceClient("1111111111111")
    assert SECRET not in str(raised.value)


def test_the_command_line_names_the_variable_and_never_prints_the_token(
    emulator: ServiceEmulator,
) -> None:
    env_token = {"PLATFORM_AUTH_TOKEN": f"{SECRET}\x01"}
    for args in (("self-check",), ("list", emulator.deployment_id)):
        done = run(emulator, *args, env=env_token)
        assert done.returncode == 2, done.stderr
        assert "PLATFORM_AUTH_TOKEN" in done.stderr
        assert SECRET not in done.stdout + done.stderr
        assert "Traceback" not in done.stderr


# -- local mistakes are refused up front, never waited on ---------------------------------


@pytest.mark.parametrize("value", [1e10, math.inf, math.nan, -1, 0])
def test_a_timeout_out_of_bounds_is_refused_everywhere(
    emulator: ServiceEmulator, value: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    with pytest.raises(ValueError):
        emulator.client(timeout=value)
    with pytest.raises(ValueError):
        emulator.client(deadline=value)
    with emulator.client() as client, pytest.raises(ValueError):
        client.with_options(timeout=value)
    monkeypatch.setenv("ABEJA_SDK_CONNECTION_TIMEOUT", str(value))
    with pytest.raises(ValueError, match="ABEJA_SDK_CONNECTION_TIMEOUT"):
        emulator.client()
    assert emulator.count() == 0


@pytest.mark.parametrize(
    "content_type", ["text/plain\r\nX-Injected: 1", "text/plain\nX: 1", "a\x00b", "", "é/x"]
)
def test_a_content_type_that_is_not_one_header_value_is_refused(
    client: ServiceClient, emulator: ServiceEmulator, content_type: str
) -> None:
    with pytest.raises(ValueError, match="content_type"):
        client.services.predict(
            emulator.deployment_id, "ser-1", data=b"x", content_type=content_type
        )
    assert emulator.count() == 0


@pytest.mark.parametrize("name", ["Content-Length", "transfer-encoding", "Host", "Connection"])
def test_framing_headers_cannot_be_set_through_extra_headers(
    client: ServiceClient, name: str
) -> None:
    with pytest.raises(ValueError, match="frames the request"):
        client.with_options(extra_headers={name: "5"})


def test_a_header_value_that_http_client_would_refuse_is_refused_up_front(
    client: ServiceClient,
) -> None:
    with pytest.raises(ValueError) as raised:
        client.with_options(extra_headers={"X-Trace": f"{SECRET}\x7f"})
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_failure_that_is_not_the_network_is_not_sent_not_retried_and_names_no_value(
    sleeps: list[float], method: str
) -> None:
    """Whatever slips past the checks and is refused by http.client before a byte is
    written (here: a header value a session's default headers carry) is not a transient
    failure: no wait, no retry, may_have_applied False, and the value is not quoted."""
    import requests

    session = requests.Session()
    session.headers["X-Bad"] = f"{SECRET}\n"
    with (
        HostileServer(lambda request: [answer()]) as server,
        ServiceClient(
            "1111111111111", base_url=server.url, session=session, sleep=sleeps.append,
            credential={"auth_token": "t"},
        ) as client,
    ):  # fmt: skip
        call = client.services.start if method == "POST" else client.services.get
        with pytest.raises(APIConnectionError) as raised:
            call("9999999999999", "ser-1")
        assert server.received == []
    assert sleeps == []
    assert raised.value.may_have_applied is False
    assert SECRET not in str(raised.value)


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:99999", "http://127.0.0.1:-1", "http://127.0.0.1:abc", "http://a b"],
)
def test_a_bad_base_url_is_refused_at_construction(url: str) -> None:
    with pytest.raises(ValueError, match="base_url"):
        ServiceClient("1111111111111", base_url=url)


# -- times, waits, text ---------------------------------------------------------------------


def test_times_before_the_year_1000_are_sent_zero_padded_and_accepted(
    client: ServiceClient, emulator: ServiceEmulator, service: object
) -> None:
    sid = service.service_id  # type: ignore[attr-defined]
    client.services.logs(
        emulator.deployment_id, sid, start_time=datetime(1, 1, 1, tzinfo=timezone.utc)
    )
    assert emulator.requests[-1].query["start_time"] == "0001-01-01T00:00:00Z"
    assert emulator.requests[-1].status == 200
    done = run(emulator, "logs", emulator.deployment_id, sid, "--since", "0001-01-01")
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("value", [math.nan, math.inf, -1.0, 1e12])
def test_no_wait_is_infinite(
    client: ServiceClient, emulator: ServiceEmulator, value: float
) -> None:
    with pytest.raises(ValueError, match="timeout"):
        client.services.wait_until_ready(emulator.deployment_id, "ser-1", timeout=value)
    with pytest.raises(ValueError, match="timeout"):
        client.services.iter_logs(emulator.deployment_id, "ser-1", follow=True, timeout=value)
    with pytest.raises(ValueError, match="poll_interval"):
        client.services.wait_until_ready(emulator.deployment_id, "ser-1", poll_interval=value)
    assert emulator.count() == 0


@pytest.mark.parametrize("charset", ["idna", "undefined", "rot13", "base64", "no-such"])
def test_text_never_raises_whatever_the_charset(charset: str) -> None:
    http = HTTPResponse(
        method="POST", url="http://x", status_code=200, reason="OK",
        headers={"Content-Type": f"text/plain; charset={charset}"},
        content="caf\u00e9".encode(), elapsed=0.0,
    )  # fmt: skip
    assert PredictResponse(http).text == "caf\u00e9"


# -- plain HTTP ------------------------------------------------------------------------------


def test_a_credential_over_plain_http_to_another_host_is_warned_about_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.WARNING, logger="abeja.services"):
        ServiceClient("1111111111111", base_url="http://api.example.test",
                      credential={"auth_token": "t"}).close()  # fmt: skip
    warned = [r for r in caplog.records if "plain http://" in r.getMessage()]
    assert len(warned) == 1 and "api.example.test" in warned[0].getMessage()


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080", "https://x.test"]
)
def test_loopback_and_https_stay_quiet(url: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.WARNING, logger="abeja.services"):
        ServiceClient("1111111111111", base_url=url, credential={"auth_token": "t"}).close()
    assert not [r for r in caplog.records if "plain http://" in r.getMessage()]


# -- the command line: no input prints a traceback -------------------------------------------


@pytest.mark.parametrize(
    ("args", "flag"),
    [
        (["logs", "9999999999999", "ser-1", "--since", "99999999d"], "--since"),
        (["logs", "9999999999999", "ser-1", "--follow", "--interval", "-1"], "--interval"),
        (["logs", "9999999999999", "ser-1", "--follow", "--interval", "nan"], "--interval"),
        (["predict", "9999999999999", "ser-1", "--json", "[" * 100_000], "--json"),
        (["--timeout", "inf", "list", "9999999999999"], "--timeout"),
        (["wait", "9999999999999", "ser-1", "--timeout", "nan"], "--timeout"),
    ],
)
def test_extreme_command_line_input_exits_2_naming_the_flag(
    emulator: ServiceEmulator, args: list[str], flag: str
) -> None:
    emulator.forget_requests()
    done = run(emulator, *args)
    assert done.returncode == 2, done.stderr
    assert flag in done.stderr
    assert "Traceback" not in done.stderr
    assert emulator.count() == 0


@pytest.mark.parametrize("port", ["99999", "-1", "abc"])
def test_the_emulator_command_refuses_a_bad_port(port: str) -> None:
    done = run(None, "emulator", "--port", port)
    assert done.returncode == 2
    assert "--port" in done.stderr and "Traceback" not in done.stderr
