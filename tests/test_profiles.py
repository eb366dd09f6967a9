"""abejacli's configurations (``~/.abeja/config``) as a credential source, over HTTP: which
one is used, what wins over it, and that nothing read from it is ever shown."""

from __future__ import annotations

import base64
import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from abeja.exceptions import Unauthorized
from abeja.services import APIClient, ServiceClient
from abeja.services.testing import ServiceEmulator

SECRET = "pat-never-shown-0123456789"


@pytest.fixture
def emulator() -> Any:
    users = {"user-1000000000001": SECRET, "user-1000000000002": "second-token"}
    with ServiceEmulator(users=users) as running:
        yield running


def write_config(home: Path, data: object) -> Path:
    path = home / ".abeja" / "config"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(data if isinstance(data, str) else json.dumps(data))
    return path


def config(emulator: ServiceEmulator, **extra: object) -> dict[str, object]:
    """An unnamed configuration (user ...001) and a named one, 'second' (user ...002)."""
    return {
        "abeja-platform-user": "1000000000001",
        "personal-access-token": SECRET,
        "organization-name": emulator.organization_id,
        "abeja-api-url": emulator.url,
        "configurations": [
            {
                "configuration-name": "second",
                "abeja-platform-user": "user-1000000000002",
                "personal-access-token": "second-token",
                "organization-name": emulator.organization_id,
                "abeja-api-url": emulator.url,
            }
        ],
        **extra,
    }


def seen_user(emulator: ServiceEmulator) -> str:
    """The user of the last request's Basic credential, as the server decoded it."""
    scheme, _, value = emulator.requests[-1].headers["Authorization"].partition(" ")
    assert scheme == "Basic"
    return base64.b64decode(value).decode().partition(":")[0]


@pytest.fixture
def home() -> Path:
    import os

    return Path(os.environ["HOME"])


def test_the_active_configuration_gives_credential_organization_and_url(
    emulator: ServiceEmulator, home: Path
) -> None:
    write_config(home, config(emulator, **{"active-configuration-name": "second"}))
    with ServiceClient() as client:  # nothing in the environment: all from the file
        assert client.organization_id == emulator.organization_id
        assert client.base_url == emulator.url
        client.services.list(emulator.deployment_id)
    assert seen_user(emulator) == "user-1000000000002"


def test_without_an_active_one_the_unnamed_one_is_used(
    emulator: ServiceEmulator, home: Path
) -> None:
    write_config(home, config(emulator))
    with ServiceClient() as client:
        client.services.list(emulator.deployment_id)
    assert seen_user(emulator) == "user-1000000000001"  # prefixed with user- as abejacli does


def test_a_profile_is_picked_by_name(emulator: ServiceEmulator, home: Path) -> None:
    write_config(home, config(emulator))
    with ServiceClient(profile="second") as client:
        client.services.list(emulator.deployment_id)
    assert seen_user(emulator) == "user-1000000000002"


def test_variables_win_over_the_file(
    emulator: ServiceEmulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(home, "{ not json, and not read")
    monkeypatch.setenv("PLATFORM_AUTH_TOKEN", emulator.auth_token)
    with ServiceClient(emulator.organization_id, base_url=emulator.url) as client:
        client.services.list(emulator.deployment_id)  # the broken file was never read
    assert emulator.requests[-1].headers["Authorization"] == f"Bearer {emulator.auth_token}"
    monkeypatch.delenv("PLATFORM_AUTH_TOKEN")
    write_config(home, config(emulator, **{"abeja-api-url": "http://127.0.0.1:9"}))
    monkeypatch.setenv("ABEJA_CLI_USER", "1000000000002")  # abejacli's variables, field by field
    monkeypatch.setenv("ABEJA_CLI_TOKEN", "second-token")
    monkeypatch.setenv("ABEJA_API_URL", emulator.url)
    with ServiceClient() as client:
        client.services.list(emulator.deployment_id)
    assert seen_user(emulator) == "user-1000000000002"


def test_an_explicit_credential_means_the_file_is_not_read(
    emulator: ServiceEmulator, home: Path
) -> None:
    write_config(home, "[1, 2")
    emulator.client().services.list(emulator.deployment_id)
    assert emulator.count() == 1


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ('{"personal-access-token": "' + SECRET + '", ', r"malformed \(line 1\)"),
        ("[]", "not a JSON object"),
        ({"configurations": {"a": 1}}, "'configurations' is not a list"),
        ({"configurations": [{"personal-access-token": SECRET}]}, "no 'configuration-name'"),
        ({"abeja-platform-user": 7, "personal-access-token": SECRET}, "'abeja-platform-user'"),
        (b"\xff\xfe".decode("latin-1"), "malformed"),
    ],
)
def test_a_malformed_file_is_one_clear_error_without_its_content(
    home: Path, content: object, expected: str
) -> None:
    path = write_config(home, content)
    with pytest.raises(ValueError, match=expected) as caught:
        ServiceClient("1111111111111")
    assert str(path) in str(caught.value) and SECRET not in str(caught.value)


def test_an_unknown_profile_names_the_ones_there_are(emulator: ServiceEmulator, home: Path) -> None:
    write_config(home, config(emulator))
    with pytest.raises(ValueError, match=r"no abejacli configuration named 'third'.*'second'"):
        ServiceClient(profile="third")
    with pytest.raises(ValueError, match="named: none"):
        write_config(home, {"abeja-platform-user": "1", "personal-access-token": SECRET})
        ServiceClient(profile="second")
    assert emulator.count() == 0


def test_no_file_is_no_credential(home: Path) -> None:
    assert not (home / ".abeja").exists()
    with ServiceClient("1111111111111") as client:
        assert client._settings.auth is None and client._settings.profile is None


def test_nothing_read_from_the_file_shows(emulator: ServiceEmulator, home: Path) -> None:
    write_config(home, config(emulator))
    with ServiceClient() as client:
        shown = repr(client) + str(client._settings) + repr(client._settings.profile)
        assert SECRET not in shown
        with pytest.raises(Exception) as caught:
            pickle.dumps(client)
        assert SECRET not in str(caught.value)


def test_the_compat_client_reads_only_what_abeja_sdk_reads(
    emulator: ServiceEmulator, home: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_config(home, config(emulator))
    monkeypatch.setenv("ABEJA_API_URL", emulator.url)
    with pytest.raises(Unauthorized):
        APIClient().get_services(emulator.organization_id, emulator.deployment_id)
    assert "Authorization" not in emulator.requests[-1].headers  # abeja-sdk never reads it
