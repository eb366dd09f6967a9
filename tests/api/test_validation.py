"""Per-call checks: no id, token or time reaches the wire unless it is safe in its URL part.

Each call is made through every layer (typed manager, a bound ``Service`` whose id
came from a hostile server, and the compat ``APIClient``) and the emulator counts
that nothing arrived.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta, timezone
from typing import Any

import pytest
from pydantic import ValidationError

from abeja.services import APIClient, Service, ServiceClient
from abeja.services._api._validation import check_path_id, format_log_time
from abeja.services.testing import ServiceEmulator

from .. import reference_examples as ref
from ..clients import make_client


class Sneaky(str):
    """A str subclass that renders as something else wherever it is formatted."""

    def __format__(self, spec: str) -> str:
        return "x/../../admin"

    def __str__(self) -> str:
        return "x/../../admin"


class _Opaque:
    """Any object at all (its repr is fixed, so test ids are the same in every worker)."""

    def __repr__(self) -> str:
        return "<an object>"


BAD_PATH_IDS: list[object] = [
    # traversal, dots and separators
    "..", ".", "...", "a..b", "../admin", "..%2F..%2Fadmin", "a/b", "a\\b", "a/../../x",
    # encoded characters a server or proxy would decode
    "a%2F", "a%2e%2e", "%2e", "a%00b", "ser%0d%0aX-Injected:1",
    # query, fragment, user info, host and port injection
    "a?b", "a#b", "a@evil.example.com", "evil.example.com:80", "a;b", "a&b=c", "a=b",
    # whitespace and control characters
    "a b", "a\tb", "a\x00b", "ser-1\n", "ser-1\r\nX-Injected: 1", "\x7f", " ser-1",
    # look-alikes: full-width, one-dot leader, Cyrillic, division slash, zero-width space
    "ｓｅｒ", "ser\uff0ex", "ser\u2024x", "ser\u0456", "a\u2215b", "ser\u200b1",
    # emptiness and length
    "", "x" * 129, "x" * 10_000,
    # not a str at all
    None, 5, 5.0, b"ser-1", ["ser-1"], _Opaque(),
    # str subclasses whose characters are bad, whatever they render as
    Sneaky(".."), Sneaky("a/b"),
]  # fmt: skip


@pytest.fixture
def awaited(emulator: ServiceEmulator) -> Iterator[Any]:
    """The async client, each call awaited (``tests/clients.py``)."""
    with make_client("async", emulator.organization_id, base_url=emulator.url,
                     credential=emulator.credential, max_retries=0) as made:  # fmt: skip
        yield made


@pytest.fixture
def api(emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[APIClient]:
    monkeypatch.setenv("ABEJA_API_URL", emulator.url)  # if a check failed, it would land here
    with APIClient(credential=emulator.credential, max_retry_count=0) as compat:
        yield compat


def _every_service_call(
    client: ServiceClient, api: APIClient, org: str, dep: object, sid: object, awaited: Any
) -> list[Callable[[], object]]:
    services = client.services
    coroutines = awaited.services
    return [
        lambda: coroutines.get(dep, sid),
        lambda: coroutines.update(dep, sid, instance_number=2),
        lambda: coroutines.delete(dep, sid),
        lambda: coroutines.start(dep, sid),
        lambda: coroutines.stop(dep, sid),
        lambda: coroutines.logs(dep, sid),
        lambda: coroutines.predict(dep, sid, json={}),
        lambda: coroutines.wait_until_ready(dep, sid),
        lambda: services.get(dep, sid),  # type: ignore[arg-type]
        lambda: services.update(dep, sid, instance_number=2),  # type: ignore[arg-type]
        lambda: services.delete(dep, sid),  # type: ignore[arg-type]
        lambda: services.start(dep, sid),  # type: ignore[arg-type]
        lambda: services.stop(dep, sid),  # type: ignore[arg-type]
        lambda: services.logs(dep, sid),  # type: ignore[arg-type]
        lambda: services.predict(dep, sid, json={}),  # type: ignore[arg-type]
        lambda: services.wait_until_ready(dep, sid),  # type: ignore[arg-type]
        lambda: services.iter_logs(dep, sid),  # type: ignore[arg-type]
        lambda: api.get_service(org, dep, sid),  # type: ignore[arg-type]
        lambda: api.update_service(org, dep, sid, {"instance_number": 2}),  # type: ignore[arg-type]
        lambda: api.delete_service(org, dep, sid),  # type: ignore[arg-type]
        lambda: api.start_service(org, dep, sid),  # type: ignore[arg-type]
        lambda: api.stop_service(org, dep, sid),  # type: ignore[arg-type]
        lambda: api.get_service_recent_logs(org, dep, sid),  # type: ignore[arg-type]
        lambda: api.request_service(org, dep, sid, json={}),  # type: ignore[arg-type]
    ]


@pytest.mark.parametrize("bad_id", BAD_PATH_IDS, ids=repr)
def test_bad_service_ids_send_nothing_in_any_layer(
    client: ServiceClient, api: APIClient, awaited: Any, emulator: ServiceEmulator, bad_id: object
) -> None:
    org, dep = emulator.organization_id, emulator.deployment_id
    for call in _every_service_call(client, api, org, dep, bad_id, awaited):
        with pytest.raises((TypeError, ValueError), match="service_id"):
            call()
    assert emulator.count() == 0


@pytest.mark.parametrize("bad_id", BAD_PATH_IDS, ids=repr)
def test_bad_deployment_ids_send_nothing_in_any_layer(
    client: ServiceClient, api: APIClient, awaited: Any, emulator: ServiceEmulator, bad_id: object
) -> None:
    org = emulator.organization_id
    calls = [
        *_every_service_call(client, api, org, bad_id, "ser-1", awaited),
        lambda: awaited.services.list(bad_id),
        lambda: awaited.services.create(bad_id, version_id="v"),
        lambda: client.services.list(bad_id),  # type: ignore[arg-type]
        lambda: client.services.create(bad_id, version_id="v"),  # type: ignore[arg-type]
        lambda: api.get_services(org, bad_id),  # type: ignore[arg-type]
        lambda: api.create_service(org, bad_id, "v"),  # type: ignore[arg-type]
    ]
    for call in calls:
        with pytest.raises((TypeError, ValueError), match="deployment_id"):
            call()
    assert emulator.count() == 0


@pytest.mark.parametrize("bad_id", [i for i in BAD_PATH_IDS if isinstance(i, str)], ids=repr)
def test_a_hostile_id_from_the_server_is_never_followed(
    client: ServiceClient, emulator: ServiceEmulator, bad_id: str
) -> None:
    """A listed service whose id would change the URL: its own calls send nothing."""
    entry = {**ref.GET, "deployment_id": emulator.deployment_id, "service_id": bad_id}
    emulator.inject("list", status=200, body=json.dumps({"entries": [entry]}).encode())
    service: Service = client.services.list(emulator.deployment_id)[0]
    before = emulator.count()
    calls: list[Callable[[], object]] = [
        service.refresh,
        service.start,
        service.stop,
        service.delete,
        lambda: service.update(instance_number=2),
        service.logs,
        lambda: service.predict(json={}),
        service.wait_until_ready,
        service.wait_until_deleted,
    ]
    for call in calls:
        with pytest.raises(ValueError, match="service_id"):
            call()
    assert emulator.count() == before


def test_str_subclasses_are_sent_as_their_characters(
    emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An overridden __format__/__str__ cannot steer the path or the predict host."""
    monkeypatch.setenv("ABEJA_SERVICE_URL_TEMPLATE", emulator.service_url_template)
    monkeypatch.setenv("ABEJA_API_URL", emulator.url)
    with emulator.client() as client, APIClient(credential=emulator.credential) as api:
        service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
        client.services.get(Sneaky(emulator.deployment_id), Sneaky(service.service_id))
        api.get_service(
            Sneaky(emulator.organization_id), emulator.deployment_id, service.service_id
        )
        answer = api.request_service(
            Sneaky(emulator.organization_id), emulator.deployment_id, service.service_id, json={}
        )
    assert answer.status_code == 200
    paths = [r.path for r in emulator.requests]
    item = f"/deployments/{emulator.deployment_id}/services/{service.service_id}"
    assert paths[1:] == [
        f"/organizations/{emulator.organization_id}{item}",
        f"/organizations/{emulator.organization_id}{item}",
        f"/o/{emulator.organization_id}{item}",
    ]


