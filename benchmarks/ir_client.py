"""One client, run under callgrind by benchmarks/ir.py: ``ir_client.py KIND COUNT URL``.

Makes one call to warm up (imports, the first connection), then COUNT more. The server is
another process, so only this client's instructions are counted. Also runs in abeja-sdk's
own virtualenv for the ``abeja-sdk`` kind (nothing else of this tree is imported there).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from urllib.parse import urlsplit

ORG, DEP, SID = "1111111111111", "9999999999999", "ser-abc1111111111111"
TOKEN = "bench-token"
PATH = f"/organizations/{ORG}/deployments/{DEP}/services/{SID}"
HEADERS = {"Authorization": f"Bearer {TOKEN}", "Accept": "application/json"}


def floor(base: str, path: str = PATH) -> Callable[[], object]:
    """http.client keep-alive GET of ``path`` + ``json.loads``: the floor of a typed read."""
    import http.client
    import os
    import ssl

    parts = urlsplit(base)
    if parts.scheme == "https":  # verified against the bench's certificate, as the others
        context = ssl.create_default_context(cafile=os.environ["REQUESTS_CA_BUNDLE"])
        connection: http.client.HTTPConnection = http.client.HTTPSConnection(
            parts.hostname or "", parts.port, context=context
        )
    else:
        connection = http.client.HTTPConnection(parts.hostname or "", parts.port)

    def call() -> object:
        connection.request("GET", path, headers=HEADERS)
        return json.loads(connection.getresponse().read())

    return call


def typed(base: str) -> Callable[[], object]:
    from abeja.services import ServiceClient

    client = ServiceClient(ORG, base_url=base, credential={"auth_token": TOKEN})
    return lambda: client.services.get(DEP, SID)


def compat(base: str) -> Callable[[], object]:
    from abeja.services import APIClient

    client = APIClient(credential={"auth_token": TOKEN})  # the URL from ABEJA_API_URL
    return lambda: client.get_service(ORG, DEP, SID)


def plain_requests(base: str) -> Callable[[], object]:
    import requests

    session = requests.Session()
    return lambda: session.get(base + PATH, headers=HEADERS, timeout=30).json()


def plain_httpx(base: str) -> Callable[[], object]:
    import os

    import httpx

    verify = os.environ.get("REQUESTS_CA_BUNDLE", True)
    client = httpx.Client(headers=HEADERS, timeout=30, verify=verify)
    return lambda: client.get(base + PATH).json()


def abeja_sdk(base: str) -> Callable[[], object]:
    from abeja.services import APIClient  # abeja-sdk 2.3.6's, in its own virtualenv

    client = APIClient(credential={"auth_token": TOKEN})  # the URL from ABEJA_API_URL
    return lambda: client.get_service(ORG, DEP, SID)


LIST_PATH = f"/organizations/{ORG}/deployments/list-1000/services"


def typed_list(base: str) -> Callable[[], object]:
    from abeja.services import ServiceClient

    client = ServiceClient(ORG, base_url=base, credential={"auth_token": TOKEN})
    return lambda: client.services.list("list-1000")


def requests_list(base: str) -> Callable[[], object]:
    import requests

    session = requests.Session()
    return lambda: session.get(base + LIST_PATH, headers=HEADERS, timeout=30).json()


def compat_list(base: str) -> Callable[[], object]:
    from abeja.services import APIClient

    client = APIClient(credential={"auth_token": TOKEN})  # the URL from ABEJA_API_URL
    return lambda: client.get_services(ORG, "list-10000")


def abeja_sdk_list(base: str) -> Callable[[], object]:
    from abeja.services import APIClient  # abeja-sdk 2.3.6's, in its own virtualenv

    client = APIClient(credential={"auth_token": TOKEN})
    return lambda: client.get_services(ORG, "list-10000")


BODY = bytes(range(256)) * 4096  # 1 MiB, the body of the predict rows


def floor_predict(base: str) -> Callable[[], object]:
    import http.client

    parts = urlsplit(base)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port)
    headers = {**HEADERS, "Content-Type": "application/octet-stream"}
    path = f"/deployments/{DEP}/services/{SID}"

    def call() -> object:
        connection.request("POST", path, body=BODY, headers=headers)
        return connection.getresponse().read()

    return call


def typed_predict(base: str) -> Callable[[], object]:
    from abeja.services import ServiceClient

    client = ServiceClient(
        ORG, base_url=base, credential={"auth_token": TOKEN}, service_url_template=base
    )
    return lambda: (
        client.services.predict(
            DEP, SID, data=BODY, content_type="application/octet-stream"
        ).content
    )


LOGS_PATH = f"/organizations/{ORG}/deployments/{DEP}/services/{SID}/recentlogs"


def floor_logs(base: str) -> Callable[[], object]:
    return floor(base, LOGS_PATH)


def typed_logs(base: str) -> Callable[[], object]:
    from abeja.services import ServiceClient

    client = ServiceClient(ORG, base_url=base, credential={"auth_token": TOKEN})
    return lambda: client.services.logs(DEP, SID)


KINDS = {
    "floor": floor,
    "typed": typed,
    "compat": compat,
    "requests": plain_requests,
    "httpx": plain_httpx,
    "abeja-sdk": abeja_sdk,
    "typed-list": typed_list,  # a list of 1,000 services
    "requests-list": requests_list,
    "compat-list": compat_list,  # a list of 10,000 services, as dicts
    "abeja-sdk-list": abeja_sdk_list,
    "floor-predict": floor_predict,  # POST of 1 MiB
    "typed-predict": typed_predict,
    "floor-logs": floor_logs,  # a page of 1,000 log events
    "typed-logs": typed_logs,
}


def main() -> None:
    kind, count, base = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    call = KINDS[kind](base)
    call()
    for _ in range(count):
        call()


if __name__ == "__main__":
    main()
