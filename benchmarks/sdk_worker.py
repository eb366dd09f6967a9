"""Runs inside the throwaway abeja-sdk 2.3.6 virtualenv: times get_service batches on request.

Reads a count per line on stdin and answers the seconds that many calls took, wall and
CPU (this process only); ``predict THREADS COUNT`` answers the wall seconds of COUNT
predictions shared by THREADS threads on one client. abeja-sdk reads ABEJA_API_URL,
PLATFORM_AUTH_TOKEN and REQUESTS_CA_BUNDLE from the environment, and predicts at
``http://<organization>.<API host>``, reached through HTTP_PROXY (the bench server).
"""

import sys
import time
from concurrent.futures import ThreadPoolExecutor

from abeja.services import APIClient

ORG, DEP, SID = "1111111111111", "9999999999999", "ser-abc1111111111111"


def main() -> None:
    client = APIClient()
    client.get_service(ORG, DEP, SID)  # warm up: imports, first connection
    print("ready", flush=True)
    for line in sys.stdin:
        if line.startswith("predict "):
            threads, total = (int(word) for word in line.split()[1:])
            client.request_service(ORG, DEP, SID, json={})  # the proxy's first connection
            with ThreadPoolExecutor(threads) as pool:
                started = time.perf_counter()
                list(pool.map(lambda i: client.request_service(ORG, DEP, SID, json={"i": i}),
                              range(total)))  # fmt: skip
                print(time.perf_counter() - started, 0.0, flush=True)
            continue
        count = int(line)
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(count):
            client.get_service(ORG, DEP, SID)
        print(time.perf_counter() - started, time.process_time() - cpu, flush=True)


if __name__ == "__main__":
    main()
