"""The client's own connections: one deadline over every phase of an attempt, name
resolution once (and only on the real network path), safe across fork, close() and
signals. Raw-socket servers on 127.0.0.1; durations are real, each bound the deadline
plus the one second of slack the policy allows."""

from __future__ import annotations

import io
import json
import os
import signal
import socket
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import requests
import requests_mock
import responses

from abeja.exceptions import APIConnectionError, APITimeoutError
from abeja.services import ServiceClient
from abeja.services.testing import ServiceEmulator

from ..hostile import HostileServer, Received, answer
from ..hostile import timed as _timed

ORG, DEP, SID = "1111111111111", "9999999999999", "ser-1"
SERVICE = {"service_id": SID, "deployment_id": DEP, "status": "READY"}
DEADLINE = 1.5


def _client(url: str, **options: object) -> ServiceClient:
    settings: dict[str, object] = {
        "base_url": url,
        "credential": {"auth_token": "phase-test-token"},
        "service_url_template": url + "/o/{organization_id}",
        "sleep": lambda seconds: None,
        "deadline": DEADLINE,
        "timeout": 1.0,
        **options,
    }
    return ServiceClient(ORG, **settings)  # type: ignore[arg-type]


def _drip(*parts: bytes | float, forever: bytes | None = None, every: float = 0.3) -> object:
    def script(request: Received) -> Iterator[bytes | float]:
        yield from parts
        while forever is not None:
            yield forever
            yield every

    return script


# -- one deadline over every phase -----------------------------------------------------------


def test_header_lines_trickled_cannot_outlast_the_deadline() -> None:
    script = _drip(b"HTTP/1.1 200 OK\r\n", forever=b"X-Slow: 1\r\n", every=0.3)
    with HostileServer(script) as server, _client(server.url) as client:  # type: ignore[arg-type]
        took, error = _timed(lambda: client.services.get(DEP, SID))
    assert isinstance(error, APITimeoutError), error
    assert took < DEADLINE + 1, took
    print(f"deadline per phase: status line and headers, trickled every 0.3 s: {took:.2f} s")


def test_an_endless_stream_of_100_continue_cannot_outlast_the_deadline() -> None:
    script = _drip(forever=b"HTTP/1.1 100 Continue\r\n\r\n", every=0.05)
    with HostileServer(script) as server, _client(server.url) as client:  # type: ignore[arg-type]
        took, error = _timed(lambda: client.services.get(DEP, SID))
    assert isinstance(error, APITimeoutError), error
    assert took < DEADLINE + 1, took
    print(f"deadline per phase: an endless stream of 100 Continue: {took:.2f} s")


@contextmanager
def _slow_reader(chunk: int = 4096, pause: float = 0.05) -> Iterator[tuple[str, list[int]]]:
    """A server that reads what it is sent 4 KiB every 50 ms, and never answers."""
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    listener.settimeout(0.05)
    stop = threading.Event()
    read: list[int] = [0]

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                continue
            with conn:
                conn.settimeout(0.05)
                while not stop.is_set():
                    try:
                        data = conn.recv(chunk)
                    except TimeoutError:
                        continue
                    except OSError:
                        break
                    if not data:
                        break
                    read[0] += len(data)
                    stop.wait(pause)

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    try:
        yield f"http://127.0.0.1:{listener.getsockname()[1]}", read
    finally:
        stop.set()
        worker.join(5)
        listener.close()


def test_a_server_reading_an_upload_slowly_cannot_outlast_the_deadline() -> None:
    body = io.BytesIO(b"\0" * (64 * 1024 * 1024))
    with _slow_reader() as (url, read), _client(url) as client:
        took, error = _timed(lambda: client.services.predict(DEP, SID, data=body))
    assert isinstance(error, APIConnectionError), error
    assert took < DEADLINE + 1, took
    print(f"deadline per phase: a 64 MiB upload read 4 KiB every 50 ms: {took:.2f} s")
    assert 0 < read[0] < 32 * 1024 * 1024  # it was being sent, slowly, when the deadline came