def test_ids_at_the_length_cap_pass_and_one_more_is_refused() -> None:
    assert check_path_id("service_id", "s" * 128) == "s" * 128
    with pytest.raises(ValueError, match="longer than 128"):
        check_path_id("service_id", "s" * 129)


def test_log_times_are_utc_with_z() -> None:
    jst = timezone(timedelta(hours=9))
    assert format_log_time("t", datetime(2026, 1, 1, 9, 0, 0, tzinfo=jst)) == "2026-01-01T00:00:00Z"
    assert format_log_time("t", datetime(2026, 1, 1, 9, 0, 0)) == "2026-01-01T09:00:00Z"
    with pytest.raises(TypeError):
        format_log_time("t", "2026-01-01")


def test_log_times_that_overflow_utc_are_value_errors(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    far = datetime.max.replace(tzinfo=timezone(timedelta(hours=-5)))
    with pytest.raises(ValueError, match="start_time"):
        client.services.logs(emulator.deployment_id, "ser-1", start_time=far)
    assert emulator.count() == 0


@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf, {"x": [math.nan]}])
def test_json_that_json_cannot_hold_is_refused_before_sending(
    client: ServiceClient, api: APIClient, emulator: ServiceEmulator, value: object
) -> None:
    org, dep = emulator.organization_id, emulator.deployment_id
    with pytest.raises(ValueError, match="json="):
        client.services.predict(dep, "ser-1", json=value)
    with pytest.raises(ValueError, match="json="):
        api.request_service(org, dep, "ser-1", json=value)
    with pytest.raises(TypeError, match="json="):
        client.services.predict(dep, "ser-1", json={"when": object()})
    assert emulator.count() == 0


