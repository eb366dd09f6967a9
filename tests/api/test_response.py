"""Responses: decoding in one place, the same error in both layers, nothing secret kept."""

from __future__ import annotations

import copy
import gc
import json
import pickle
from collections.abc import Iterator

import pytest

from abeja.exceptions import Error, HttpError, InvalidResponseError
from abeja.services import APIClient, Service, ServiceClient
from abeja.services.testing import ServiceEmulator

from .. import reference_examples as ref

# Deeper than json and pydantic recurse on every Python (3.13 parses 5,000 levels).
DEEP = b"[" * 100_000 + b"]" * 100_000
DEEP_OBJECT = b'{"a":' * 100_000 + b"1" + b"}" * 100_000


@pytest.fixture
def service(client: ServiceClient, emulator: ServiceEmulator) -> Service:
    return client.services.create(emulator.deployment_id, version_id=emulator.version_id)


@pytest.fixture
def api(emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch) -> Iterator[APIClient]:
    monkeypatch.setenv("ABEJA_API_URL", emulator.url)
    with APIClient(credential=emulator.credential, max_retry_count=0) as compat:
        yield compat


@pytest.mark.parametrize("body", [DEEP, DEEP_OBJECT, b"\xff\xfe", b"{", b"[1, 2]", b"null"])
def test_undecodable_answers_are_invalid_response_errors_in_both_layers(
    client: ServiceClient,
    api: APIClient,
    emulator: ServiceEmulator,
    service: Service,
    body: bytes,
) -> None:
    org, dep, sid = emulator.organization_id, emulator.deployment_id, service.service_id
    calls = [
        lambda: client.services.get(dep, sid),
        lambda: client.services.list(dep),
        lambda: client.services.logs(dep, sid),
        lambda: api.get_service(org, dep, sid),
        lambda: api.get_service_recent_logs(org, dep, sid),
    ]
    for call in calls:
        emulator.inject("*", status=200, body=body)
        with pytest.raises(InvalidResponseError):
            call()
    emulator.inject("predict", status=200, body=body)
    answer = service.predict(json={})
    if body not in (b"[1, 2]", b"null"):
        with pytest.raises(InvalidResponseError):
            answer.json()


def test_a_deeply_nested_error_body_is_still_an_http_error(
    client: ServiceClient, emulator: ServiceEmulator, service: Service
) -> None:
    emulator.inject("get", status=400, body=DEEP_OBJECT)
    with pytest.raises(HttpError) as caught:
        client.services.get(emulator.deployment_id, service.service_id)
    assert caught.value.status_code == 400


def test_predict_responses_pickle_and_copy_without_the_credential(
    client: ServiceClient, emulator: ServiceEmulator, service: Service
) -> None:
    answer = service.predict(json={"x": 1})
    assert answer.response.request.headers["Authorization"].endswith(emulator.auth_token)
    dumped = pickle.dumps(answer)
    assert emulator.auth_token.encode() not in dumped
    restored = pickle.loads(dumped)
    assert restored.json() == answer.json()
    assert restored.request_id == answer.request_id
    assert restored.http.elapsed == answer.http.elapsed > 0
    with pytest.raises(Error, match="not kept"):
        restored.response  # noqa: B018
    assert copy.deepcopy(answer).content == answer.content
    assert repr(answer.http) == f"HTTPResponse(POST {answer.http.url} -> 200)"


def test_text_follows_the_charset(emulator: ServiceEmulator, service: Service) -> None:
    for content_type, body, text in [
        ("text/plain; charset=latin-1", "café".encode("latin-1"), "café"),
        ("text/plain", "café".encode(), "café"),
        ("text/plain; charset=nonsense", "café".encode(), "café"),
    ]:
        emulator.inject("predict", status=200, body=body, content_type=content_type)
        assert service.predict(json={}).text == text


def _big_list(valid: bool) -> bytes:
    entry = {**ref.GET, "service_id": "ser-1" if valid else 5}
    return json.dumps({"entries": [entry] * 400}).encode()


@pytest.mark.parametrize("valid", [True, False])
@pytest.mark.parametrize("enabled", [True, False])
def test_parsing_a_large_answer_leaves_the_collector_as_it_was(
    client: ServiceClient, emulator: ServiceEmulator, valid: bool, enabled: bool
) -> None:
    body = _big_list(valid)
    assert len(body) > 64 * 1024  # large enough for the collector to be paused
    emulator.inject("list", status=200, body=body)
    was = gc.isenabled()
    (gc.enable if enabled else gc.disable)()
    try:
        if valid:
            assert len(client.services.list(emulator.deployment_id)) == 400
        else:
            with pytest.raises(InvalidResponseError):
                client.services.list(emulator.deployment_id)
        assert gc.isenabled() is enabled
    finally:
        (gc.enable if was else gc.disable)()


# pydantic's parser goes first; whatever it refuses goes to json.loads, so every answer
# parses as json.loads (and so abeja-sdk) parses it.
ODD_JSON = [
    b'{"a": 1, "a": 2}',
    b'{"x": 123456789012345678901234567890}',
    b'{"f": NaN, "g": Infinity, "h": 1e400, "n": -0.0}',
    b'{"s": "\\ud800 lone surrogate"}',
    b'{"d": ' + b"[" * 400 + b"]" * 400 + b"}",
    '{"u": "é"}'.encode("utf-16"),
    b' {"w": "\\u00e9"} ',
]


@pytest.mark.parametrize("body", ODD_JSON)
def test_the_compat_dicts_parse_as_json_loads_does(
    api: APIClient, emulator: ServiceEmulator, body: bytes
) -> None:
    emulator.inject("logs", status=200, body=body)
    got = api.get_service_recent_logs(emulator.organization_id, emulator.deployment_id, "ser-1")
    assert repr(got) == repr(json.loads(body))


def test_a_large_answer_is_not_kept_alive_by_its_model(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    """A typed list of many services held by a caller does not also hold its JSON; the
    body stays reachable through ``with_raw_response``, and a small answer keeps its own."""
    entries = [{**ref.GET, "service_id": f"ser-{i:016d}"} for i in range(400)]
    body = json.dumps({"entries": entries}).encode()
    assert len(body) > 64 * 1024
    dep = emulator.deployment_id
    emulator.inject("list", status=200, body=body)
    listed = client.services.list(dep)
    assert len(listed) == 400 and listed.http_response is not None
    assert listed.http_response.content == b""  # the models hold what it said
    assert listed.http_response.request_id == emulator.requests[-1].request_id
    emulator.inject("list", status=200, body=body)
    raw = client.services.with_raw_response.list(dep)
    assert raw.http.content == body and raw.request_id == emulator.requests[-1].request_id
    assert raw.parsed.http_response is not None and raw.parsed.http_response.content == b""
    small = client.services.with_raw_response.list(dep)
    assert small.parsed.http_response is small.http and small.http.content