def test_a_connect_that_hangs_cannot_outlast_the_deadline() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(0)
    port = listener.getsockname()[1]
    waiting = []  # fill the backlog: further connects get no answer
    try:
        for _ in range(8):
            extra = socket.socket()
            extra.setblocking(False)
            extra.connect_ex(("127.0.0.1", port))
            waiting.append(extra)
        with _client(f"http://127.0.0.1:{port}") as client:
            took, error = _timed(lambda: client.services.get(DEP, SID))
    finally:
        for extra in waiting:
            extra.close()
        listener.close()
    assert isinstance(error, APIConnectionError), error
    assert took < DEADLINE + 1, took
    print(f"deadline per phase: a connect that is never accepted: {took:.2f} s")


def test_a_tls_handshake_that_never_comes_cannot_outlast_the_deadline() -> None:
    with HostileServer(lambda request: [60.0]) as server:
        url = server.url.replace("http://", "https://")
        with _client(url) as client:
            took, error = _timed(lambda: client.services.get(DEP, SID))
    assert isinstance(error, APIConnectionError), error
    assert took < DEADLINE + 1, took
    print(f"deadline per phase: a TLS handshake that never comes: {took:.2f} s")


def test_a_slow_resolver_is_asked_once_and_its_address_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A resolver answering in 1.2 s: asked once per call (not once more by urllib3)."""
    real = socket.getaddrinfo
    asked: list[str] = []

    def slow(host: object, *args: object, **kwargs: object) -> object:
        if host == "slow-dns.test":
            asked.append(host)
            time.sleep(1.2)  # the resolver's own time, in its worker thread
            return real("127.0.0.1", *args, **kwargs)  # type: ignore[arg-type]
        return real(host, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(socket, "getaddrinfo", slow)
    with HostileServer(lambda request: [answer(body=json.dumps(SERVICE).encode())]) as server:
        url = server.url.replace("127.0.0.1", "slow-dns.test")
        with _client(url, deadline=2.5, timeout=2.0) as client:
            took, error = _timed(lambda: client.services.get(DEP, SID))
    assert error is None, error
    assert asked == ["slow-dns.test"]
    assert took < 2.5 + 1, took
    print(f"deadline per phase: a resolver answering in 1.2 s, asked once: {took:.2f} s")
    assert server.received[0].headers["host"].startswith("slow-dns.test:")


# -- mocking tools work offline -------------------------------------------------------------


def test_responses_intercepts_calls_to_a_host_that_does_not_resolve() -> None:
    url = f"https://api.example.test/organizations/{ORG}/deployments/{DEP}/services/{SID}"
    with responses.RequestsMock() as mocked, _client("https://api.example.test") as client:
        mocked.get(url, json=SERVICE)
        assert client.services.get(DEP, SID).service_id == SID
        assert len(mocked.calls) == 1


def test_requests_mock_intercepts_calls_to_a_host_that_does_not_resolve() -> None:
    url = f"https://api.example.test/organizations/{ORG}/deployments/{DEP}/services/{SID}"
    with requests_mock.Mocker() as mocked, _client("https://api.example.test") as client:
        mocked.get(url, json=SERVICE)
        assert client.services.get(DEP, SID).service_id == SID
        assert mocked.call_count == 1


# -- a proxy that is down: nothing was sent --------------------------------------------------


def test_a_post_through_a_proxy_that_is_down_was_not_sent_and_is_retried(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{port}")
    monkeypatch.setenv("NO_PROXY", "")
    sleeps: list[float] = []
    with (
        _client("http://api.example.test", sleep=sleeps.append, max_retries=2) as client,
        pytest.raises(APIConnectionError) as raised,
    ):
        client.services.start(DEP, SID)
    assert raised.value.may_have_applied is False
    assert len(sleeps) == 2  # not sent, so sent again: twice


# -- fork, close() under load, signals ------------------------------------------------------


@pytest.mark.parametrize("own_session", [False, True], ids=["sdk-session", "user-session"])
def test_a_forked_child_never_uses_the_parents_connections(own_session: bool) -> None:
    options = {"session": requests.Session()} if own_session else {}
    with (
        HostileServer(lambda request: [answer(body=json.dumps(SERVICE).encode())]) as server,
        _client(server.url, **options) as client,
    ):
        client.services.get(DEP, SID)  # the parent's pooled connection
        reader, writer = os.pipe()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)  # fork with threads running
            pid = os.fork()
        if pid == 0:  # the child
            status = 1
            try:
                client.services.get(DEP, SID)
                status = 0
            finally:
                os.write(writer, bytes([status]))
                os._exit(0)
        os.close(writer)
        assert os.read(reader, 1) == b"\0"
        os.waitpid(pid, 0)
        os.close(reader)
        client.services.get(DEP, SID)  # the parent still has its own
    connections = [r.connection for r in server.received]
    assert connections[0] == connections[2]  # the parent kept its connection
    assert connections[1] != connections[0]  # the child made its own
    print("fork: the child's call went on a connection of its own")


def _established_to(port: int) -> int:
    """Client-side TCP connections of this machine to ``port`` that are open."""
    count = 0
    for table in (Path("/proc/net/tcp"), Path("/proc/net/tcp6")):
        if not table.exists():
            continue
        for line in table.read_text().splitlines()[1:]:
            fields = line.split()
            remote, state = fields[2], fields[3]
            if state == "01" and int(remote.rsplit(":", 1)[1], 16) == port:
                count += 1
    return count


@pytest.fixture
def own_emulator() -> Iterator[ServiceEmulator]:
    """An emulator of this test's own: every connection to its port is this test's."""
    with ServiceEmulator() as running:
        yield running


def test_close_while_calls_run_leaves_no_connection_open(own_emulator: ServiceEmulator) -> None:
    emulator = own_emulator
    port = int(emulator.url.rsplit(":", 1)[1])
    with emulator.client() as setup:
        service = setup.services.create(DEP, version_id=emulator.version_id)
    client = emulator.client()
    closed_errors: list[str] = []
    started = threading.Barrier(17)

    def call() -> None:
        started.wait()
        for _ in range(200):
            try:
                client.services.get(DEP, service.service_id)
            except Exception as error:  # noqa: BLE001 - after close: "this client is closed"
                closed_errors.append(str(error))
                return

    threads = [threading.Thread(target=call) for _ in range(16)]
    for thread in threads:
        thread.start()
    started.wait()
    time.sleep(0.05)  # calls under way
    client.close()
    for thread in threads:
        thread.join(30)
    assert closed_errors and all("closed" in e for e in closed_errors), closed_errors[:3]
    deadline = time.monotonic() + 2
    while _established_to(port) and time.monotonic() < deadline:
        time.sleep(0.01)  # the other side's FIN on its way
    assert _established_to(port) == 0
    print(f"close() under 16 calling threads: {_established_to(port)} connections left open")
    with pytest.raises(Exception, match="this client is closed"):
        client.services.get(DEP, service.service_id)


class Alarm(Exception):
    """What a user's signal handler raises."""


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_a_signal_handlers_exception_propagates_unchanged_and_is_not_retried(
    method: str,
) -> None:
    def handler(signum: int, frame: object) -> None:
        raise Alarm("time is up")

    previous = signal.signal(signal.SIGALRM, handler)
    try:
        with (
            HostileServer(lambda request: [5.0]) as server,
            _client(server.url, deadline=10, timeout=8) as client,
        ):
            signal.setitimer(signal.ITIMER_REAL, 0.3)
            call = client.services.get if method == "GET" else client.services.start
            with pytest.raises(Alarm, match="time is up"):
                call(DEP, SID)
            assert [r.method for r in server.received] == [method]
            print(f"signals: a handler's exception mid-{method}: raised as is, 1 request sent")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
