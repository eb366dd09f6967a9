"""``AsyncServiceClient`` where async differs: cancellation, concurrency, its own httpx
client, typed answers; over real HTTP on 127.0.0.1 (the emulator, or the raw-socket
hostile server), asserting what the server saw. The promises it shares with the sync
client are proven by the suites that run against both (``tests/clients.py``)."""

from __future__ import annotations

import asyncio
import inspect
import json
import resource
from collections.abc import Iterable

import httpx
import pytest

from abeja.exceptions import APIConnectionError, BadRequest, NotFound, ServiceUnavailable
from abeja.services import AsyncService, AsyncServiceClient, RawResponse, Service
from abeja.services.errors import ServiceNotBoundError
from abeja.services.testing import ServiceEmulator

from .hostile import Action, HostileServer, Received, answer

ORG, DEP, SID = "1111111111111", "9999999999999", "ser-1"


def _client(url: str, **options: object) -> AsyncServiceClient:
    settings: dict[str, object] = {
        "base_url": url,
        "credential": {"auth_token": "async-test-token"},
        "service_url_template": url + "/o/{organization_id}",
        "sleep": _no_sleep,
        **options,
    }
    return AsyncServiceClient(ORG, **settings)  # type: ignore[arg-type]


async def _no_sleep(seconds: float) -> None:
    return None


def _emulated(emulator: ServiceEmulator, **options: object) -> AsyncServiceClient:
    return AsyncServiceClient(
        emulator.organization_id,
        base_url=emulator.url,
        credential=emulator.credential,
        service_url_template=emulator.service_url_template,
        **options,  # type: ignore[arg-type]
    )


def test_the_lifecycle_through_the_emulator() -> None:
    async def lifecycle(emulator: ServiceEmulator) -> None:
        async with _emulated(emulator) as client:
            service = await client.services.create(
                emulator.deployment_id, version_id=emulator.version_id, environment={"A": "1"}
            )
            assert isinstance(service, Service) and service.status == "IN_PROGRESS"
            d, s = emulator.deployment_id, service.service_id
            ready = await client.services.wait_until_ready(d, s, poll_interval=0.05)
            assert ready.status == "READY"
            answer_ = await client.services.predict(d, s, json={"x": 1})
            assert answer_.json()["echo"] == {"x": 1}
            assert [e.service_id for e in (await client.services.list(d)).entries] == [s]
            updated = await client.services.update(d, s, instance_number=2)
            assert updated.instance_number == 2
            raw = await client.services.with_raw_response.get(d, s)
            assert (
                isinstance(raw, RawResponse) and raw.request_id == emulator.requests[-1].request_id
            )
            await client.services.stop(d, s)
            await client.services.wait_until_stopped(d, s, poll_interval=0.05)
            await client.services.delete(d, s)
            await client.services.wait_until_deleted(d, s, poll_interval=0.05)
            with pytest.raises(NotFound):
                await client.services.get(d, s)

    with ServiceEmulator(ready_delay=0.2) as emulator:
        asyncio.run(lifecycle(emulator))
        routes = [r.route for r in emulator.requests]
    assert routes.count("create") == 1 and routes.count("predict") == 1


