"""Fuzzing both directions with hypothesis.

- Responses: whatever bytes a server answers (any status, 1xx included; broken, wrong or
  missing headers; random, truncated, deep or wrongly typed bodies; invalid UTF-8), every
  operation of both layers returns its model or raises an ``abeja.exceptions`` error.
- Requests: whatever ids and payloads a caller passes are refused before the network, or
  sent as a well-formed request whose path carries exactly those ids.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from abeja.exceptions import Error
from abeja.services import (
    ActionResult,
    APIClient,
    LogPage,
    PredictResponse,
    Service,
    ServiceClient,
    ServiceList,
)
from abeja.services.testing import ServiceEmulator

from . import reference_examples as ref
from .clients import KINDS, emulated_client, make_client
from .hostile import CLOSE, Action, HostileServer, Received

ORG, DEP, SID = "1111111111111", "9999999999999", "ser-1"

JSON_SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.floats(allow_nan=False),
    st.text(max_size=20),
)
JSON_VALUES = st.recursive(
    JSON_SCALARS,
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4)
    ),
    max_leaves=12,
)
EXAMPLES = [ref.CREATE, ref.GET, ref.UPDATE, ref.LIST, ref.LOGS, {"message": "ser-1 deleted"}]


@st.composite
def mutated_example(draw: st.DrawFn) -> bytes:
    """A reference answer with one field replaced by anything (or removed)."""
    example: dict[str, Any] = dict(draw(st.sampled_from(EXAMPLES)))
    if example:
        key = draw(st.sampled_from(sorted(example)))
        if draw(st.booleans()):
            example[key] = draw(JSON_VALUES)
        else:
            del example[key]
    return json.dumps(example).encode()


BODIES = st.one_of(
    st.binary(max_size=300),
    mutated_example(),
    st.sampled_from([json.dumps(e).encode() for e in EXAMPLES]),
    JSON_VALUES.map(lambda v: json.dumps(v).encode()),
    st.integers(1, 4000).map(lambda depth: b"[" * depth + b"]" * depth),
    st.integers(1, 4000).map(lambda depth: b'{"a":' * depth + b"1" + b"}" * depth),
    st.just(b"\xff\xfe\xfa"),
    st.just(b'{"entries": [' + b"1" * 5000 + b"]}"),
)
HEADERS = st.dictionaries(
    st.sampled_from(
        [
            "Content-Type",
            "Retry-After",
            "Content-Encoding",
            "X-Abeja-Model-Version",
            "X-Request-Id",
            "Transfer-Encoding",
        ]
    ),
    st.text(
        alphabet=st.characters(min_codepoint=32, max_codepoint=126), max_size=30
    ),  # header-safe
    max_size=4,
)


@st.composite
def raw_answers(draw: st.DrawFn) -> bytes:
    status = draw(st.sampled_from([100, 103, 200, 201, 204, 302, 400, 404, 429, 500, 503]))
    status = draw(st.one_of(st.just(status), st.integers(100, 599)))
    body = draw(BODIES)
    headers = draw(HEADERS)
    length = draw(
        st.one_of(
            st.just(str(len(body))),
            st.integers(0, len(body) + 10).map(str),
            st.just("nonsense"),
            st.none(),
        )
    )
    lines = [f"HTTP/1.1 {status} Whatever"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


class Answering:
    """The current answer, given to every request until changed."""

    def __init__(self) -> None:
        self.answer = b""

    def __call__(self, request: Received) -> list[Action]:
        return [self.answer, CLOSE]


@pytest.fixture(scope="module")
def fuzz_server() -> Iterator[tuple[HostileServer, Answering]]:
    answering = Answering()
    with HostileServer(answering) as server:
        yield server, answering


def _operations(
    client: ServiceClient, api: APIClient
) -> list[tuple[Callable[[], object], type | tuple[type, ...]]]:
    s = client.services
    return [
        (lambda: s.create(DEP, version_id="v"), Service),
        (lambda: s.get(DEP, SID), Service),
        (lambda: s.list(DEP), ServiceList),
        (lambda: s.update(DEP, SID, instance_number=2), Service),
        (lambda: s.delete(DEP, SID), ActionResult),
        (lambda: s.start(DEP, SID), ActionResult),
        (lambda: s.stop(DEP, SID), ActionResult),
        (lambda: s.logs(DEP, SID), LogPage),
        (lambda: s.predict(DEP, SID, json={"x": 1}), PredictResponse),
        (lambda: api.create_service(ORG, DEP, "v"), dict),
        (lambda: api.get_service(ORG, DEP, SID), dict),
        (lambda: api.get_services(ORG, DEP), dict),
        (lambda: api.update_service(ORG, DEP, SID, {"instance_number": 2}), dict),
        (lambda: api.delete_service(ORG, DEP, SID), dict),
        (lambda: api.start_service(ORG, DEP, SID), dict),
        (lambda: api.stop_service(ORG, DEP, SID), dict),
        (lambda: api.get_service_recent_logs(ORG, DEP, SID), dict),
        (lambda: api.request_service(ORG, DEP, SID, json={}), object),
    ]


@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@pytest.mark.parametrize("kind", KINDS)
@given(answer=raw_answers())
@pytest.mark.long
def test_any_answer_gives_a_model_or_our_error(
    fuzz_server: tuple[HostileServer, Answering],
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    answer: bytes,
) -> None:
    server, answering = fuzz_server
    answering.answer = answer
    monkeypatch.setenv("ABEJA_API_URL", server.url)  # the same for every example
    monkeypatch.setenv("ABEJA_SERVICE_URL_TEMPLATE", server.url + "/o/{organization_id}")
    options: dict[str, Any] = {"timeout": 0.5, "deadline": 1.0, "sleep": lambda s: None}
    with (
        make_client(
            kind,
            ORG,
            base_url=server.url,
            credential={"auth_token": "t"},
            service_url_template=server.url + "/o/{organization_id}",
            max_retries=0,
            **options,
        ) as client,
        APIClient(credential={"auth_token": "t"}, max_retry_count=0, **options) as api,
    ):
        for call, expected in _operations(client, api):
            try:
                result = call()
            except Error:
                continue
            assert isinstance(result, expected)
            if isinstance(result, PredictResponse):
                for view in (
                    result.json,
                    lambda r=result: r.text,
                    lambda r=result: r.model_version,
                ):
                    with contextlib.suppress(Error):
                        view()


IDS = st.one_of(
    st.text(max_size=40),
    st.text(alphabet="abc-_.0123456789", min_size=1, max_size=20),
    st.none(),
    st.integers(),
)


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@pytest.mark.parametrize("kind", KINDS)
@given(dep=IDS, sid=IDS, environment=st.dictionaries(st.text(max_size=10), st.text(max_size=10)))
@pytest.mark.long
def test_any_ids_and_payloads_are_refused_or_sent_exactly(
    emulator: ServiceEmulator, kind: str, dep: Any, sid: Any, environment: Any
) -> None:
    emulator.forget_requests()
    with emulated_client(kind, emulator) as client:
        _send_each(client, emulator, dep, sid, environment)


def _send_each(
    client: Any, emulator: ServiceEmulator, dep: Any, sid: Any, environment: Any
) -> None:
    sent: list[tuple[str, str]] = []
    calls = [
        ("GET", lambda: client.services.get(dep, sid)),
        ("PATCH", lambda: client.services.update(dep, sid, environment=environment)),
        ("POST", lambda: client.services.create(dep, version_id="v", environment=environment)),
        ("DELETE", lambda: client.services.delete(dep, sid)),
    ]
    for method, call in calls:
        before = emulator.count()
        try:
            call()
        except (TypeError, ValueError):
            assert emulator.count() == before  # refused before the network
            continue
        except Error:
            pass  # sent, and the emulator said no (404 and the like)
        sent.append((method, emulator.requests[-1].path))
    for method, path in sent:
        org = emulator.organization_id
        base = f"/organizations/{org}/deployments/{quote(str(dep), safe='')}/services"
        expected = base if method == "POST" else f"{base}/{quote(str(sid), safe='')}"
        assert path == expected
    served = emulator.requests
    for request in served:
        if request.method in ("POST", "PATCH"):
            assert request.json()["environment"] == environment
