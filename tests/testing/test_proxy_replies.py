"""Replies the serving proxy cannot send (abeja-platform-model-proxy's ``FromResponse``):
over HTTP against the emulator, with the answers the proxy writes."""

from __future__ import annotations

from typing import Any

import pytest

from abeja.exceptions import HttpError, InternalServerError
from abeja.services import ServiceClient
from abeja.services.testing import ServiceEmulator

REPLY: dict[str, Any] = {}


def replying(request: Any, context: Any) -> dict[str, Any]:
    return dict(REPLY)


@pytest.fixture
def service_id(client: ServiceClient, emulator: ServiceEmulator) -> str:
    emulator.add_deployment(emulator.deployment_id, {"ver-reply": replying})
    service = client.services.create(emulator.deployment_id, version_id="ver-reply")
    return service.wait_until_ready().service_id


@pytest.mark.parametrize(
    "content_type",
    ["multipart/form-data; boundary=x", "multipart/form-data", "text/plain; charset", "a/b/c"],
)
def test_a_reply_content_type_the_proxy_has_no_converter_for_is_a_501(
    client: ServiceClient, emulator: ServiceEmulator, service_id: str, content_type: str
) -> None:
    REPLY.update(status_code=200, content_type=content_type, content="x")
    with pytest.raises(HttpError) as raised:
        client.services.predict(emulator.deployment_id, service_id, json={})
    assert raised.value.status_code == 501
    served = emulator.requests[-1]
    assert served.response == (
        f'{{"status":"Content-Type: [{content_type}] is not supported"}}'.encode()
    )


@pytest.mark.parametrize("content_type", ["json", "text/plain;", 'text/csv; header="a;b"'])
def test_a_content_type_go_can_parse_is_sent_on(
    client: ServiceClient, emulator: ServiceEmulator, service_id: str, content_type: str
) -> None:
    """Go's mime.ParseMediaType takes a lone token (``json``) and trailing semicolons."""
    REPLY.update(status_code=200, content_type=content_type, content="x")
    answer = client.services.predict(emulator.deployment_id, service_id, json={})
    assert answer.status_code == 200 and answer.content_type == content_type


@pytest.mark.parametrize(
    ("status_code", "kind"), [(200.5, "number 200.5"), (200.0, "number 200.0"), ("200", "string")]
)
def test_a_status_code_go_cannot_read_as_an_int_is_named_as_encoding_json_names_it(
    client: ServiceClient,
    emulator: ServiceEmulator,
    service_id: str,
    status_code: object,
    kind: str,
) -> None:
    REPLY.update(status_code=status_code, content_type="application/json", content={})
    with pytest.raises(InternalServerError):
        client.services.predict(emulator.deployment_id, service_id, json={})
    message = (emulator.requests[-1].response or b"").decode()
    assert (
        f"json: cannot unmarshal {kind} into Go struct field Response.status_code of type int"
        in message
    )
