"""Both clients in the networks corporate users sit in: proxies from the environment (HTTP
forward, CONNECT for TLS, SOCKS), CA settings (a bundle, a folder, SSL_CERT_FILE and
SSL_CERT_DIR, and their order), a ``.netrc`` and a session's own ``verify``. Over real
HTTP(S) on 127.0.0.1 only: local proxies that record what they were asked, the emulator,
and a TLS server with a certificate of its own."""

from __future__ import annotations

import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from abeja.exceptions import APIConnectionError
from abeja.services import ServiceClient
from abeja.services.testing import ServiceEmulator

from .. import reference_examples as ref
from ..clients import KINDS, emulated_client, make_client
from ..proxies import HTTPProxy, SOCKSProxy

ORG, DEP, SID = "1111111111111", "9999999999999", str(ref.GET["service_id"])
PROXY_VARIABLES = ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "NO_PROXY")
CA_VARIABLES = ("REQUESTS_CA_BUNDLE", "CURL_CA_BUNDLE", "SSL_CERT_FILE", "SSL_CERT_DIR")


@pytest.fixture(autouse=True)
def _no_proxy_or_ca_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in PROXY_VARIABLES + CA_VARIABLES:
        monkeypatch.delenv(name, raising=False)
        monkeypatch.delenv(name.lower(), raising=False)


@pytest.fixture
def http_proxy() -> Iterator[HTTPProxy]:
    with HTTPProxy() as proxy:
        yield proxy  # type: ignore[misc]


def _emulated(kind: str, emulator: ServiceEmulator, **options: Any) -> Any:
    return emulated_client(kind, emulator, max_retries=0, **options)


def _tls_client(kind: str, url: str, **options: Any) -> Any:
    options = {"credential": {"auth_token": "t"}, "max_retries": 0, **options}
    return make_client(kind, ORG, base_url=url, **options)


