"""``with_streaming_response``: a prediction's answer read as it arrives, on both clients,
over real HTTP on 127.0.0.1 (the emulator; a raw-socket server for bodies the emulator
does not send: huge, trickled, gzipped, cut short)."""

from __future__ import annotations

import asyncio
import gzip
import io
import json
import tracemalloc
from collections.abc import Callable, Iterator
from typing import Any

import pytest
import requests
import requests.adapters

from abeja.exceptions import APIConnectionError, APITimeoutError, BadRequest, Error
from abeja.services import AsyncServiceClient, ServiceClient
from abeja.services.testing import ServiceEmulator

from ..clients import KINDS, emulated_client, make_client
from ..hostile import CLOSE, Action, HostileServer, Received, answer

ORG, DEP, SID = "1111111111111", "9999999999999", "ser-1"
SERVICE = {"service_id": SID, "deployment_id": DEP, "status": "READY"}
MiB = 1024 * 1024


@pytest.fixture(params=KINDS)
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def _client(kind: str, server: HostileServer, **options: object) -> Any:
    return make_client(
        kind,
        ORG,
        base_url=server.url,
        credential={"auth_token": "streaming-test-token"},
        service_url_template=server.url + "/o/{organization_id}",
        sleep=lambda seconds: None,
        **options,
    )


def _chunked(pieces: list[bytes | float], headers: str = "") -> Callable[[Received], list[Action]]:
    """A 200 whose body is sent chunked, piece by piece (a float: a pause between)."""

    def script(request: Received) -> list[Action]:
        head = f"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n{headers}\r\n".encode()
        actions: list[Action] = [head]
        for piece in pieces:
            framed = b"%x\r\n%s\r\n" % (len(piece), piece) if isinstance(piece, bytes) else piece
            actions.append(framed)
        return [*actions, b"0\r\n\r\n"]

    return script


def _predict(client: Any) -> Any:
    """The streamed prediction every raw-socket test sends."""
    return client.services.with_streaming_response.predict(DEP, SID, json={})


