"""Error answers become abeja.exceptions types; nothing foreign escapes; no credential leaks."""

from __future__ import annotations

import copy
import json
import logging
import multiprocessing
import pickle
import traceback
from concurrent.futures import ProcessPoolExecutor

import pytest

from abeja import exceptions as exc
from abeja.services import APIClient, Service, ServiceClient
from abeja.services.testing import ServiceEmulator

SECRET = "s3cr3t-token-value"


@pytest.mark.parametrize(
    ("status", "cls"),
    [
        (400, exc.BadRequest),
        (401, exc.Unauthorized),
        (403, exc.Forbidden),
        (404, exc.NotFound),
        (405, exc.MethodNotAllowed),
        (409, exc.Conflict),
        (418, exc.HttpError),
        (429, exc.TooManyRequests),
        (500, exc.InternalServerError),
        (502, exc.HttpError),
        (503, exc.ServiceUnavailable),
        (504, exc.HttpError),
    ],
)
def test_status_maps_to_its_class(emulator: ServiceEmulator, status: int, cls: type) -> None:
    body = json.dumps(
        {"error": "some_error", "error_description": "what went wrong", "error_detail": {"k": 1}}
    ).encode()
    emulator.inject("list", status=status, body=body, times=None, headers={"X-Request-Id": "rid-1"})
    with emulator.client(max_retries=0) as client, pytest.raises(exc.HttpError) as caught:
        client.services.list(emulator.deployment_id)
    error = caught.value
    assert type(error) is cls
    assert isinstance(error, exc.Error)
    assert (error.error, error.error_description, error.error_detail) == (
        "some_error",
        "what went wrong",
        {"k": 1},
    )
    assert error.status_code == status
    assert emulator.deployment_id in error.url
    assert error.request_id == "rid-1"
    assert "rid-1" in str(error) and "what went wrong" in str(error)


def test_real_error_bodies_from_the_server(
    client: ServiceClient, emulator: ServiceEmulator
) -> None:
    with pytest.raises(exc.NotFound) as caught:
        client.services.get(emulator.deployment_id, "ser-missing")
    assert caught.value.error == "not_found"
    assert "ser-missing" in caught.value.error_description
    with pytest.raises(exc.BadRequest, match="version"):
        client.services.create(emulator.deployment_id, version_id="ver-unknown")


def test_wrong_credential_is_unauthorized(emulator: ServiceEmulator) -> None:
    with (
        emulator.client(credential={"auth_token": "wrong"}) as client,
        pytest.raises(exc.Unauthorized),
    ):
        client.services.list(emulator.deployment_id)


def test_html_502_page_is_an_http_error(emulator: ServiceEmulator) -> None:
    emulator.inject("list", status=502, html=True, times=None)
    with (
        emulator.client(max_retries=1, sleep=lambda s: None) as client,
        pytest.raises(exc.HttpError) as caught,
    ):
        client.services.list(emulator.deployment_id)
    assert caught.value.status_code == 502
    assert "502 Bad Gateway" in caught.value.error_description
    assert emulator.count("list") == 2


@pytest.mark.parametrize(
    ("body", "content_type"),
    [(b"<html>ok</html>", "text/html"), (b"[1, 2]", "application/json"), (b"", "text/plain")],
)
def test_2xx_body_that_is_not_the_expected_json(
    client: ServiceClient, emulator: ServiceEmulator, body: bytes, content_type: str
) -> None:
    emulator.inject("get", status=200, body=body, content_type=content_type)
    with pytest.raises(exc.InvalidResponseError) as caught:
        client.services.get(emulator.deployment_id, "ser-1")
    assert caught.value.status_code == 200


def test_2xx_json_of_the_wrong_shape(client: ServiceClient, emulator: ServiceEmulator) -> None:
    emulator.inject("get", status=200, body=b'{"service_id": 5}')
    with pytest.raises(exc.InvalidResponseError, match="not a valid Service"):
        client.services.get(emulator.deployment_id, "ser-1")