# -- proxies ----------------------------------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS)
def test_an_http_proxy_from_the_environment_carries_every_call(
    kind: str, emulator: ServiceEmulator, http_proxy: HTTPProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HTTP_PROXY", http_proxy.url)
    with _emulated(kind, emulator) as client:
        made = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
        client.services.get(emulator.deployment_id, made.service_id)
        client.services.list(emulator.deployment_id)
        client.services.predict(emulator.deployment_id, made.service_id, json={"a": 1})
    seen = [(s.method, s.target.split("?")[0].rsplit("/", 1)[-1]) for s in http_proxy.seen]
    assert seen == [
        ("POST", "services"),
        ("GET", made.service_id),
        ("GET", "services"),
        ("POST", made.service_id),
    ]
    assert all(s.target.startswith(emulator.url) for s in http_proxy.seen)  # absolute URIs
    assert emulator.count() == 4


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("no_proxy", ["127.0.0.1", "*", "localhost,127.0.0.1:0,127.0.0.1"])
def test_no_proxy_sends_directly(
    kind: str,
    emulator: ServiceEmulator,
    http_proxy: HTTPProxy,
    monkeypatch: pytest.MonkeyPatch,
    no_proxy: str,
) -> None:
    monkeypatch.setenv("HTTP_PROXY", http_proxy.url)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    with _emulated(kind, emulator) as client:
        client.services.list(emulator.deployment_id)
    assert http_proxy.seen == [] and emulator.count("list") == 1


@pytest.mark.parametrize("kind", KINDS)
def test_tls_goes_through_a_connect_tunnel(
    kind: str,
    tls_server: tuple[str, list[str]],
    certificate: tuple[str, str],
    http_proxy: HTTPProxy,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    url, peers = tls_server
    monkeypatch.setenv("HTTPS_PROXY", http_proxy.url)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certificate[0])
    with _tls_client(kind, url) as client:
        assert client.services.get(DEP, SID).service_id == SID
    assert [(s.method, s.target) for s in http_proxy.seen] == [("CONNECT", url[len("https://") :])]
    assert len(peers) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_predictions_to_the_organizations_sub_domain_are_proxied_by_the_same_rules(
    kind: str, http_proxy: HTTPProxy, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The default prediction host, ``<organization>.api.abeja.io``: tunnelled through the
    proxy (which refuses to go further: nothing leaves this machine), and sent directly
    under a NO_PROXY suffix exactly where requests would."""
    monkeypatch.setenv("HTTPS_PROXY", http_proxy.url)
    with (
        make_client(kind, ORG, credential={"auth_token": "t"}, max_retries=0) as client,
        pytest.raises(APIConnectionError),
    ):
        client.services.predict(DEP, SID, json={})
    assert [(s.method, s.target) for s in http_proxy.seen] == [
        ("CONNECT", f"{ORG}.api.abeja.io:443")
    ]
    monkeypatch.setenv("NO_PROXY", ".api.abeja.io")
    host = f"https://{ORG}.api.abeja.io/deployments/{DEP}/services/{SID}"
    assert requests.utils.get_environ_proxies(host) == {}  # requests: direct, as we do
    from abeja.services._http._proxies import proxy_for

    assert proxy_for(host) is None


@pytest.mark.parametrize("kind", KINDS)
def test_a_socks_proxy_from_the_environment(
    kind: str, emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch
) -> None:
    pytest.importorskip("socks")
    pytest.importorskip("socksio")
    with SOCKSProxy() as proxy:
        monkeypatch.setenv("ALL_PROXY", proxy.url)
        with _emulated(kind, emulator) as client:
            assert len(client.services.list(emulator.deployment_id)) == 0
            client.services.create(emulator.deployment_id, version_id=emulator.version_id)
        host, port = emulator.url.removeprefix("http://").split(":")
        assert [s.target for s in proxy.seen] == [f"{host}:{port}"] * len(proxy.seen)
        assert proxy.seen and emulator.count() == 2


@pytest.mark.parametrize(("kind", "module"), [("sync", "socks"), ("async", "socksio")])
def test_a_socks_proxy_without_its_library_says_which_extra_to_install(
    kind: str, module: str, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    script = f"""
import sys
sys.modules[{module!r}] = None  # as if it were not installed
sys.path.insert(0, {str(Path(__file__).parents[2])!r})
from abeja.exceptions import APIConnectionError
from tests.clients import make_client
with make_client({kind!r}, {emulator.organization_id!r}, base_url={emulator.url!r},
                 credential={emulator.credential!r}, max_retries=0) as client:
    try:
        client.services.list({emulator.deployment_id!r})
    except APIConnectionError as error:
        print("ERROR", error)
"""
    env = {**_clean(), "ALL_PROXY": "socks5://127.0.0.1:9"}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, timeout=60, check=False)  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "ERROR" in done.stdout and "abeja-services[socks]" in done.stdout, done.stdout
    assert "Traceback" not in done.stderr and emulator.count() == 0


def _clean() -> dict[str, str]:
    import os

    names = {n.lower() for n in PROXY_VARIABLES + CA_VARIABLES}
    return {k: v for k, v in os.environ.items() if k.lower() not in names}


# -- CA settings ------------------------------------------------------------------------------


def _ca_folder(certificate: tuple[str, str], folder: Path) -> Path:
    """A folder of CA certificates as OpenSSL looks them up (``<subject hash>.0``)."""
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not on this machine")
    digest = subprocess.run(
        ["openssl", "x509", "-hash", "-noout", "-in", certificate[0]],
        capture_output=True, text=True, check=True,
    ).stdout.strip()  # fmt: skip
    folder.mkdir()
    shutil.copy(certificate[0], folder / f"{digest}.0")
    return folder


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_DIR"])
def test_a_ca_folder_is_accepted(
    kind: str,
    variable: str,
    tls_server: tuple[str, list[str]],
    certificate: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
) -> None:
    monkeypatch.setenv(variable, str(_ca_folder(certificate, tmp_path / "cas")))
    with _tls_client(kind, tls_server[0]) as client:
        assert client.services.get(DEP, SID).service_id == SID


@pytest.mark.parametrize("kind", KINDS)
def test_ssl_cert_file_is_honoured_after_the_requests_variables(
    kind: str,
    tls_server: tuple[str, list[str]],
    certificate: tuple[str, str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", certificate[0])
    with _tls_client(kind, tls_server[0]) as client:
        assert client.services.get(DEP, SID).service_id == SID
    # REQUESTS_CA_BUNDLE comes first: certifi's bundle does not vouch for this server.
    import certifi

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())
    with _tls_client(kind, tls_server[0]) as client, pytest.raises(APIConnectionError) as raised:
        client.services.get(DEP, SID)
    assert "CERTIFICATE_VERIFY_FAILED" in str(raised.value)


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("variable", ["REQUESTS_CA_BUNDLE", "SSL_CERT_FILE"])
def test_a_ca_bundle_with_no_certificate_is_refused_at_construction_naming_it(
    kind: str, variable: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    empty = tmp_path / "empty.pem"
    empty.write_text("not a certificate\n")
    monkeypatch.setenv(variable, str(empty))
    with pytest.raises(ValueError, match=variable) as raised:
        _tls_client(kind, "https://127.0.0.1:9", credential={"auth_token": "secret-token"})
    assert "secret-token" not in str(raised.value) and str(empty) in str(raised.value)


# -- a user's own requests.Session ------------------------------------------------------------


def test_the_clients_credential_wins_over_a_netrc_entry(
    emulator: ServiceEmulator, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    netrc = tmp_path / ".netrc"
    netrc.write_text("machine 127.0.0.1 login someone password netrc-secret\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    with emulator.client(session=requests.Session(), max_retries=0) as client:
        client.services.list(emulator.deployment_id)
    sent = emulator.requests[-1].headers
    assert sent["Authorization"].startswith("Bearer "), sent["Authorization"][:12]


def test_a_sessions_verify_false_stays_false_under_requests_ca_bundle(
    tls_server: tuple[str, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    import certifi

    monkeypatch.setenv("REQUESTS_CA_BUNDLE", certifi.where())  # would refuse this server
    session = requests.Session()
    session.verify = False
    with (
        pytest.warns(Warning),
        ServiceClient(
            ORG, base_url=tls_server[0], credential={"auth_token": "t"}, session=session
        ) as client,
    ):
        assert client.services.get(DEP, SID).service_id == SID
