"""``make bench-answer``: the peak RSS a 100 MiB answer costs, ours beside the floors.

A server in its own process answers 100 MiB (Content-Length, 1 MiB writes). Each contender
runs in a fresh process and reports its peak RSS growth (``ru_maxrss``) over one call:

- ``ServiceClient.services.predict`` and ``AsyncServiceClient.services.predict``;
- the same through ``with_streaming_response`` (``iter_bytes``, no body kept), both clients;
- ``http.client``'s ``read()`` (the body once: the floor of a whole-body read);
- requests with ``stream=True`` reading in 64 KiB chunks and dropping them (no body kept).

Rounds are interleaved, medians reported.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys

SIZE = 100 << 20
SERVER = r"""
import socket
server = socket.create_server(("127.0.0.1", 0))
print(server.getsockname()[1], flush=True)
block = b"x" * (1 << 20)
while True:
    conn, _ = server.accept()
    data = b""
    while b"\r\n\r\n" not in data:
        data += conn.recv(65536)
    head, _, body = data.partition(b"\r\n\r\n")
    length = int(head.lower().split(b"content-length:")[1].split(b"\r\n")[0])
    while len(body) < length:  # read whole: a close with bytes unread would reset the stream
        body += conn.recv(65536)
    conn.sendall(b"HTTP/1.1 200 OK\r\nContent-Type: application/octet-stream\r\n"
                 b"Content-Length: %d\r\nConnection: close\r\n\r\n" % (100 << 20))
    for _ in range(100):
        conn.sendall(block)
    conn.close()
"""
CONTENDER = r"""
import asyncio, http.client, resource, sys
kind, base = sys.argv[1], sys.argv[2]
import requests
from abeja.services import AsyncServiceClient, ServiceClient
options = dict(base_url=base, credential={"auth_token": "t"}, max_retries=0,
               service_url_template=base + "/o/{organization_id}")
ORG, DEP, SID = "1111111111111", "9999999999999", "ser-abc1111111111111"
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
if kind == "sync":
    with ServiceClient(ORG, **options) as client:
        size = len(client.services.predict(DEP, SID, data=b"x").content)
elif kind == "async":
    async def main():
        async with AsyncServiceClient(ORG, **options) as client:
            return len((await client.services.predict(DEP, SID, data=b"x")).content)
    size = asyncio.run(main())
elif kind == "sync streamed":
    size = 0
    with ServiceClient(ORG, **options) as client:
        with client.services.with_streaming_response.predict(DEP, SID, data=b"x") as answer:
            for chunk in answer.iter_bytes():
                size += len(chunk)
elif kind == "async streamed":
    async def main():
        size = 0
        async with AsyncServiceClient(ORG, **options) as client:
            streaming = client.services.with_streaming_response
            async with streaming.predict(DEP, SID, data=b"x") as answer:
                async for chunk in answer.iter_bytes():
                    size += len(chunk)
        return size
    size = asyncio.run(main())
elif kind == "http.client read()":
    conn = http.client.HTTPConnection(base.split("//")[1])
    conn.request("POST", "/", body=b"x")
    size = len(conn.getresponse().read())
else:
    size = 0
    with requests.post(base + "/", data=b"x", stream=True) as response:
        for chunk in response.iter_content(65536):
            size += len(chunk)
assert size == 100 << 20, size
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024)
"""
KINDS = (
    "sync", "async", "sync streamed", "async streamed", "http.client read()",
    "requests stream=True",
)  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    assert server.stdout is not None
    base = f"http://127.0.0.1:{server.stdout.readline().strip()}"
    growth: dict[str, list[float]] = {kind: [] for kind in KINDS}
    try:
        for _ in range(args.rounds):
            for kind in KINDS:
                out = subprocess.run([sys.executable, "-c", CONTENDER, kind, base],
                                     capture_output=True, text=True, check=True)  # fmt: skip
                growth[kind].append(float(out.stdout.strip()))
    finally:
        server.kill()
        server.wait()
    print("| a 100 MiB answer | peak RSS growth, MiB | × the body |\n|---|---:|---:|")
    medians = {kind: statistics.median(values) for kind, values in growth.items()}
    for kind, median in medians.items():
        print(f"| {kind} | {median:.1f} | {median / 100:.2f} |")
    whole = max(medians["sync"], medians["async"]) / 100
    streamed = max(medians["sync streamed"], medians["async streamed"])
    print(f"\nthe body held once by a whole read (≤ 1.10× it): {whole:.2f}× "
          f"({'met' if whole <= 1.10 else 'not met'})")  # fmt: skip
    print(f"a streamed read holds a chunk, not the body (< 10 MiB): {streamed:.1f} MiB "
          f"({'met' if streamed < 10 else 'not met'})")  # fmt: skip


if __name__ == "__main__":
    main()