def test_predict_json_of_a_non_json_answer(emulator: ServiceEmulator) -> None:
    def handler(request: object, context: object) -> dict[str, object]:
        return {"status_code": 200, "content_type": "text/plain", "content": "plain"}

    emulator.add_deployment("77", {"ver-t": handler})
    with emulator.client() as client:
        service = client.services.create("77", version_id="ver-t")
        answer = service.predict(json={})
        assert answer.text == "plain"
        with pytest.raises(exc.InvalidResponseError):
            answer.json()


def test_credentials_never_show(
    emulator: ServiceEmulator, caplog: pytest.LogCaptureFixture, free_port: int
) -> None:
    credential = {"auth_token": SECRET}
    caplog.set_level(logging.DEBUG)
    client = ServiceClient(
        "1", base_url=emulator.url, credential=credential, max_retries=1, sleep=lambda s: None
    )
    texts = [repr(client), str(client), repr(client._settings), repr(APIClient(credential))]
    emulator.inject("list", status=503, times=None)
    with pytest.raises(exc.HttpError) as http_error:
        client.services.list("2")
    dead = ServiceClient(
        "1", base_url=f"http://127.0.0.1:{free_port}", credential=credential, max_retries=0
    )
    with pytest.raises(exc.APIConnectionError) as conn_error:
        dead.services.list("2")
    for error in (http_error.value, conn_error.value):
        texts += [str(error), repr(error), "".join(traceback.format_exception(error))]
        assert error.__cause__ is None and error.__context__ is None
    texts += [record.getMessage() for record in caplog.records]
    assert any("attempt 2" in record.getMessage() for record in caplog.records)
    assert credential == {"auth_token": SECRET}  # never mutated
    for text in texts:
        assert SECRET not in text


def test_each_attempt_is_logged_at_debug(
    client: ServiceClient, emulator: ServiceEmulator, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG, logger="abeja.services")
    emulator.inject("list", status=503, times=1)
    client.services.list(emulator.deployment_id)
    ours = [r for r in caplog.records if r.name == "abeja.services"]
    lines = [r.getMessage() for r in ours if r.levelno == logging.DEBUG]
    assert len(lines) == 2
    assert "GET" in lines[0] and "/services" in lines[0] and "503" in lines[0]
    assert "attempt 1" in lines[0] and "attempt 2" in lines[1] and "200" in lines[1]
    assert "ms" in lines[1]
    decisions = [r.getMessage() for r in ours if r.levelno == logging.INFO]
    assert len(decisions) == 1 and decisions[0].startswith("retrying GET")


def _raise_in_child(kind: str) -> None:
    from abeja.exceptions import InvalidResponseError, ServiceFailedError, WaitTimeoutError
    from abeja.services import Service

    service = Service(service_id="ser-1", deployment_id="1", status="FAILED")
    if kind == "invalid":
        raise InvalidResponseError("bad body", status_code=200, url="u")
    if kind == "failed":
        raise ServiceFailedError("failed", service)
    raise WaitTimeoutError("late", service)


@pytest.mark.parametrize(
    "error",
    [
        exc.InvalidResponseError("m", status_code=200, url="u"),
        exc.ResponseTooLargeError("m", status_code=200, url="u", limit=3),
        exc.ServiceFailedError("m", Service(service_id="s", deployment_id="d")),
        exc.WaitTimeoutError("m", None),
        exc.NotFound("e", "d", {"x": 1}, 404, "GET u", request_id="r", retry_after=1.0),
        exc.APITimeoutError("t", may_have_applied=True),
        exc.HttpError("e", "d", None, 502, "POST u", may_have_applied=True),
    ],
    ids=lambda e: type(e).__name__,
)
def test_every_error_round_trips_through_pickle_and_deepcopy(error: exc.Error) -> None:
    for again in (pickle.loads(pickle.dumps(error)), copy.deepcopy(error)):
        assert type(again) is type(error)
        assert vars(again).keys() == vars(error).keys()
        assert str(again) == str(error) and repr(again) == repr(error)


@pytest.mark.parametrize("kind", ["invalid", "failed", "late"])
def test_errors_cross_a_process_pool(kind: str) -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context) as pool:
        future = pool.submit(_raise_in_child, kind)
        with pytest.raises(exc.Error) as caught:
            future.result(timeout=60)
    if kind != "invalid":
        assert caught.value.service.service_id == "ser-1"  # type: ignore[attr-defined]
