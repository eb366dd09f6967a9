"""What watches or stands in for httpx sees ``AsyncServiceClient``'s calls: OpenTelemetry's
httpx instrumentation (a span per attempt), respx and pytest-httpx (answers the emulator
never sees). The async twin of ``test_visibility.py``."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import respx
from opentelemetry.instrumentation.httpx import HTTPXClientInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from pytest_httpx import HTTPXMock

from abeja.exceptions import NotFound
from abeja.services import AsyncServiceClient
from abeja.services.testing import ServiceEmulator

from .. import reference_examples as ref

SID = str(ref.GET["service_id"])


def _client(emulator: ServiceEmulator) -> AsyncServiceClient:
    async def no_sleep(seconds: float) -> None:
        return None

    return AsyncServiceClient(
        emulator.organization_id,
        base_url=emulator.url,
        credential=emulator.credential,
        service_url_template=emulator.service_url_template,
        sleep=no_sleep,
    )


def _service_url(emulator: ServiceEmulator) -> str:
    return (
        f"{emulator.url}/organizations/{emulator.organization_id}"
        f"/deployments/{emulator.deployment_id}/services/{SID}"
    )


def test_opentelemetry_records_a_span_per_attempt() -> None:
    exporter = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    instrumentor = HTTPXClientInstrumentor()
    instrumentor.instrument(tracer_provider=provider)

    async def refresh(emulator: ServiceEmulator) -> None:
        async with _client(emulator) as client:
            created = await client.services.create(
                emulator.deployment_id, version_id=emulator.version_id
            )
            exporter.clear()
            emulator.inject("get", status=503, times=1)
            await created.refresh()

    try:
        with ServiceEmulator() as emulator:
            asyncio.run(refresh(emulator))
            assert emulator.count("get") == 2
    finally:
        instrumentor.uninstrument()
    spans = exporter.get_finished_spans()
    assert [span.name for span in spans] == ["GET", "GET"]  # one per attempt
    statuses = [
        (span.attributes or {}).get("http.status_code")
        or (span.attributes or {}).get("http.response.status_code")
        for span in spans
    ]
    assert statuses == [503, 200]


def test_respx_intercepts_our_calls() -> None:
    async def get(emulator: ServiceEmulator) -> None:
        async with _client(emulator) as client:
            with respx.mock(assert_all_called=True) as mocked:
                route = mocked.get(_service_url(emulator)).respond(
                    json=ref.GET, headers={"X-Request-Id": "req-1"}
                )
                got = await client.services.get(emulator.deployment_id, SID)
                assert got.model_version == ref.GET["model_version"]
                assert got.http_response is not None
                assert got.http_response.request_id == "req-1"
                sent = route.calls.last.request
                assert sent.headers["Authorization"].startswith("Bearer ")

    with ServiceEmulator() as emulator:
        asyncio.run(get(emulator))
        assert emulator.count() == 0  # respx answered


def test_pytest_httpx_answers_our_calls_and_our_errors_come_out(httpx_mock: HTTPXMock) -> None:
    async def get(emulator: ServiceEmulator) -> None:
        async with _client(emulator) as client:
            httpx_mock.add_response(url=_service_url(emulator), json=ref.GET)
            got = await client.services.get(emulator.deployment_id, SID)
            assert got.service_id == SID
            httpx_mock.add_response(
                url=_service_url(emulator), status_code=404, json={"error": "not_found"}
            )
            with pytest.raises(NotFound):
                await client.services.get(emulator.deployment_id, SID)

    with ServiceEmulator() as emulator:
        asyncio.run(get(emulator))
        assert emulator.count() == 0
    assert [request.method for request in httpx_mock.get_requests()] == ["GET", "GET"]
    assert isinstance(httpx_mock.get_requests()[0], httpx.Request)


def test_respx_answers_a_streamed_prediction() -> None:
    body = b"x" * 300_000

    async def stream(emulator: ServiceEmulator) -> list[int]:
        async with _client(emulator) as client:
            with respx.mock(assert_all_called=True) as mocked:
                route = mocked.post(url__regex=r".*/services/ser-.*").respond(content=body)
                streaming = client.services.with_streaming_response
                async with streaming.predict(emulator.deployment_id, SID, json={}) as answer:
                    sizes = [len(chunk) async for chunk in answer.iter_bytes(chunk_size=100_000)]
                assert route.calls.last.request.headers["Authorization"].startswith("Bearer ")
                return sizes

    with ServiceEmulator() as emulator:
        assert asyncio.run(stream(emulator)) == [100_000] * 3
        assert emulator.count() == 0  # respx answered
