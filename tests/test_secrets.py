"""No credential in any log, warning, str, repr, pickle or traceback, whatever goes wrong."""

from __future__ import annotations

import base64
import logging
import pickle
import traceback
import warnings
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import abeja.services
from abeja.exceptions import Error
from abeja.services import APIClient, AsyncServiceClient, ServiceClient
from abeja.services.testing import ServiceEmulator

from .clients import make_client
from .hostile import CLOSE, HostileServer, answer

TOKEN = "tok-SECRET-0123456789abcdef"
USER, PAT = "1234567890123", "pat-SECRET-fedcba9876543210"
SECRETS = (
    TOKEN,
    PAT,
    base64.b64encode(f"user-{USER}:{PAT}".encode()).decode(),
)
CREDENTIALS = [
    pytest.param({"auth_token": TOKEN}, id="bearer"),
    pytest.param({"user_id": USER, "personal_access_token": PAT}, id="basic"),
]


def _assert_clean(text: str) -> None:
    for secret in SECRETS:
        at = text.find(secret)
        assert at < 0, text[max(0, at - 1500) : at + 100]


def _views(value: object) -> str:
    """Every way a value is usually shown or shipped: str, repr and its pickle."""
    texts = [str(value), repr(value)]
    try:
        texts.append(pickle.dumps(value).decode("latin-1"))
    except (TypeError, pickle.PicklingError, AttributeError) as error:
        texts.append(str(error))
    return "\n".join(texts)


PACKAGE = str(Path(abeja.services.__file__).parent.parent)


def _our_frames(error: BaseException) -> str:
    """The traceback with every local of every frame inside the package, chained ones too."""
    shown: list[str] = traceback.format_exception(error)
    report: traceback.TracebackException | None = traceback.TracebackException.from_exception(
        error, capture_locals=True
    )
    ours = 0
    while report is not None:
        for frame in report.stack:
            if frame.filename.startswith(PACKAGE):
                ours += 1
                shown.append(repr(frame.locals))
        report = report.__cause__ or report.__context__
    assert ours >= 2  # the frames from the public method down to where it raised
    return "".join(shown)


@pytest.fixture
def debug_logs(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    caplog.set_level(logging.DEBUG)  # ours, urllib3's, everyone's
    for name in ("abeja.services", "urllib3"):
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield caplog


def _failures(
    emulator: ServiceEmulator,
    free_port: int,
    credential: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> list[Callable[[], object]]:
    dep = emulator.deployment_id

    def typed(kind: str) -> list[Callable[[], object]]:
        """The failures of one typed client (sync or async, ``tests/clients.py``)."""

        def client(**options: object) -> Any:
            settings = {"base_url": emulator.url, "credential": credential,
                        "sleep": lambda s: None, **options}  # fmt: skip
            return make_client(kind, emulator.organization_id, **settings)

        def unauthorized() -> object:
            with client() as c:
                return c.services.list(dep)

        def retried_5xx() -> object:
            emulator.inject("list", status=503, times=None)
            with client(max_retries=2) as c:
                return c.services.list(dep)

        def timeout() -> object:
            emulator.inject("list", delay=2.0, times=None)
            with client(timeout=0.1, max_retries=1) as c:
                return c.services.list(dep)

        def refused() -> object:
            with client(base_url=f"http://127.0.0.1:{free_port}", max_retries=1) as c:
                return c.services.list(dep)

        return [unauthorized, retried_5xx, timeout, refused]

    def compat_refused() -> object:
        monkeypatch.setenv("ABEJA_API_URL", f"http://127.0.0.1:{free_port}")
        with APIClient(credential=credential, max_retry_count=1) as api:
            return api.get_services(emulator.organization_id, dep)

    return [*typed("sync"), *typed("async"), compat_refused]


@pytest.mark.parametrize("credential", CREDENTIALS)
def test_no_secret_in_logs_warnings_errors_or_tracebacks(
    emulator: ServiceEmulator,
    free_port: int,
    debug_logs: pytest.LogCaptureFixture,
    credential: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    shown: list[str] = []
    with warnings.catch_warnings(record=True) as caught_warnings:
        warnings.simplefilter("always")
        for failure in _failures(emulator, free_port, credential, monkeypatch):
            emulator.clear_faults()
            with pytest.raises(Error) as caught:
                failure()
            error = caught.value
            shown.append(_views(error))
            shown.append(_our_frames(error))
    shown += [str(w.message) for w in caught_warnings]
    shown.append(debug_logs.text)
    assert "GET" in debug_logs.text  # the logs did record the attempts
    _assert_clean("\n".join(shown))


@pytest.mark.parametrize("credential", CREDENTIALS)
def test_no_secret_in_clients_or_responses(
    emulator: ServiceEmulator, credential: dict[str, str]
) -> None:
    emulator.add_deployment("4242", {"ver-s": None})
    with emulator.client() as owner:
        service = owner.services.create("4242", version_id="ver-s")
        answer_ = service.predict(json={"x": 1})
        listed = owner.services.list("4242")
    client = ServiceClient("1111111111111", credential=credential)
    api = APIClient(credential=credential)
    async_client = AsyncServiceClient("1111111111111", credential=credential)
    views = (client, api, async_client, answer_, answer_.http, service, listed)
    _assert_clean("\n".join(_views(v) for v in views))
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(async_client)
    with pytest.raises(TypeError, match="cannot be pickled"):
        pickle.dumps(client)


@pytest.mark.parametrize("credential", CREDENTIALS)
def test_a_redirect_to_another_host_is_not_followed_with_the_credential(
    credential: dict[str, str], debug_logs: pytest.LogCaptureFixture
) -> None:
    with HostileServer(lambda request: [answer(200, b'{"entries": []}')]) as other:
        moved = answer(301, b"", reason="Moved", headers={"Location": other.url + "/x"})
        with (
            HostileServer(lambda request: [moved, CLOSE]) as server,
            ServiceClient("1111111111111", base_url=server.url, credential=credential) as c,
            pytest.raises(Error) as caught,
        ):
            c.services.list("9999999999999")
        assert len(server.received) == 1
        assert other.received == []
    _assert_clean(_views(caught.value) + debug_logs.text)
