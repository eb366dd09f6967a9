"""Configuration: arguments over environment, credentials as the server sees them."""

from __future__ import annotations

import base64
import sys
from pathlib import Path

import pytest

from abeja.exceptions import ServiceUnavailable, Unauthorized
from abeja.services import APIClient, ServiceClient, __version__
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


def test_a_bad_ca_bundle_is_refused_when_the_client_is_made(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "missing.pem"))
    with pytest.raises(ValueError, match="REQUESTS_CA_BUNDLE"):
        ServiceClient("1111111111111")


def test_compat_client_ignores_a_malformed_organization_in_the_environment(
    emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """abeja-sdk's APIClient takes the organization per call: the variable is not its."""
    monkeypatch.setenv("ABEJA_ORGANIZATION_ID", "not an id!")
    monkeypatch.setenv("ABEJA_API_URL", emulator.url)
    monkeypatch.setenv("PLATFORM_AUTH_TOKEN", emulator.auth_token)
    with pytest.raises(ValueError, match="organization_id"):
        ServiceClient()
    with APIClient() as api:
        listed = api.get_services(emulator.organization_id, emulator.deployment_id)
    assert listed == {"entries": []}


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


def test_no_credential_is_said_once_and_in_the_401(
    emulator: ServiceEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    with ServiceClient(emulator.organization_id, base_url=emulator.url) as client:
        for _ in range(2):
            with pytest.raises(Unauthorized, match="Set PLATFORM_AUTH_TOKEN"):
                client.services.list(emulator.deployment_id)
    warned = [r for r in caplog.records if "no credential is configured" in r.getMessage()]
    assert len(warned) == 1 and warned[0].levelname == "WARNING"
