"""Configuration: arguments over environment, credentials as the server sees them, id checks."""

from __future__ import annotations

import base64
import sys
from datetime import datetime, timedelta, timezone

import pytest

from abeja.exceptions import ServiceUnavailable, Unauthorized
from abeja.services import ServiceClient, __version__
from abeja.services._config import check_path_id, format_log_time, load_settings, predict_base_url
from abeja.services.testing import ServiceEmulator


def _basic(user: str, secret: str) -> str:
    return "Basic " + base64.b64encode(f"{user}:{secret}".encode()).decode()


def _authorization_seen(emulator: ServiceEmulator, **kwargs: object) -> str:
    with emulator.client(**kwargs) as client:
        client.services.list(emulator.deployment_id)
    return emulator.requests[-1].headers["Authorization"]


def test_bearer_token_from_the_environment(
    emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORM_AUTH_TOKEN", emulator.auth_token)
    monkeypatch.setenv("ABEJA_PLATFORM_USER_ID", "1234567890123")
    monkeypatch.setenv("ABEJA_PLATFORM_PERSONAL_ACCESS_TOKEN", "pat")
    assert _authorization_seen(emulator, credential=None) == f"Bearer {emulator.auth_token}"


def test_user_and_personal_access_token_get_the_user_prefix(
    emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ABEJA_PLATFORM_USER_ID", "1234567890123")
    monkeypatch.setenv("ABEJA_PLATFORM_PERSONAL_ACCESS_TOKEN", "emulator-personal-access-token")
    monkeypatch.setenv("ABEJA_PLATFORM_DATASOURCE_ID", "ds")
    monkeypatch.setenv("ABEJA_PLATFORM_DATASOURCE_SECRET", "dss")
    seen = _authorization_seen(emulator, credential=None)
    assert seen == _basic("user-1234567890123", "emulator-personal-access-token")


def test_user_prefix_is_not_doubled(emulator: ServiceEmulator) -> None:
    credential = {"user_id": "user-1234567890123", "personal_access_token": "p"}
    with emulator.client(credential=credential) as client, pytest.raises(Unauthorized):
        client.services.list(emulator.deployment_id)
    assert emulator.requests[-1].headers["Authorization"] == _basic("user-1234567890123", "p")
    assert credential == {"user_id": "user-1234567890123", "personal_access_token": "p"}


def test_datasource_credential(emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ABEJA_PLATFORM_DATASOURCE_ID", "42")
    monkeypatch.setenv("ABEJA_PLATFORM_DATASOURCE_SECRET", "shh")
    with emulator.client(credential=None) as client, pytest.raises(Unauthorized):
        client.services.list(emulator.deployment_id)
    assert emulator.requests[-1].headers["Authorization"] == _basic("datasource-42", "shh")


def test_explicit_credential_wins_and_is_not_mutated(
    emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORM_AUTH_TOKEN", "from-env")
    credential = {
        "user_id": "1234567890123",
        "personal_access_token": "emulator-personal-access-token",
    }
    frozen = dict(credential)
    seen = _authorization_seen(emulator, credential=credential)
    assert seen == _basic("user-1234567890123", "emulator-personal-access-token")
    assert credential == frozen


def test_bad_credentials_are_refused_before_sending() -> None:
    with pytest.raises(ValueError, match="unknown credential key"):
        ServiceClient("1", credential={"token": "x"})
    with pytest.raises(ValueError, match="incomplete credential"):
        ServiceClient("1", credential={"user_id": "x"})


def test_no_credential_sends_no_authorization(emulator: ServiceEmulator) -> None:
    client = ServiceClient(emulator.organization_id, base_url=emulator.url)
    with client, pytest.raises(Unauthorized):
        client.services.list(emulator.deployment_id)
    assert "Authorization" not in emulator.requests[-1].headers


def test_user_agent(client: ServiceClient, emulator: ServiceEmulator) -> None:
    client.services.list(emulator.deployment_id)
    major, minor = sys.version_info[:2]
    expected = f"abeja-services/{__version__} python/{major}.{minor}"
    assert emulator.requests[-1].headers["User-Agent"] == expected


def test_api_url_is_read_when_the_client_is_made(
    emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ABEJA_API_URL", emulator.url + "/")
    client = ServiceClient(emulator.organization_id, credential=emulator.credential)
    assert client.base_url == emulator.url
    client.services.list(emulator.deployment_id)
    assert emulator.count("list") == 1


def test_defaults() -> None:
    client = ServiceClient()
    assert client.base_url == "https://api.abeja.io"
    assert client.timeout == 30.0
    assert client.max_retries == 5
    assert client.organization_id is None


@pytest.mark.parametrize(
    ("env", "timeout", "retries"),
    [
        ({"ABEJA_SDK_CONNECTION_TIMEOUT": "12", "ABEJA_SDK_MAX_RETRY_COUNT": "2"}, 12.0, 2),
        ({"ABEJA_SDK_CONNECTION_TIMEOUT": " 2.5 ", "ABEJA_SDK_MAX_RETRY_COUNT": "0"}, 2.5, 0),
        ({"ABEJA_SDK_CONNECTION_TIMEOUT": "", "ABEJA_SDK_MAX_RETRY_COUNT": ""}, 30.0, 5),
    ],
)
def test_numbers_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, env: dict[str, str], timeout: float, retries: int
) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    client = ServiceClient()
    assert (client.timeout, client.max_retries) == (timeout, retries)


def test_env_max_retries_zero_means_one_attempt(
    emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ABEJA_SDK_MAX_RETRY_COUNT", "0")
    emulator.inject("list", status=503, times=None)
    with emulator.client() as client, pytest.raises(ServiceUnavailable):
        client.services.list(emulator.deployment_id)
    assert emulator.count("list") == 1


@pytest.mark.parametrize(
    ("name", "value", "message"),
    [
        ("ABEJA_SDK_CONNECTION_TIMEOUT", "soon", "ABEJA_SDK_CONNECTION_TIMEOUT='soon' is not"),
        ("ABEJA_SDK_CONNECTION_TIMEOUT", "0", "ABEJA_SDK_CONNECTION_TIMEOUT must be a positive"),
        ("ABEJA_SDK_CONNECTION_TIMEOUT", "inf", "must be a positive, finite"),
        ("ABEJA_SDK_MAX_RETRY_COUNT", "1.5", "ABEJA_SDK_MAX_RETRY_COUNT='1.5' is not a whole"),
        ("ABEJA_SDK_MAX_RETRY_COUNT", "-1", "ABEJA_SDK_MAX_RETRY_COUNT must be 0 or more"),
        ("ABEJA_API_URL", "ftp://x", "ABEJA_API_URL must be an http"),
        ("ABEJA_ORGANIZATION_ID", "a.b", "invalid organization_id"),
        ("ABEJA_SERVICE_URL_TEMPLATE", "nope/{organization_id}", "ABEJA_SERVICE_URL_TEMPLATE"),
    ],
)
def test_bad_environment_values_name_the_variable(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, message: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        ServiceClient()


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        ({"timeout": 0}, ValueError),
        ({"timeout": -1.0}, ValueError),
        ({"timeout": "30"}, TypeError),
        ({"max_retries": -1}, ValueError),
        ({"max_retries": True}, TypeError),
        ({"base_url": "api.abeja.io"}, ValueError),
        ({"base_url": "https://api.abeja.io?x=1"}, ValueError),
    ],
)
def test_bad_arguments(kwargs: dict[str, object], error: type[Exception]) -> None:
    with pytest.raises(error):
        ServiceClient(**kwargs)  # type: ignore[arg-type]


def test_predict_goes_to_the_organization_subdomain_by_default() -> None:
    settings = load_settings(
        organization_id=None,
        base_url="https://api.abeja.io",
        credential=None,
        timeout=None,
        max_retries=None,
        service_url_template=None,
        environ={},
    )
    assert predict_base_url(settings, "1234567890123") == "https://1234567890123.api.abeja.io"


def test_predict_through_a_proxy_reaches_the_subdomain_host(
    emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """HTTP_PROXY is honoured; the proxy (the emulator) sees the organization's host."""
    monkeypatch.setenv("HTTP_PROXY", emulator.url)
    monkeypatch.setenv("NO_PROXY", "")
    with ServiceClient(
        emulator.organization_id, base_url="http://api.abeja.test", credential=emulator.credential
    ) as client:
        service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
        answer = service.predict(json={"via": "proxy"})
    assert answer.json()["echo"] == {"via": "proxy"}
    seen = emulator.requests[-1]
    assert seen.headers["Host"] == f"{emulator.organization_id}.api.abeja.test"
    assert seen.path == f"/deployments/{emulator.deployment_id}/services/{service.service_id}"


def test_no_proxy_is_honoured(
    emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch, free_port: int
) -> None:
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{free_port}")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    with emulator.client() as client:
        client.services.list(emulator.deployment_id)
    assert emulator.count("list") == 1


def test_service_url_template(client: ServiceClient, emulator: ServiceEmulator) -> None:
    service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    service.predict(json={})
    assert emulator.requests[-1].path == (
        f"/o/{emulator.organization_id}/deployments/{emulator.deployment_id}"
        f"/services/{service.service_id}"
    )


@pytest.mark.parametrize(
    "organization_id",
    ["evil.example.com/x?", "a.b", "-a", "a-", "", "a b", "a/b", "x" * 64, "a\nb", "org%2e"],
)
def test_organization_ids_that_could_change_the_host_are_refused(
    emulator: ServiceEmulator, organization_id: str
) -> None:
    with pytest.raises(ValueError, match="organization_id"):
        ServiceClient(organization_id, base_url=emulator.url)
    with emulator.client() as client:
        with pytest.raises(ValueError, match="organization_id"):
            client.services._predict_raw(
                organization_id, "1", "ser-1", json={}, data=None, content_type=None, timeout=None
            )
        with pytest.raises(ValueError, match="organization_id"):
            client.services._get_raw(organization_id, "1", "ser-1")
    assert emulator.count() == 0


@pytest.mark.parametrize(
    "bad_id",
    ["a/b", "..", "a..b", "a?b", "a#b", "a%2F", "a b", "a\tb", "a\x00b", "", "ser-1\n"],
)
def test_path_ids_that_could_change_the_url_are_refused(
    client: ServiceClient, emulator: ServiceEmulator, bad_id: str
) -> None:
    calls = [
        lambda: client.services.get(bad_id, "ser-1"),
        lambda: client.services.get("1", bad_id),
        lambda: client.services.list(bad_id),
        lambda: client.services.delete("1", bad_id),
        lambda: client.services.start("1", bad_id),
        lambda: client.services.logs("1", bad_id),
        lambda: client.services.predict("1", bad_id, json={}),
        lambda: client.services.update("1", bad_id, instance_number=1),
        lambda: client.services.create(bad_id, version_id="v"),
    ]
    for call in calls:
        with pytest.raises(ValueError, match="invalid (deployment|service)_id"):
            call()
    assert emulator.count() == 0


def test_non_string_ids_are_type_errors() -> None:
    with pytest.raises(TypeError):
        check_path_id("service_id", 5)


def test_log_times_are_utc_with_z() -> None:
    jst = timezone(timedelta(hours=9))
    assert format_log_time("t", datetime(2026, 1, 1, 9, 0, 0, tzinfo=jst)) == "2026-01-01T00:00:00Z"
    assert format_log_time("t", datetime(2026, 1, 1, 9, 0, 0)) == "2026-01-01T09:00:00Z"
    with pytest.raises(TypeError):
        format_log_time("t", "2026-01-01")
