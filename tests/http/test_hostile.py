"""Against a hostile server (raw sockets on 127.0.0.1): deadlines hold, sizes are capped,
a 1xx is never taken as the answer, and nothing is resent or followed that should not be.

Durations here are real (sockets wait in real time); each test's bound is the deadline
under test plus the one second of slack the policy allows.
"""

from __future__ import annotations

import functools
import json
import tracemalloc
from collections.abc import Callable, Iterable, Iterator
from typing import Any

import pytest

from abeja.exceptions import (
    APIConnectionError,
    APITimeoutError,
    HttpError,
    InternalServerError,
    ResponseTooLargeError,
    ServiceUnavailable,
    WaitTimeoutError,
)

from ..clients import KINDS, make_client
from ..hostile import CLOSE, Action, HostileServer, Received, answer, gzip_bomb
from ..hostile import timed as _timed

ORG, DEP, SID = "1111111111111", "9999999999999", "ser-1"
SERVICE = {"service_id": SID, "deployment_id": DEP, "status": "READY"}
MiB = 1024 * 1024


@pytest.fixture(params=KINDS, autouse=True)
def kind(request: pytest.FixtureRequest) -> str:
    """Every test runs against both clients: ServiceClient and AsyncServiceClient."""
    global _KIND
    _KIND = request.param
    return str(request.param)


_KIND = "sync"


def _client(server: HostileServer, **options: object) -> Any:
    settings: dict[str, object] = {
        "base_url": server.url,
        "credential": {"auth_token": "hostile-test-token"},
        "service_url_template": server.url + "/o/{organization_id}",
        "sleep": lambda seconds: None,
        **options,
    }
    return make_client(_KIND, ORG, **settings)


def test_a_silent_server_costs_at_most_the_deadline() -> None:
    with (
        HostileServer(lambda request: [60.0]) as server,
        _client(server, timeout=0.2, deadline=1.0, max_retries=5) as client,
    ):
        elapsed, error = _timed(lambda: client.services.get(DEP, SID))
    assert isinstance(error, APITimeoutError)
    assert elapsed <= 1.0 + 1.0
    assert 2 <= len(server.received) <= 6  # it retried within the deadline, and stopped


def test_a_trickled_body_cannot_outlast_the_deadline() -> None:
    body = json.dumps(SERVICE).encode()
    head = answer(200, b"", length=len(body))

    def trickle(request: Received) -> Iterable[Action]:
        yield head
        for byte in body:
            yield 0.1  # each byte well within the read timeout
            yield bytes([byte])

    with (
        HostileServer(trickle) as server,
        _client(server, timeout=0.5, deadline=1.0, max_retries=0) as client,
    ):
        elapsed, error = _timed(lambda: client.services.get(DEP, SID))
    assert isinstance(error, APITimeoutError) and "deadline" in str(error)
    assert elapsed <= 1.0 + 1.0


def test_a_retry_after_past_the_deadline_is_not_waited_for() -> None:
    sleeps: list[float] = []
    refuse = answer(503, b'{"error": "busy"}', reason="Busy", headers={"Retry-After": "30"})
    with (
        HostileServer(lambda request: [refuse]) as server,
        _client(server, deadline=5.0, sleep=sleeps.append) as client,
        pytest.raises(ServiceUnavailable) as caught,
    ):
        client.services.get(DEP, SID)
    assert caught.value.retry_after == 30
    assert sleeps == [] and len(server.received) == 1


def test_a_1xx_answer_is_refused_and_its_connection_never_reused() -> None:
    """The 103's trailing 200 belongs to no one: the next request gets its own answer."""

    def script(request: Received) -> Iterable[Action]:
        mine = json.dumps({**SERVICE, "service_id": f"ser-{len(server.received)}"}).encode()
        if request.connection == 0:
            return [b"HTTP/1.1 103 Early Hints\r\nLink: </s.css>\r\n\r\n" + answer(200, mine)]
        return [answer(200, mine)]

    with HostileServer(script) as server, _client(server) as client:
        got = client.services.get(DEP, SID)  # idempotent: retried on a new connection
        again = client.services.get(DEP, SID)
    assert (got.service_id, again.service_id) == ("ser-2", "ser-3")
    assert [r.connection for r in server.received] == [0, 1, 1]


def test_a_1xx_answer_to_a_post_is_an_error_that_may_have_applied() -> None:
    stale = answer(200, b'{"answer": "for the first request"}')

    def script(request: Received) -> Iterable[Action]:
        if request.connection == 0:
            return [b"HTTP/1.1 103 Early Hints\r\n\r\n" + stale]
        return [answer(200, json.dumps({"answer": request.body.decode()}).encode())]

    with HostileServer(script) as server, _client(server) as client:
        with pytest.raises(APIConnectionError, match="informational") as caught:
            client.services.predict(DEP, SID, json={"n": 1})
        assert caught.value.may_have_applied
        second = client.services.predict(DEP, SID, json={"n": 2})
    assert second.json() == {"answer": '{"n":2}'}
    assert [r.connection for r in server.received] == [0, 1]


def test_a_read_timeout_during_the_body_is_a_timeout_error() -> None:
    head = answer(200, b"", length=100)
    with (
        HostileServer(lambda request: [head, b"{", 60.0]) as server,
        _client(server, timeout=0.2, max_retries=0) as client,
        pytest.raises(APITimeoutError),
    ):
        client.services.get(DEP, SID)


