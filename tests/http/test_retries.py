"""The retry policy, counted on the server: which failures are retried, how often, how long."""

from __future__ import annotations

import email.utils
import io
import time
from collections.abc import Iterator

import pytest

from abeja.exceptions import (
    APIConnectionError,
    APITimeoutError,
    HttpError,
    ServiceUnavailable,
    TooManyRequests,
)
from abeja.services import Service, ServiceClient
from abeja.services._api._response import parse_retry_after
from abeja.services._http._policy import backoff
from abeja.services.testing import ServiceEmulator


@pytest.mark.parametrize("status", [429, 500, 502, 503, 504])
def test_get_is_retried_on_transient_statuses(
    client: ServiceClient,
    emulator: ServiceEmulator,
    service: Service,
    sleeps: list[float],
    status: int,
) -> None:
    emulator.inject("get", status=status, times=2)
    assert client.services.get(emulator.deployment_id, service.service_id).service_id
    assert emulator.count("get") == 3
    assert len(sleeps) == 2


@pytest.mark.parametrize("route", ["update", "delete"])
def test_patch_and_delete_are_retried_on_500(
    client: ServiceClient, emulator: ServiceEmulator, service: Service, route: str
) -> None:
    emulator.inject(route, status=500, times=1)
    if route == "update":
        service.update(instance_number=2)
    else:
        service.delete()
    assert emulator.count(route) == 2


def test_post_is_retried_after_a_gateway_429(
    client: ServiceClient, emulator: ServiceEmulator, service: Service
) -> None:
    """429 is the gateway's rate limit: the write was not forwarded, so it is sent again."""
    emulator.inject("create", status=429, times=2)
    client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    assert emulator.count("create") == 3
    assert len(client.services.list(emulator.deployment_id)) == 2  # one landed, plus `service`


@pytest.mark.parametrize("status", [500, 502, 503, 504])
@pytest.mark.parametrize("route", ["create", "start", "stop", "predict"])
def test_post_is_never_resent_after_a_5xx_and_says_it_may_have_applied(
    client: ServiceClient,
    emulator: ServiceEmulator,
    service: Service,
    sleeps: list[float],
    route: str,
    status: int,
) -> None:
    emulator.inject(route, status=status, times=1)
    with pytest.raises(HttpError) as caught:
        _post(client, emulator, service, route)
    assert caught.value.may_have_applied
    assert "may have been applied" in str(caught.value)
    assert emulator.count(route) == 1
    assert sleeps == []


def test_a_429_from_the_model_itself_is_not_resent(
    client: ServiceClient, emulator: ServiceEmulator, service: Service
) -> None:
    """The serving proxy's header says the answer came from the handler: it ran."""
    emulator.inject("predict", status=429, headers={"X-Abeja-Service-Id": service.service_id})
    with pytest.raises(TooManyRequests) as caught:
        service.predict(json={})
    assert emulator.count("predict") == 1
    # It ran, so it may have acted: the error says so (it said it had not, before the batch
    # needed to tell the model's 429 from the gateway's).
    assert caught.value.may_have_applied


def _post(client: ServiceClient, emulator: ServiceEmulator, service: Service, route: str) -> None:
    if route == "create":
        client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    elif route == "start":
        service.start()
    elif route == "stop":
        service.stop()
    else:
        service.predict(json={"x": 1})


def test_retries_give_up_after_max_retries(emulator: ServiceEmulator, sleeps: list[float]) -> None:
    emulator.inject("list", status=503, times=None)
    client = emulator.client(max_retries=3, sleep=sleeps.append)
    with client, pytest.raises(ServiceUnavailable) as caught:
        client.services.list(emulator.deployment_id)
    assert caught.value.status_code == 503
    assert emulator.count("list") == 4
    assert len(sleeps) == 3


def test_max_retries_zero_means_one_attempt(emulator: ServiceEmulator, sleeps: list[float]) -> None:
    emulator.inject("list", status=503, times=None)
    with (
        emulator.client(max_retries=0, sleep=sleeps.append) as client,
        pytest.raises(ServiceUnavailable),
    ):
        client.services.list(emulator.deployment_id)
    assert emulator.count("list") == 1
    assert sleeps == []


def test_backoff_grows_and_is_capped(emulator: ServiceEmulator, sleeps: list[float]) -> None:
    emulator.inject("list", status=502, times=None)
    with emulator.client(max_retries=7, sleep=sleeps.append) as client, pytest.raises(HttpError):
        client.services.list(emulator.deployment_id)
    ceilings = [0.5, 1, 2, 4, 8, 8, 8]
    assert len(sleeps) == len(ceilings)
    for slept, ceiling in zip(sleeps, ceilings, strict=True):
        assert ceiling * 0.75 <= slept <= ceiling


def test_backoff_jitter_bounds() -> None:
    assert backoff(1, rand=lambda: 0.0) == 0.5
    assert backoff(1, rand=lambda: 1.0) == 0.375
    assert backoff(10, rand=lambda: 0.0) == 8.0


def test_retry_after_seconds_is_honoured(
    client: ServiceClient, emulator: ServiceEmulator, sleeps: list[float]
) -> None:
    emulator.inject("list", status=429, retry_after=7, times=1)
    client.services.list(emulator.deployment_id)
    assert sleeps == [7.0]
    assert emulator.count("list") == 2


