"""What users plug into requests sees our calls; with nothing plugged in, the fast path runs.

OpenTelemetry's requests instrumentation (a span per attempt), ``responses`` and
``requests-mock`` (they intercept our calls), a session's hooks, default headers and
proxies all act, including when installed after the client was made.
"""

from __future__ import annotations

import re

import requests
import requests_mock
import responses
from opentelemetry.instrumentation.requests import RequestsInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from abeja.services import Service, ServiceClient
from abeja.services.testing import ServiceEmulator

from .. import reference_examples as ref


def _fast_sends(client: ServiceClient) -> int:
    return client._transport._sender.fast_sends  # noqa: SLF001 - what the test is about


def test_the_fast_path_runs_when_nothing_watches(client: ServiceClient, service: Service) -> None:
    before = _fast_sends(client)
    service.refresh()
    service.predict(json={})
    assert _fast_sends(client) == before + 2


def test_opentelemetry_records_a_span_per_attempt_even_when_instrumented_later(
    client: ServiceClient, emulator: ServiceEmulator, service: Service
) -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = RequestsInstrumentor()
    instrumentor.instrument(tracer_provider=provider)  # after the client was made
    try:
        emulator.inject("get", status=503, times=1)
        before = _fast_sends(client)
        service.refresh()
        assert _fast_sends(client) == before  # the watched path
    finally:
        instrumentor.uninstrument()
    names = [span.name for span in exporter.get_finished_spans()]
    assert names == ["GET", "GET"]  # one per attempt
    statuses = [
        (span.attributes or {}).get("http.status_code")  # the old conventions' name
        or (span.attributes or {}).get("http.response.status_code")
        for span in exporter.get_finished_spans()
    ]
    assert statuses == [503, 200]
    service.refresh()  # uninstrumented again: the fast path is back
    assert _fast_sends(client) == before + 1


def test_responses_intercepts_our_calls(client: ServiceClient, emulator: ServiceEmulator) -> None:
    url = (
        f"{emulator.url}/organizations/{emulator.organization_id}"
        f"/deployments/{emulator.deployment_id}/services/{ref.GET['service_id']}"
    )
    with responses.RequestsMock() as mocked:
        mocked.add(responses.GET, url, json=ref.GET, headers={"X-Request-Id": "req-1"})
        got = client.services.get(emulator.deployment_id, str(ref.GET["service_id"]))
    assert got.model_version == ref.GET["model_version"]
    assert emulator.count() == 0


def test_requests_mock_intercepts_our_calls(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    with requests_mock.Mocker() as mocked:
        mocked.get(requests_mock.ANY, json=ref.LIST)
        listed = client.services.list(emulator.deployment_id)
    assert [s.service_id for s in listed] == [ref.LIST["entries"][0]["service_id"]]  # type: ignore[index]
    assert emulator.count() == 0


def test_a_users_session_brings_its_hooks_and_default_headers(
    emulator: ServiceEmulator, service: Service
) -> None:
    seen: list[int] = []
    session = requests.Session()
    session.headers["X-Trace-Id"] = "trace-42"
    session.hooks["response"].append(lambda response, **kwargs: seen.append(response.status_code))
    emulator.inject("get", status=503, times=1)
    with emulator.client(session=session, sleep=lambda s: None) as client:
        client.services.get(emulator.deployment_id, service.service_id)
    assert seen == [503, 200]  # the hook fired on every attempt
    assert [r.headers.get("X-Trace-Id") for r in emulator.requests] == ["trace-42", "trace-42"]
    assert all(r.headers.get("Authorization") for r in emulator.requests)
    session.get(emulator.url + "/health_check")  # left open by the client's close()
    session.close()


def test_a_hook_added_to_the_clients_own_session_path_is_honoured(
    client: ServiceClient, service: Service
) -> None:
    """Even the client's own session: a response hook means the watched path."""
    seen: list[int] = []
    session = client._transport._session  # noqa: SLF001 - how a user would reach it is moot
    session.hooks["response"].append(lambda response, **kwargs: seen.append(response.status_code))
    try:
        service.refresh()
    finally:
        session.hooks["response"].clear()
    assert seen == [200]


def test_responses_answers_a_streamed_prediction(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    body = b"line one\nline two\n" * 1000
    with responses.RequestsMock() as mocked:
        mocked.add(responses.POST, re.compile(r".*/services/ser-.*"), body=body)
        streaming = client.services.with_streaming_response
        with streaming.predict(emulator.deployment_id, "ser-abc1111111111111", json={}) as answer:
            lines = list(answer.iter_lines())
        assert mocked.calls[0].request.headers["Authorization"].startswith("Bearer ")
    assert lines == ["line one", "line two"] * 1000
    assert emulator.count() == 0  # responses answered