def test_a_service_from_the_async_client_makes_its_own_calls() -> None:
    """``await service.wait_until_ready()``, ``await service.predict(...)``, ``async for``
    over ``service.iter_logs``: each sends what the manager's call sends."""
    seen: list[str] = []

    async def bound(emulator: ServiceEmulator) -> None:
        async with _emulated(emulator, sleep=_no_sleep) as client:
            d = emulator.deployment_id
            service = await client.services.create(d, version_id=emulator.version_id)
            assert isinstance(service, AsyncService) and isinstance(service, Service)
            ready = await service.wait_until_ready(
                poll_interval=0.05, on_status=lambda s: seen.append(s.status)
            )
            assert isinstance(ready, AsyncService) and ready.is_ready
            assert (await ready.predict(json={"x": 1})).json()["echo"] == {"x": 1}
            assert (await ready.update(instance_number=2)).instance_number == 2
            assert (await ready.refresh()).instance_number == 2
            listed = await client.services.list(d)
            assert [type(entry) for entry in listed] == [AsyncService]
            assert (await listed[0].logs()).events
            for n in range(7):
                emulator.add_log_line(ready.service_id, f"line {n}")
            messages = [event.message async for event in ready.iter_logs()]
            assert messages[:7] == [f"line {n}" for n in reversed(range(7))]
            assert len([event async for event in ready.iter_logs(limit=4)]) == 4
            await ready.stop()
            await ready.wait_until_stopped(poll_interval=0.05)
            await ready.start()
            await ready.delete()
            await ready.wait_until_deleted(poll_interval=0.05)

    with ServiceEmulator(ready_delay=0.1) as emulator:
        emulator.log_page_size = 3
        asyncio.run(bound(emulator))
        routes = [request.route for request in emulator.requests]
    assert seen[0] == "IN_PROGRESS" and seen[-1] == "READY"
    for route in ("create", "predict", "update", "list", "stop", "start", "delete"):
        assert routes.count(route) == 1, route
    assert routes.count("logs") >= 1 + 3 + 2  # one page; 3 events a page back; the limit's 2


def test_following_logs_ends_on_an_asyncio_event_or_at_cancellation() -> None:
    async def follow(emulator: ServiceEmulator) -> tuple[list[str], int]:
        stop = asyncio.Event()
        polling_on = asyncio.Event()  # the endless walk has polled a few times
        ticks = 0

        async def tick(seconds: float) -> None:
            nonlocal ticks
            ticks += 1
            emulator.add_log_line(sid, f"tick {ticks}")
            if ticks == 3:
                stop.set()
            if ticks == 6:
                polling_on.set()
            await asyncio.sleep(0)  # as a real sleep does, let the other tasks run

        async with _emulated(emulator, sleep=tick) as client:
            service = await client.services.create(
                emulator.deployment_id, version_id=emulator.version_id
            )
            sid = service.service_id
            emulator.clear_logs(sid)
            emulator.add_log_line(sid, "old")
            events = service.iter_logs(follow=True, poll_interval=1, stop_event=stop)
            messages = [event.message async for event in events]
            # A followed walk with no end is ended by cancelling its task.
            endless = asyncio.create_task(_drain(service.iter_logs(follow=True, poll_interval=1)))
            await polling_on.wait()  # not a wall-clock wait: a loaded machine is slow
            endless.cancel()
            with pytest.raises(asyncio.CancelledError):
                await endless
        return messages, ticks

    with ServiceEmulator(ready_delay=0) as emulator:
        messages, ticks = asyncio.run(follow(emulator))
    assert messages == ["old", "tick 1", "tick 2"]  # tick 3 came with the stop
    assert ticks > 3  # the endless walk polled on until cancelled


async def _drain(events: object) -> None:
    async for _ in events:  # type: ignore[attr-defined]
        pass


def test_a_hand_built_async_service_says_it_has_no_client() -> None:
    service = AsyncService(service_id="ser-1", deployment_id=DEP)
    with pytest.raises(ServiceNotBoundError, match="AsyncServiceClient.services"):
        asyncio.run(service.refresh())


def test_bad_input_is_refused_before_anything_is_sent() -> None:
    async def refused(emulator: ServiceEmulator) -> None:
        async with _emulated(emulator) as client:
            with pytest.raises(ValueError):
                await client.services.get(emulator.deployment_id, "../etc/passwd")
            with pytest.raises(ValueError):
                await client.services.create(emulator.deployment_id, version_id="v",
                                             instance_number=0)  # fmt: skip
            with pytest.raises(TypeError):
                await client.services.predict(emulator.deployment_id, "ser-1", data=42)  # type: ignore[arg-type]

    with ServiceEmulator() as emulator:
        asyncio.run(refused(emulator))
        assert emulator.count() == 0