def test_retry_after_http_date_is_honoured(
    client: ServiceClient, emulator: ServiceEmulator, sleeps: list[float]
) -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    emulator.inject("list", status=503, retry_after=when, times=1)
    client.services.list(emulator.deployment_id)
    assert len(sleeps) == 1 and 25 <= sleeps[0] <= 31


def test_retry_after_above_a_minute_raises_at_once(
    client: ServiceClient, emulator: ServiceEmulator, sleeps: list[float]
) -> None:
    emulator.inject("list", status=429, retry_after=120, times=1)
    with pytest.raises(TooManyRequests) as caught:
        client.services.list(emulator.deployment_id)
    assert caught.value.retry_after == 120
    assert emulator.count("list") == 1
    assert sleeps == []


def test_parse_retry_after_forms() -> None:
    now = 1445412480.0 - 10
    assert parse_retry_after("3", now) == 3.0
    assert parse_retry_after("-1", now) == 0.0
    assert parse_retry_after("garbage", now) is None
    assert parse_retry_after(None, now) is None
    assert parse_retry_after("nan", now) is None
    assert parse_retry_after("inf", now) is None
    assert parse_retry_after("Wed, 21 Oct 2015 07:28:00 GMT", now) == 10


def test_get_is_retried_after_a_dropped_connection(
    client: ServiceClient, emulator: ServiceEmulator, service: Service
) -> None:
    emulator.inject("get", drop=True, times=2)
    client.services.get(emulator.deployment_id, service.service_id)
    assert emulator.count("get") == 3


def test_post_is_not_retried_after_a_dropped_connection(
    client: ServiceClient, emulator: ServiceEmulator, service: Service, sleeps: list[float]
) -> None:
    emulator.inject("predict", drop=True, times=1)
    with pytest.raises(APIConnectionError) as caught:
        service.predict(json={"x": 1})
    assert not isinstance(caught.value, APITimeoutError)
    assert emulator.count("predict") == 1
    assert sleeps == []


def test_get_is_retried_after_a_read_timeout(
    emulator: ServiceEmulator, sleeps: list[float]
) -> None:
    emulator.inject("list", delay=0.3, times=1)
    with emulator.client(timeout=0.1, sleep=sleeps.append) as client:
        client.services.list(emulator.deployment_id)
    assert emulator.count("list") == 2
    assert len(sleeps) == 1


def test_post_is_not_retried_after_a_read_timeout(
    emulator: ServiceEmulator, sleeps: list[float]
) -> None:
    emulator.inject("create", delay=0.3, times=1)
    with (
        emulator.client(timeout=0.1, sleep=sleeps.append) as client,
        pytest.raises(APITimeoutError, match="timed out"),
    ):
        client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    assert emulator.count("create") == 1
    assert sleeps == []


def test_post_is_retried_when_it_could_not_connect(free_port: int) -> None:
    """The first attempt finds no server; the server comes up during the backoff."""
    late = ServiceEmulator(port=free_port)
    sleeps: list[float] = []

    def sleep(seconds: float) -> None:
        sleeps.append(seconds)
        late.start()

    client = ServiceClient(
        late.organization_id,
        base_url=f"http://127.0.0.1:{free_port}",
        credential=late.credential,
        sleep=sleep,
    )
    try:
        created = client.services.create(late.deployment_id, version_id=late.version_id)
        assert created.service_id
        assert late.count("create") == 1
        assert len(sleeps) == 1
    finally:
        client.close()
        late.stop()


def test_connection_refused_raises_our_error(free_port: int, sleeps: list[float]) -> None:
    client = ServiceClient("1", base_url=f"http://127.0.0.1:{free_port}", sleep=sleeps.append)
    with pytest.raises(APIConnectionError, match="could not connect"):
        client.services.list("2")
    assert len(sleeps) == 5


def test_seekable_body_is_rewound_before_a_retry(
    emulator: ServiceEmulator, service: Service
) -> None:
    emulator.inject("predict", status=429, times=1)  # the gateway's: not forwarded
    body = io.BytesIO(b"prefix-" + b"x" * 10_000)
    body.read(7)  # the caller already consumed a prefix: that is not part of the request
    answer = service.predict(data=body, content_type="application/octet-stream")
    seen = [r for r in emulator.requests if r.route == "predict"]
    assert len(seen) == 2
    assert seen[0].body == seen[1].body == b"x" * 10_000
    assert answer.json()["bytes"] == 10_000


def test_non_seekable_body_is_never_sent_twice(
    emulator: ServiceEmulator, service: Service, sleeps: list[float]
) -> None:
    emulator.inject("predict", status=429, times=1)  # would be resent, were it rewindable

    def chunks() -> Iterator[bytes]:
        yield b"abc"
        yield b"def"

    with pytest.raises(TooManyRequests):
        service.predict(data=chunks())
    seen = [r for r in emulator.requests if r.route == "predict"]
    assert len(seen) == 1 and seen[0].body == b"abcdef"
    assert sleeps == []


@pytest.mark.parametrize("retry_after", ["0", "nan", "Wed, 21 Oct 2015 07:28:00 GMT"])
def test_a_zero_or_past_retry_after_still_backs_off(
    client: ServiceClient, emulator: ServiceEmulator, sleeps: list[float], retry_after: str
) -> None:
    emulator.inject("list", status=503, retry_after=retry_after, times=2)
    client.services.list(emulator.deployment_id)
    assert len(sleeps) == 2 and sleeps[0] >= 0.375 and sleeps[1] >= 0.75
