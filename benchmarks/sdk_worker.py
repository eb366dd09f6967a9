"""Runs inside the throwaway abeja-sdk 2.3.6 virtualenv: times get_service batches on request.

Reads a count per line on stdin and answers the seconds that many calls took, wall and
CPU (this process only). abeja-sdk
reads ABEJA_API_URL, PLATFORM_AUTH_TOKEN and REQUESTS_CA_BUNDLE from the environment.
"""

import sys
import time

from abeja.services import APIClient

ORG, DEP, SID = "1111111111111", "9999999999999", "ser-abc1111111111111"


def main() -> None:
    client = APIClient()
    client.get_service(ORG, DEP, SID)  # warm up: imports, first connection
    print("ready", flush=True)
    for line in sys.stdin:
        count = int(line)
        started, cpu = time.perf_counter(), time.process_time()
        for _ in range(count):
            client.get_service(ORG, DEP, SID)
        print(time.perf_counter() - started, time.process_time() - cpu, flush=True)


if __name__ == "__main__":
    main()