@pytest.mark.long  # a soak figure: 1,000 calls in flight, about 7 s of a worker
def test_a_thousand_concurrent_calls_on_one_client_all_get_their_own_answer() -> None:
    async def many(emulator: ServiceEmulator) -> list[object]:
        async with _emulated(emulator) as client:
            service = await client.services.create(
                emulator.deployment_id, version_id=emulator.version_id
            )
            d, s = emulator.deployment_id, service.service_id
            calls = [client.services.predict(d, s, json={"i": i}) for i in range(1000)]
            answers = await asyncio.gather(*calls)
            return [a.json()["echo"]["i"] for a in answers]

    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with ServiceEmulator() as emulator:
        got = asyncio.run(many(emulator))
        assert emulator.count("predict") == 1000
        peers = {r.peer for r in emulator.requests if r.route == "predict"}
    grown_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before
    assert got == list(range(1000))
    # Connections reused, never more than the pool holds (100): none closed mid-burst (with
    # a keep-alive limit below the pool's, a loaded run opened 904 for the 1,000 calls).
    assert len(peers) <= 100
    assert grown_kib < 128 * 1024  # bounded (the emulator serves in this process too)


def test_a_cancelled_call_leaves_no_half_read_connection_and_a_post_is_not_resent() -> None:
    """The first answer trickles; the task is cancelled mid-body. The next call gets its
    own answer, on a new connection, and the cancelled POST was sent once."""

    def script(request: Received) -> Iterable[Action]:
        body = json.dumps({"answer": request.body.decode() or request.path}).encode()
        if request.connection == 0:
            yield answer(200, b"", length=len(body) + 1000)
            yield body[:5]
            yield 30.0  # the rest never comes in time
            return
        yield answer(200, body)

    async def cancelled(server: HostileServer) -> dict[str, object]:
        async with _client(server.url) as client:
            task = asyncio.ensure_future(client.services.predict(DEP, SID, json={"n": 1}))
            await asyncio.sleep(0.3)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
            second = await client.services.predict(DEP, SID, json={"n": 2})
            return second.json()

    with HostileServer(script) as server:
        second = asyncio.run(cancelled(server))
        received = [(r.connection, r.body) for r in server.received]
    assert second == {"answer": '{"n":2}'}
    assert received == [(0, b'{"n":1}'), (1, b'{"n":2}')]


def test_asyncio_timeout_around_a_call_is_a_cancellation_too() -> None:
    def script(request: Received) -> Iterable[Action]:
        yield 30.0

    async def timed_out(server: HostileServer) -> None:
        async with _client(server.url) as client:
            with pytest.raises(asyncio.TimeoutError):  # TimeoutError itself since 3.11
                await asyncio.wait_for(client.services.get(DEP, SID), 0.3)

    with HostileServer(script) as server:
        asyncio.run(timed_out(server))
        assert len(server.received) == 1  # not retried behind the caller's back


def test_no_httpx_exception_escapes() -> None:
    async def failures() -> list[BaseException]:
        seen: list[BaseException] = []
        async with _client("http://127.0.0.1:9", max_retries=1) as client:
            for call in (client.services.get(DEP, SID), client.services.predict(DEP, SID)):
                try:
                    await call
                except Exception as error:  # noqa: BLE001 - which exception is the point
                    seen.append(error)
        return seen

    seen = asyncio.run(failures())
    assert len(seen) == 2 and all(isinstance(e, APIConnectionError) for e in seen)
    assert not any(isinstance(e, httpx.HTTPError) for e in seen)
    assert "could not connect" in str(seen[0]) and not seen[0].may_have_applied  # type: ignore[attr-defined]


def test_a_users_own_httpx_client_is_used_and_left_open() -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(f"{request.method} {request.url.path}")

    async def own(emulator: ServiceEmulator) -> bool:
        http = httpx.AsyncClient(event_hooks={"request": [hook]})
        async with _emulated(emulator, http_client=http) as client:
            with pytest.raises(NotFound):
                await client.services.get(emulator.deployment_id, "ser-0000000000000000")
        closed = http.is_closed
        await http.aclose()
        return closed

    with ServiceEmulator() as emulator:
        closed = asyncio.run(own(emulator))
    assert seen == [
        f"GET /organizations/{emulator.organization_id}/deployments/"
        f"{emulator.deployment_id}/services/ser-0000000000000000"
    ]
    assert closed is False


