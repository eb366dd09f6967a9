"""The fast path's own wire (``_direct``: http.client connections kept per origin) where
the rest of the suite does not reach it: TLS made by it, verified against the CA bundle
the client was given, and its connections reused, closed and told apart as urllib3's
were. Over real HTTP(S) on 127.0.0.1."""

from __future__ import annotations

import contextlib
import json
import socket
import threading
from pathlib import Path

import pytest

from abeja.exceptions import APIConnectionError
from abeja.services import Service, ServiceClient
from abeja.services.testing import ServiceEmulator

from .. import reference_examples as ref

ORG, DEP, SID = "1111111111111", "9999999999999", str(ref.GET["service_id"])


def _client(url: str) -> ServiceClient:
    return ServiceClient(
        ORG, base_url=url, credential={"auth_token": "t"}, sleep=lambda s: None, max_retries=1
    )


def test_tls_is_verified_against_the_given_ca_bundle_and_its_connection_reused(
    tls_server: tuple[str, list[str]],
    certificate: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, peers = tls_server
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
    with _client(url) as client:
        for _ in range(3):
            assert client.services.get(DEP, SID).service_id == SID
        assert client._transport._sender.fast_sends == 3  # noqa: SLF001 - the path tested
        assert client._transport.checked_out() == 0  # noqa: SLF001
    assert len(peers) == 3 and len(set(peers)) == 1  # one TLS connection for the three


def test_a_certificate_no_ca_vouches_for_is_refused_before_anything_is_sent(
    tls_server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    url, peers = tls_server
    monkeypatch.delenv("REQUESTS_CA_BUNDLE", raising=False)
    monkeypatch.delenv("CURL_CA_BUNDLE", raising=False)
    with _client(url) as client, pytest.raises(APIConnectionError) as raised:
        client.services.get(DEP, SID)
    assert "TLS error" in str(raised.value) and "CERTIFICATE_VERIFY_FAILED" in str(raised.value)
    assert raised.value.may_have_applied is False
    assert peers == []  # no request reached the handler


def test_connections_are_reused_when_the_process_holds_over_1024_descriptors(
    tls_server: tuple[str, list[str]],
    certificate: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """select() cannot watch a descriptor numbered 1024 or more; the stale-connection check
    must still work there (a server process with many sockets open is the usual case)."""
    import os
    import resource

    if resource.getrlimit(resource.RLIMIT_NOFILE)[0] < 1200:
        pytest.skip("this machine allows fewer than 1,200 open descriptors")
    held = [os.open(os.devnull, os.O_RDONLY) for _ in range(1100)]
    try:
        url, peers = tls_server
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
        with _client(url) as client:
            for _ in range(3):
                client.services.get(DEP, SID)
    finally:
        for fd in held:
            os.close(fd)
    assert len(peers) == 3 and len(set(peers)) == 1  # one connection, its fd above 1024


class _Staling:
    """A raw HTTP server that answers each request with keep-alive; once told (``idle``,
    the first answer read), it closes the first connection, or writes to it unasked
    (``then``), and says so (``acted``)."""

    def __init__(self, then: str) -> None:
        self.then = then
        self.idle = threading.Event()
        self.acted = threading.Event()
        self.requests: list[tuple[int, str]] = []  # (connection number, request line)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self.url = f"http://127.0.0.1:{self._listener.getsockname()[1]}"
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        number = 0
        while True:
            try:
                conn, _ = self._listener.accept()
            except OSError:
                return
            number += 1
            threading.Thread(target=self._answer_on, args=(conn, number), daemon=True).start()

    def _answer_on(self, conn: socket.socket, number: int) -> None:
        with conn, contextlib.suppress(OSError):  # the client may reset a stale one
            self._answer(conn, number)

    def _answer(self, conn: socket.socket, number: int) -> None:
        pending = b""
        while True:
            while b"\r\n\r\n" not in pending:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                pending += chunk
            head, _, pending = pending.partition(b"\r\n\r\n")
            length = next(
                (int(line.split(b":")[1]) for line in head.split(b"\r\n")
                 if line.lower().startswith(b"content-length:")), 0,
            )  # fmt: skip
            while len(pending) < length:
                pending += conn.recv(65536)
            pending = pending[length:]
            self.requests.append((number, head.split(b"\r\n")[0].decode()))
            body = json.dumps(ref.GET).encode()
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                + f"Content-Length: {len(body)}\r\n\r\n".encode()
                + body
            )
            if number == 1:
                self.idle.wait(5)
                if self.then == "writes":  # as a server timing a connection out does
                    conn.sendall(b"HTTP/1.1 408 Request Timeout\r\nContent-Length: 0\r\n\r\n")
                    self.acted.set()
                    conn.recv(1)  # and leaves it open
                else:
                    conn.shutdown(socket.SHUT_RDWR)
                    self.acted.set()
                return

    def close(self) -> None:
        self._listener.close()


@pytest.mark.parametrize("then", ["closes", "writes"])
@pytest.mark.parametrize("call", ["get", "predict"])
def test_an_idle_connection_the_server_closed_or_wrote_to_is_not_reused(
    then: str, call: str
) -> None:
    """The stale-connection check before reuse (TCP_INFO on plain HTTP, poll elsewhere):
    the next call goes on a new connection, a POST included, and is answered once."""
    server = _Staling(then)
    try:
        with ServiceClient(
            ORG, base_url=server.url, credential={"auth_token": "t"}, max_retries=0,
            service_url_template=server.url + "/o/{organization_id}",
        ) as client:  # fmt: skip
            send = (
                (lambda: client.services.get(DEP, SID)) if call == "get"
                else (lambda: client.services.predict(DEP, SID, json={"x": 1}))
            )  # fmt: skip
            send()
            server.idle.set()
            assert server.acted.wait(5)  # on loopback, sent is delivered
            send()
    finally:
        server.close()
    assert [number for number, _ in server.requests] == [1, 2], server.requests


def _answers_once_with(head: bytes, body: bytes) -> tuple[str, threading.Thread, socket.socket]:
    """A server on 127.0.0.1 that answers one request with ``head`` (its header lines) and
    ``body``; its URL, its thread and its socket."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        conn, _ = listener.accept()
        with conn:
            received = b""
            while b"\r\n\r\n" not in received:
                received += conn.recv(65536)
            length = f"Content-Length: {len(body)}\r\n".encode()
            conn.sendall(b"HTTP/1.1 200 OK\r\n" + head + length + b"\r\n" + body)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    return f"http://127.0.0.1:{listener.getsockname()[1]}", thread, listener


def test_the_head_is_read_field_by_field_folds_joined_repeats_kept_a_stray_line_skipped() -> None:
    """The fast path reads an answer's head itself (not through the email package): a
    folded value continues the one before it, a repeated field keeps both values, and a line
    with no colon is skipped, the fields after it still read (Content-Length among them)."""
    head = (b"Content-Type: application/json\r\n"
            b"X-Twice: a\r\nx-twice: b\r\n"
            b"X-Folded: one\r\n   two\r\n"
            b"a stray line with no colon\r\n"
            b"X-Request-Id: 1234-abcd\r\n")  # fmt: skip
    body = json.dumps(ref.GET).encode()
    url, thread, listener = _answers_once_with(head, body)
    try:
        with _client(url) as client:
            raw = client.services.with_raw_response.get(DEP, SID)
            assert client._transport._sender.fast_sends == 1  # noqa: SLF001 - the path tested
    finally:
        thread.join(5)
        listener.close()
    assert raw.parsed.service_id == SID
    assert raw.headers["x-twice"] == "a, b"
    assert raw.headers["X-Folded"] == "one two"
    assert raw.request_id == "1234-abcd"
    assert raw.headers["content-length"] == str(len(body))


def test_each_call_sends_its_own_headers_though_their_lines_are_kept_between_calls(
    client: ServiceClient, emulator: ServiceEmulator, service: Service
) -> None:
    """The fast path keeps each header's checked line for the next call (at most 64): a
    value that changes is sent as it is now, over 64 distinct values included, and a
    header the next call does not have is not sent."""
    tenants = [f"t{n}" for n in range(70)]
    before, sent = len(emulator.requests), client._transport._sender.fast_sends  # noqa: SLF001
    for tenant in tenants:
        with client.with_options(extra_headers={"X-Tenant": tenant}) as copy:
            copy.services.get(emulator.deployment_id, service.service_id)
    client.services.get(emulator.deployment_id, service.service_id)
    requests = emulator.requests[before:]
    assert [request.headers.get("X-Tenant") for request in requests] == [*tenants, None]
    assert client._transport._sender.fast_sends == sent + 71  # noqa: SLF001 - the path tested
    assert {request.headers.get("Authorization") for request in requests} == {
        f"Bearer {emulator.auth_token}"
    }