def _stream_zeros(total: int, head: bytes) -> Callable[[Received], Iterator[Action]]:
    def script(request: Received) -> Iterator[Action]:
        yield head
        chunk = b"\0" * MiB
        for _ in range(total // MiB):
            yield chunk

    return script


def _peak_during(call: Callable[[], object]) -> tuple[int, BaseException | None]:
    tracemalloc.start()
    try:
        _, error = _timed(call)
        return tracemalloc.get_traced_memory()[1], error
    finally:
        tracemalloc.stop()


def test_an_endless_api_answer_stops_at_the_cap_with_bounded_memory() -> None:
    two_gib = 2 * 1024 * MiB
    script = _stream_zeros(two_gib, answer(200, b"", length=two_gib))
    with HostileServer(script) as server, _client(server, max_retries=0) as client:
        peak, error = _peak_during(lambda: client.services.list(DEP))
    assert isinstance(error, ResponseTooLargeError) and error.limit == 64 * MiB
    assert peak < 100 * MiB


def test_a_prediction_answer_is_capped_by_the_client_setting() -> None:
    script = _stream_zeros(50 * MiB, answer(200, b"", length=50 * MiB))
    with HostileServer(script) as server, _client(server, max_predict_bytes=MiB) as client:
        peak, error = _peak_during(lambda: client.services.predict(DEP, SID, json={}))
    assert isinstance(error, ResponseTooLargeError) and error.limit == MiB
    assert peak < 8 * MiB


@functools.cache
def _bomb() -> bytes:
    return gzip_bomb(64 * MiB)


def test_a_gzip_bomb_is_capped_by_its_decompressed_size() -> None:
    bomb = _bomb()
    assert len(bomb) < MiB  # over 64x amplification
    head = answer(200, b"", length=len(bomb), headers={"Content-Encoding": "gzip"})
    with (
        HostileServer(lambda request: [head + bomb]) as server,
        _client(server, max_predict_bytes=MiB) as client,
    ):
        peak, error = _peak_during(lambda: client.services.predict(DEP, SID, json={}))
    assert isinstance(error, ResponseTooLargeError)
    assert peak < 8 * MiB


def test_huge_error_bodies_are_read_only_up_to_their_cap_on_every_attempt() -> None:
    body = b"x" * (20 * MiB)
    failure = answer(500, body, reason="Internal Server Error")
    with (
        HostileServer(lambda request: [failure]) as server,
        _client(server, max_retries=2) as client,
    ):
        peak, error = _peak_during(lambda: client.services.get(DEP, SID))
    assert isinstance(error, InternalServerError)
    assert len(server.received) == 3
    assert peak < 4 * MiB


def test_a_redirect_is_not_followed_with_the_credential() -> None:
    with HostileServer(lambda request: [answer(200, json.dumps(SERVICE).encode())]) as other:
        moved = answer(302, b"", reason="Found", headers={"Location": other.url + "/steal"})
        with (
            HostileServer(lambda request: [moved, CLOSE]) as server,
            _client(server) as client,
            pytest.raises(HttpError) as caught,
        ):
            client.services.get(DEP, SID)
        assert caught.value.status_code == 302
        assert other.received == []


def test_a_wait_ends_by_its_own_timeout_against_a_silent_server() -> None:
    with HostileServer(lambda request: [60.0]) as server, _client(server) as client:
        elapsed, error = _timed(lambda: client.services.wait_until_ready(DEP, SID, timeout=1))
    assert isinstance(error, WaitTimeoutError)
    assert elapsed <= 1.0 + 1.0


def _endless_log(pause: float = 0.0) -> Callable[[Received], list[Action]]:
    """Every page has an event and a token never seen before."""
    pages = 0

    def script(request: Received) -> list[Action]:
        nonlocal pages
        pages += 1
        page = {
            "events": [{"message": f"event {pages}", "timestamp": "2026-01-01T00:00:00Z"}],
            "next_backward_token": f"b-{pages}",
            "next_forward_token": f"f-{pages}",
        }
        return [pause, answer(200, json.dumps(page).encode())]

    return script


def test_a_log_walk_against_endless_tokens_stops_at_its_page_cap() -> None:
    with HostileServer(_endless_log()) as server, _client(server) as client:
        events = list(client.services.iter_logs(DEP, SID, max_pages=50))
    assert len(events) == 50 and len(server.received) == 50


def test_a_log_walk_stops_at_its_timeout() -> None:
    with HostileServer(_endless_log(pause=0.1)) as server, _client(server) as client:
        elapsed, error = _timed(lambda: list(client.services.iter_logs(DEP, SID, timeout=0.5)))
    assert error is None
    assert elapsed <= 0.5 + 1.0
    assert len(server.received) <= 6


def test_a_host_name_that_does_not_resolve_is_named_within_seconds() -> None:
    """Resolution runs bounded by the timeout; retries reuse the failure instead of waiting."""
    with make_client(
        _KIND,
        ORG,
        base_url="http://api.does-not-exist.invalid",
        credential={"auth_token": "t"},
        timeout=2.0,
        sleep=lambda seconds: None,
    ) as client:
        elapsed, error = _timed(lambda: client.services.list(DEP))
    assert isinstance(error, APIConnectionError)
    assert "api.does-not-exist.invalid" in str(error) and "resolve" in str(error)
    assert elapsed <= 2.0 + 1.0