def test_a_post_answered_503_is_not_resent_and_may_have_applied() -> None:
    def script(request: Received) -> Iterable[Action]:
        yield answer(503, b'{"error": "busy"}', reason="Busy")

    async def refused(server: HostileServer) -> None:
        async with _client(server.url, max_retries=3) as client:
            with pytest.raises(ServiceUnavailable) as caught:
                await client.services.create(DEP, version_id="ver-1")
            assert caught.value.may_have_applied

    with HostileServer(script) as server:
        asyncio.run(refused(server))
        assert len(server.received) == 1


def test_with_options_shares_the_connections_and_keeps_the_policy() -> None:
    async def options(emulator: ServiceEmulator) -> None:
        async with _emulated(emulator) as client:
            quick = client.with_options(timeout=5, max_retries=0)
            assert quick.timeout == 5 and quick.max_retries == 0 and client.max_retries == 5
            await quick.aclose()  # leaves the connections to client
            with pytest.raises(BadRequest):
                await client.services.update(emulator.deployment_id, "ser-0000000000000000",
                                             instance_number=99)  # fmt: skip

    with ServiceEmulator() as emulator:
        with pytest.raises(ValueError):  # 99 is refused before sending
            asyncio.run(options(emulator))
        assert emulator.count() == 0
    assert "async-test-token" not in repr(_client("http://127.0.0.1:9"))


# The async client's names for what the sync client returns and takes.
_SYNC_TERMS = {
    "AsyncService": "Service",
    "AsyncServiceList": "ServiceList",
    "AsyncEndpoint": "Endpoint",
    "AsyncEndpointList": "EndpointList",
    "AsyncIterator[LogEvent]": "Iterator[LogEvent]",
    # predict_batch: the async one also takes an async iterable, and gives a coroutine of
    # the report (with output) or an async iterator of the results (without).
    "Iterable[Mapping[str, Any]] | AsyncIterable[Mapping[str, Any]]": "Iterable[Mapping[str, Any]]",
    "Coroutine[Any, Any, BatchReport] | AsyncBatchRun": "BatchReport | SyncBatchRun",
}


def _in_sync_terms(signature: inspect.Signature) -> inspect.Signature:
    def sync(annotation: object) -> object:
        return (
            _SYNC_TERMS.get(annotation, annotation) if isinstance(annotation, str) else annotation
        )

    parameters = [p.replace(annotation=sync(p.annotation)) for p in signature.parameters.values()]
    return signature.replace(
        parameters=parameters, return_annotation=sync(signature.return_annotation)
    )


def test_the_async_calls_have_the_sync_ones_signatures() -> None:
    from abeja.services import AsyncEndpoints, AsyncServices, Endpoints, ServiceClient, Services

    for sync_manager, async_manager in ((Services, AsyncServices), (Endpoints, AsyncEndpoints)):
        names = {n for n, v in vars(sync_manager).items() if callable(v) and n[0] != "_"}
        assert names <= set(vars(async_manager))
        for name in sorted(names):
            sync, coro = getattr(sync_manager, name), getattr(async_manager, name)
            if name == "iter_logs":  # an async iterator, stopped by any Event
                assert inspect.isasyncgenfunction(AsyncServices._walk)
            elif name == "predict_batch":  # checked when called: a coroutine or an iterator
                assert not inspect.iscoroutinefunction(coro)
            else:
                assert inspect.iscoroutinefunction(coro), name
            assert _in_sync_terms(inspect.signature(coro)) == inspect.signature(sync), name
    sync_init = inspect.signature(ServiceClient.__init__).parameters
    async_init = inspect.signature(AsyncServiceClient.__init__).parameters
    assert [p for p in sync_init if p != "session"] == [p for p in async_init if p != "http_client"]
