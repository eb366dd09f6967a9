"""A fast keep-alive HTTP/1.1 server (plain and TLS) answering Service API paths with canned bodies.

Run in its own process by benchmarks/run.py, so serving never competes with the client
being measured for the GIL. Prints one JSON line: {"http": port, "https": port}.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import ssl
import sys

ORG, DEP, SID = "1111111111111", "9999999999999", "ser-abc1111111111111"
LOG_PAGES = 100  # pages of recentlogs before the end of the stream
LOG_PAGE_SIZE = 1000


def service(i: int) -> dict[str, object]:
    return {
        "service_id": f"ser-{i:016d}",
        "deployment_id": DEP,
        "models": {"alias": "3333333333333"},
        "model_version": "0.0.1",
        "model_version_id": "ver-abc1111111111111",
        "status": "READY",
        "instance_number": 1,
        "instance_type": "cpu-0.25",
        "metrics_url": "https://p.datadoghq.com/sb/aaaaaaaaa-bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb",
        "user_env_vars": {"EXAMPLE_ENV": "abc"},
        "created_at": "2018-06-05T12:34:33.485329Z",
        "modified_at": "2018-06-05T12:34:34.568985Z",
    }


def _response(body: bytes, content_type: str = "application/json") -> bytes:
    head = (
        f"HTTP/1.1 200 OK\r\nContent-Type: {content_type}\r\n"
        f"Content-Length: {len(body)}\r\nConnection: keep-alive\r\n\r\n"
    )
    return head.encode() + body


BASE = f"/organizations/{ORG}/deployments/{DEP}/services"
ONE = _response(json.dumps({**service(1), "service_id": SID}).encode())
LIST = _response(json.dumps({"entries": [service(i) for i in range(1000)]}).encode())
# /organizations/ORG/deployments/list-N/services answers a list of N services.
LIST_SIZES = (1, 100, 1000, 10000)
LISTS = {
    f"/organizations/{ORG}/deployments/list-{n}/services": _response(
        json.dumps({"entries": [service(i) for i in range(n)]}).encode()
    )
    for n in LIST_SIZES
}
PREDICTED = _response(b'{"label":"cat","score":0.98}')
NOT_FOUND = (
    b"HTTP/1.1 404 Not Found\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}"
)
_EVENTS = json.dumps(
    [
        {"message": f"GET /predict 200 in 12.{i % 10} ms", "timestamp": "2026-01-01T00:00:00Z"}
        for i in range(LOG_PAGE_SIZE)
    ]
)


def log_page(token: str | None) -> bytes:
    """Page n of the log walking back; at the end the token sent comes back with no events."""
    page = int(token[2:]) if token and token.startswith("b-") else 0
    if page >= LOG_PAGES:
        body = json.dumps({"events": [], "next_backward_token": token, "next_forward_token": "f"})
        return _response(body.encode())
    return _response(
        (
            f'{{"events": {_EVENTS}, "next_backward_token": "b-{page + 1}", '
            f'"next_forward_token": "f-0"}}'
        ).encode()
    )


def answer(method: bytes, target: bytes) -> bytes:
    if target.startswith(b"http://"):  # absolute form: sent to us as an HTTP proxy
        target = b"/" + target[7:].partition(b"/")[2]
    path, _, query = target.decode().partition("?")
    if method == b"GET" and path == f"{BASE}/{SID}":
        return ONE
    if method == b"GET" and path == BASE:
        return LIST
    if method == b"GET" and path in LISTS:
        return LISTS[path]
    if method == b"GET" and path == f"{BASE}/{SID}/recentlogs":
        token = dict(p.partition("=")[::2] for p in query.split("&") if p).get(
            "next_backward_token"
        )
        return log_page(token)
    if method == b"POST" and path.endswith(f"/deployments/{DEP}/services/{SID}"):
        return PREDICTED
    return NOT_FOUND


class Http(asyncio.Protocol):
    """HTTP/1.1 with keep-alive and Content-Length bodies (what the benchmarked clients send)."""

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport: asyncio.Transport = transport  # type: ignore[assignment]
        self.buffer = b""
        self.body_left = 0
        self.pending: bytes | None = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.body_left:
                taken = min(self.body_left, len(self.buffer))
                self.body_left -= taken
                self.buffer = self.buffer[taken:]
                if self.body_left:
                    return
                assert self.pending is not None
                self.transport.write(self.pending)
                self.pending = None
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                return
            head, self.buffer = self.buffer[:end], self.buffer[end + 4 :]
            lines = head.split(b"\r\n")
            method, target, _ = lines[0].split(b" ", 2)
            length = 0
            for line in lines[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            response = answer(method, target)
            if length:
                self.body_left, self.pending = length, response
            else:
                self.transport.write(response)


async def serve(certfile: str | None, keyfile: str | None) -> None:
    loop = asyncio.get_running_loop()
    plain = await loop.create_server(Http, "127.0.0.1", 0, backlog=256)
    ports = {"http": plain.sockets[0].getsockname()[1]}
    if certfile:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(certfile, keyfile)
        tls = await loop.create_server(Http, "127.0.0.1", 0, ssl=context, backlog=256)
        ports["https"] = tls.sockets[0].getsockname()[1]
    print(json.dumps(ports), flush=True)
    # Serve until the parent closes our stdin.
    await loop.run_in_executor(None, sys.stdin.read)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cert")
    parser.add_argument("--key")
    args = parser.parse_args()
    asyncio.run(serve(args.cert, args.key))


if __name__ == "__main__":
    main()
