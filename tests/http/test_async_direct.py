"""The async client's fast path (``_async_direct``): which calls take it, that a server
sees what the httpx path sends, and what only a pool of its own could get wrong: a
connection the server closed while idle, a chunked gzip answer, an answer cut short.
Over real HTTP on 127.0.0.1 (a raw-socket server); the rest of the async suites run on
this path too, wherever Python is 3.11 or later."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import Iterable
from typing import Any

import httpx
import pytest

from abeja.exceptions import APIConnectionError
from abeja.services import AsyncServiceClient
from abeja.services._http._async._async_direct import SUPPORTED
from abeja.services._http._async._async_transport import unpooled_http_client

from .. import reference_examples as ref
from ..hostile import CLOSE, Action, HostileServer, Received, answer

pytestmark = pytest.mark.skipif(not SUPPORTED, reason="the fast path needs Python 3.11+")

ORG, DEP = "1111111111111", "9999999999999"
SID = str(ref.GET["service_id"])
SERVICE = json.dumps(ref.GET).encode()


def _client(server: HostileServer, **options: Any) -> AsyncServiceClient:
    return AsyncServiceClient(ORG, base_url=server.url, credential={"auth_token": "t"},
                              service_url_template=server.url + "/o/{organization_id}",
                              **{"max_retries": 0, **options})  # fmt: skip


def _fast_sends(client: AsyncServiceClient) -> int:
    return int(client._transport._http._transport.fast.sends)  # type: ignore[attr-defined]  # noqa: SLF001


async def _three_calls(client: AsyncServiceClient) -> None:
    async with client:
        await client.services.get(DEP, SID)
        await client.services.predict(DEP, SID, json={"x": [1, 2]})
        await client.services.predict(DEP, SID, data=b"\x00raw", content_type="image/png")


def test_the_default_client_takes_the_fast_path_and_sends_what_httpx_sends() -> None:
    """The same three calls on the default client and on one whose httpx client has an
    event hook (so httpx sends): the server reads the same requests."""

    async def hook(request: httpx.Request) -> None:
        return None

    seen: dict[str, list[Received]] = {}
    for path in ("fast", "httpx"):
        with HostileServer(lambda request: [answer(200, SERVICE)]) as server:
            options: dict[str, Any] = {}
            if path == "httpx":
                hooked = unpooled_http_client()
                hooked.event_hooks["request"] = [hook]
                options["http_client"] = hooked
            client = _client(server, **options)
            asyncio.run(_three_calls(client))
            assert _fast_sends(client) == (3 if path == "fast" else 0)
            seen[path] = server.received
    fast, slow = seen["fast"], seen["httpx"]
    assert [(r.method, r.path, r.body) for r in fast] == [(r.method, r.path, r.body) for r in slow]
    for ours, theirs in zip(fast, slow, strict=True):  # each server on a port of its own
        assert {**ours.headers, "host": "-"} == {**theirs.headers, "host": "-"}
        assert ours.headers["host"].startswith("127.0.0.1:")
    assert fast[2].headers["content-type"] == "image/png" and fast[2].body == b"\x00raw"
    assert fast[0].headers["authorization"] == "Bearer t"


def test_a_connection_the_server_closed_while_idle_is_not_used_for_the_next_post() -> None:
    """The server answers, then closes without saying so: the next POST (never resent:
    max_retries=0) goes on a new connection rather than fail on the dead one."""

    def script(request: Received) -> Iterable[Action]:
        return [answer(200, b'{"ok": true}'), CLOSE]

    async def two_posts(client: AsyncServiceClient) -> list[Any]:
        async with client:
            first = await client.services.predict(DEP, SID, json={"n": 1})
            await asyncio.sleep(0.1)  # the server's FIN arrives while the connection idles
            second = await client.services.predict(DEP, SID, json={"n": 2})
            return [first.json(), second.json()]

    with HostileServer(script) as server:
        answers = asyncio.run(two_posts(_client(server)))
    assert answers == [{"ok": True}, {"ok": True}]
    assert [r.connection for r in server.received] == [0, 1]


def _chunked_gzip(body: bytes) -> list[Action]:
    packed = gzip.compress(body)
    pieces = [packed[:10], packed[10:40], packed[40:]]
    head = (b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
            b"Content-Encoding: gzip\r\nTransfer-Encoding: chunked\r\n\r\n")  # fmt: skip
    chunks = b"".join(b"%x;ext=1\r\n%s\r\n" % (len(p), p) for p in pieces)
    return [head, chunks[:7], 0.01, chunks[7:], b"0\r\nX-Trailer: 1\r\n\r\n"]


def test_a_chunked_gzip_answer_is_read_whole_and_its_connection_kept() -> None:
    async def two_gets(client: AsyncServiceClient) -> list[str]:
        async with client:
            got = [await client.services.get(DEP, SID) for _ in range(2)]
            assert client._transport.checked_out() == 0  # noqa: SLF001
            return [service.service_id for service in got]

    with HostileServer(lambda request: _chunked_gzip(SERVICE)) as server:
        assert asyncio.run(two_gets(_client(server))) == [SID, SID]
    assert [r.connection for r in server.received] == [0, 0]


@pytest.mark.parametrize(
    "cut",
    [
        [answer(200, SERVICE, length=len(SERVICE) + 100), CLOSE],
        [b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nab", CLOSE],
        [b"HTTP/1.1 200 OK\r\nContent-Len", CLOSE],
    ],
    ids=["short-body", "short-chunk", "short-head"],
)
def test_an_answer_cut_short_is_a_connection_error_and_its_connection_is_dropped(
    cut: list[Action],
) -> None:
    """The POST may have applied (its request was sent); the next call takes a new
    connection and nothing stays checked out."""
    calls = 0

    def script(request: Received) -> Iterable[Action]:
        nonlocal calls
        calls += 1
        return cut if calls == 1 else [answer(200, b'{"ok": true}')]

    async def cut_then_fine(client: AsyncServiceClient) -> tuple[APIConnectionError, Any]:
        async with client:
            with pytest.raises(APIConnectionError) as raised:
                await client.services.predict(DEP, SID, json={})
            assert client._transport.checked_out() == 0  # noqa: SLF001
            after = await client.services.predict(DEP, SID, json={})
            return raised.value, after.json()

    with HostileServer(script) as server:
        error, after = asyncio.run(cut_then_fine(_client(server)))
    assert error.may_have_applied is True
    assert after == {"ok": True}
    assert [r.connection for r in server.received] == [0, 1]