def _zeros(total: int) -> Callable[[Received], Iterator[Action]]:
    """A 200 of ``total`` zero bytes, sent a MiB at a time as the client reads them."""

    def script(request: Received) -> Iterator[Action]:
        if request.method != "POST":
            yield answer(200, json.dumps(SERVICE).encode())
            return
        yield answer(200, b"", length=total, headers={"Content-Type": "application/octet-stream"})
        chunk = b"\0" * MiB
        for _ in range(total // MiB):
            yield chunk

    return script


def test_a_prediction_streams_as_predict_answers_it(kind: str, emulator: ServiceEmulator) -> None:
    with emulated_client(kind, emulator) as client:
        service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
        whole = client.services.predict(emulator.deployment_id, service.service_id, json={"n": 1})
        emulator.forget_requests()
        streaming = client.services.with_streaming_response.predict
        with streaming(emulator.deployment_id, service.service_id, json={"n": 1}) as answer_:
            assert emulator.count("predict") == 1  # sent when the block is entered
            assert answer_.status_code == 200 and answer_.request_id
            assert answer_.headers["X-Abeja-Service-Id"] == service.service_id
            assert answer_.http.content == b""  # nothing read yet
            body = b"".join(answer_.iter_bytes())
            assert answer_.is_closed
        assert body == whole.content
        seen = [r for r in emulator.requests if r.route == "predict"]
        assert len(seen) == 1 and seen[0].json() == {"n": 1}
        assert seen[0].headers["Authorization"].startswith("Bearer ")
        assert client._transport.checked_out() == 0  # noqa: SLF001 - the pool, as tested


def test_an_endpoint_prediction_streams_through_its_route(
    kind: str, emulator: ServiceEmulator
) -> None:
    with emulated_client(kind, emulator) as client:
        service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
        client.endpoints.create(emulator.deployment_id, service_id=service.service_id)
        emulator.forget_requests()
        streaming = client.endpoints.with_streaming_response
        with streaming.predict(emulator.deployment_id, json={"n": 2}) as answer_:
            text = answer_.read()
        assert b'"n": 2' in text or b'"n":2' in text
        seen = emulator.requests[-1]
        assert (seen.method, seen.route) == ("POST", "predict_endpoint")
        assert seen.path.endswith(f"/deployments/{emulator.deployment_id}")


def test_an_error_answer_raises_on_entering_as_predict_raises_it(kind: str) -> None:
    def script(request: Received) -> list[Action]:
        return [answer(400, b'{"error": "bad_request", "error_description": "no"}')]

    with HostileServer(script) as server, _client(kind, server) as client:
        call = client.services.with_streaming_response.predict(DEP, SID, json={})
        assert server.received == []  # nothing is sent before the block
        with pytest.raises(BadRequest), call:
            pytest.fail("the block is not entered")
        assert len(server.received) == 1
        assert client._transport.checked_out() == 0  # noqa: SLF001


def test_bad_input_raises_on_entering_before_anything_is_sent(kind: str) -> None:
    with HostileServer(_zeros(MiB)) as server, _client(kind, server) as client:
        call = client.services.with_streaming_response.predict(DEP, SID, json={}, data=b"x")
        with pytest.raises(ValueError, match="json"), call:
            pass
        call = client.services.with_streaming_response.predict(DEP, "no/such", json={})
        with pytest.raises(ValueError, match="service_id"), call:
            pass
    assert server.received == []


def _streamed_peak(kind: str, total: int, chunk_size: int | None) -> tuple[int, int]:
    """Bytes streamed of a ``total``-byte answer, and the traced peak while reading it."""
    with HostileServer(_zeros(total)) as server, _client(kind, server) as client:
        tracemalloc.start()
        try:
            seen = 0
            with _predict(client) as answer_:
                for chunk in answer_.iter_bytes(chunk_size):
                    seen += len(chunk)
            return seen, tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()


def test_a_large_answer_streams_in_bounded_memory(kind: str) -> None:
    seen, peak = _streamed_peak(kind, 64 * MiB, None)
    assert seen == 64 * MiB
    assert peak < 4 * MiB  # the whole body would be 64


@pytest.mark.long  # a gigabyte through the loopback: about 10 s a client
def test_a_gibibyte_answer_streams_in_under_50_mb(kind: str) -> None:
    seen, peak = _streamed_peak(kind, 1024 * MiB, MiB)
    print(f"streamed 1 GiB ({kind}): traced peak {peak / MiB:.2f} MiB")
    assert seen == 1024 * MiB and peak < 50 * MiB


def test_a_body_read_to_its_end_gives_its_connection_back_and_one_left_unread_closes_it(
    kind: str,
) -> None:
    with HostileServer(_zeros(4 * MiB)) as server, _client(kind, server) as client:
        streaming = client.services.with_streaming_response
        with streaming.predict(DEP, SID, json={}) as answer_:
            assert len(answer_.read()) == 4 * MiB
        with streaming.predict(DEP, SID, json={}) as answer_:  # the same connection
            assert next(iter(answer_.iter_bytes()))
        assert answer_.is_closed
        assert client._transport.checked_out() == 0  # noqa: SLF001
        with streaming.predict(DEP, SID, json={}) as answer_:  # a new one: that was closed
            assert answer_.status_code == 200
    assert [r.connection for r in server.received] == [0, 0, 1]


def test_lines_are_split_on_every_line_end_even_across_chunks(kind: str) -> None:
    pieces: list[bytes | float] = [b"one\r", 0.05, b"\ntwo\n", 0.05, b"thr", b"ee\rfour\n\n"]
    with (
        HostileServer(_chunked([*pieces, b"end"])) as server,
        _client(kind, server) as client,
        _predict(client) as answer_,
    ):
        lines = list(answer_.iter_lines())
    assert lines == ["one", "two", "three", "four", "", "end"]


def test_bytes_come_in_the_chunk_size_asked_for_and_inflated(kind: str) -> None:
    body = bytes(range(256)) * 1000
    packed = gzip.compress(body)
    pieces: list[bytes | float] = [packed[i : i + 5000] for i in range(0, len(packed), 5000)]
    script = _chunked(pieces, headers="Content-Encoding: gzip\r\n")
    with (
        HostileServer(script) as server,
        _client(kind, server) as client,
        _predict(client) as answer_,
    ):
        sizes = [len(chunk) for chunk in answer_.iter_bytes(chunk_size=1000)]
        with pytest.raises(Error, match="read once"):
            answer_.read()
    assert sizes == [1000] * 256


def test_a_body_cut_short_raises_a_connection_error_that_may_have_applied(kind: str) -> None:
    def script(request: Received) -> list[Action]:
        return [answer(200, b"", length=8 * MiB), b"\0" * MiB, CLOSE]

    with HostileServer(script) as server, _client(kind, server, max_retries=3) as client:
        with _predict(client) as answer_, pytest.raises(APIConnectionError) as raised:
            for _ in answer_.iter_bytes():
                pass
        assert raised.value.may_have_applied is True
        assert "streaming-test-token" not in str(raised.value)
        assert client._transport.checked_out() == 0  # noqa: SLF001
    assert len(server.received) == 1  # never sent again: the model answered


def test_each_read_has_the_timeout_and_the_deadline_ends_with_the_head(kind: str) -> None:
    steady: list[bytes | float] = [b"x" * 10, 0.15] * 6  # 0.9 s in all, a piece every 0.15 s
    with (
        HostileServer(_chunked(steady)) as server,
        _client(kind, server, timeout=0.5, deadline=0.3) as client,
        _predict(client) as answer_,
    ):
        assert answer_.read() == b"x" * 60  # past the deadline: each read was in time
    stalled: list[bytes | float] = [b"x", 2.0, b"y"]
    with (
        HostileServer(_chunked(stalled)) as server,
        _client(kind, server, timeout=0.3, max_retries=0) as client,
    ):
        with _predict(client) as answer_, pytest.raises(APITimeoutError) as raised:
            answer_.read()
        assert raised.value.may_have_applied is True
        assert client._transport.checked_out() == 0  # noqa: SLF001


def test_an_async_read_cancelled_mid_body_closes_its_connection() -> None:
    stalled: list[bytes | float] = [b"x" * 1000, 5.0, b"y"]

    async def cancelled(client: AsyncServiceClient) -> int:
        streaming = client.services.with_streaming_response
        async with streaming.predict(DEP, SID, json={}) as answer_:
            chunks = answer_.iter_bytes()
            assert await anext(chunks) == b"x" * 1000
            reading = asyncio.ensure_future(anext(chunks))
            await asyncio.sleep(0.1)
            reading.cancel()
            with pytest.raises(asyncio.CancelledError):
                await reading
            assert answer_.is_closed
        return client._transport.checked_out()  # noqa: SLF001

    with HostileServer(_chunked(stalled)) as server:
        client = AsyncServiceClient(
            ORG, base_url=server.url, credential={"auth_token": "t"},
            service_url_template=server.url + "/o/{organization_id}",
        )  # fmt: skip

        async def run() -> int:
            async with client:
                return await cancelled(client)

        assert asyncio.run(run()) == 0


def test_each_piece_is_handed_on_as_it_arrives(kind: str) -> None:
    pieces: list[bytes | float] = [b"first piece", 1.0, b"second"]
    with (
        HostileServer(_chunked(pieces)) as server,
        _client(kind, server) as client,
        _predict(client) as answer_,
    ):
        chunks = iter(answer_.iter_bytes())
        assert next(chunks) == b"first piece"  # not held back until more comes
        assert b"".join(chunks) == b"second"


class _FileAdapter(requests.adapters.BaseAdapter):
    """A user's adapter answering from memory, its raw answer a plain file (no ``read1``)."""

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        response = requests.Response()
        response.status_code, response.url, response.request = 200, str(request.url), request
        response.raw = io.BytesIO(b"a\nb\n" * 50_000)
        return response

    def close(self) -> None:
        pass


def test_a_users_adapter_whose_answer_has_no_read1_streams_too() -> None:
    session = requests.Session()
    session.mount("http://", _FileAdapter())
    with ServiceClient(ORG, base_url="http://api.invalid", credential={"auth_token": "t"},
                       session=session) as client:  # fmt: skip
        streaming = client.services.with_streaming_response
        with streaming.predict(DEP, SID, json={}) as answer_:
            lines = list(answer_.iter_lines())
    assert lines == ["a", "b"] * 50_000


def test_a_users_adapter_whose_answer_has_no_read1_is_read_whole_too() -> None:
    session = requests.Session()
    session.mount("http://", _FileAdapter())
    with ServiceClient(ORG, base_url="http://api.invalid", credential={"auth_token": "t"},
                       session=session) as client:  # fmt: skip
        assert client.services.predict(DEP, SID, json={}).content == b"a\nb\n" * 50_000