@pytest.mark.parametrize("number", [0, 65, 10**100, -1])
def test_instance_numbers_outside_the_platforms_bounds_are_refused(
    client: ServiceClient, api: APIClient, emulator: ServiceEmulator, number: int
) -> None:
    org, dep = emulator.organization_id, emulator.deployment_id
    with pytest.raises(ValidationError):
        client.services.create(dep, version_id="v", instance_number=number)
    with pytest.raises(ValidationError):
        client.services.update(dep, "ser-1", max_instance_number=number)
    with pytest.raises(ValidationError):
        api.create_service(org, dep, "v", instance_number=number)
    with pytest.raises(ValidationError):
        api.update_service(org, dep, "ser-1", {"instance_number": str(number)})
    assert emulator.count() == 0


def test_compat_takes_only_ascii_digits_and_never_sends_an_empty_update(
    api: APIClient, emulator: ServiceEmulator
) -> None:
    org, dep = emulator.organization_id, emulator.deployment_id
    with pytest.raises(ValidationError):
        api.update_service(org, dep, "ser-1", {"instance_number": "\u0663"})  # Arabic-Indic 3
    with pytest.raises(ValidationError):
        api.create_service(org, dep, "v", instance_number="\uff13")  # type: ignore[arg-type]
    for empty in (None, {}, {"instance_number": None}):
        with pytest.raises(ValueError, match="nothing to update"):
            api.update_service(org, dep, "ser-1", empty)
    assert emulator.count() == 0


def test_the_hostile_id_corpus_covers_every_kind() -> None:
    assert len(BAD_PATH_IDS) >= 40
    assert len(BAD_ORGANIZATION_IDS) >= 40


BAD_ORGANIZATION_IDS: list[object] = [
    *BAD_PATH_IDS,
    # host injection: a label is all an organization may be
    "evil.example.com", "a.b", "127.0.0.1", "[::1]", "evil.example.com:8080", "x.api.abeja.io",
    "-a", "a-", "x" * 64, "ａｂｃ", "org%2e", "1111111111111.", "_1111",
]  # fmt: skip


@pytest.mark.parametrize("bad_id", BAD_ORGANIZATION_IDS, ids=repr)
def test_bad_organization_ids_send_nothing_in_any_layer(
    emulator: ServiceEmulator, api: APIClient, bad_id: object
) -> None:
    """The typed client cannot be made with one; every compat method refuses it."""
    if bad_id is not None:  # None means "from the environment" for the typed client
        with pytest.raises((TypeError, ValueError), match="organization_id"):
            ServiceClient(bad_id, base_url=emulator.url)  # type: ignore[arg-type]
    org: Any = bad_id
    dep, sid = emulator.deployment_id, "ser-1"
    calls: list[Callable[[], object]] = [
        lambda: api.create_service(org, dep, "v"),
        lambda: api.get_services(org, dep),
        lambda: api.list_services(org, dep),
        lambda: api.get_service(org, dep, sid),
        lambda: api.update_service(org, dep, sid, {"instance_number": 2}),
        lambda: api.delete_service(org, dep, sid),
        lambda: api.start_service(org, dep, sid),
        lambda: api.stop_service(org, dep, sid),
        lambda: api.get_service_recent_logs(org, dep, sid),
        lambda: api.request_service(org, dep, sid, json={}),
    ]
    for call in calls:
        with pytest.raises((TypeError, ValueError), match="organization_id"):
            call()
    assert emulator.count() == 0
