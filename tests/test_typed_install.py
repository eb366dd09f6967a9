"""Typed for installed users: the built wheel in a fresh virtualenv, and mypy --strict and
pyright strict on a user's script that catches ``abeja.exceptions`` errors: precise types,
no ``import-untyped``, no ``Any``."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from .abeja_sdk import ROOT
from .locks import exclusive

# A hygiene figure, run by `make test-long` (a wheel built and installed in a new venv,
# then mypy and pyright on it: about 25 s of a worker), kept out of make test's five minutes.
pytestmark = pytest.mark.long

USER_SCRIPT = """
from abeja.exceptions import HttpError, NotFound
from abeja.services import Endpoint, Service, ServiceClient
from abeja.services.errors import RolloutError


def fetch(client: ServiceClient) -> Service | None:
    try:
        return client.services.get("9999999999999", "ser-1")
    except NotFound as error:
        print(error.status_code, error.request_id, error.may_have_applied)
        return None
    except HttpError as error:
        print(error.error_description)
        raise


def switch(client: ServiceClient, service: Service) -> Endpoint:
    return client.endpoints.switch("9999999999999", "default", service)


def status_code(client: ServiceClient) -> int:
    raw = client.services.with_raw_response.get("9999999999999", "ser-1")
    return raw.status_code if raw.parsed.is_ready else 0


reveal_type(NotFound)
reveal_type(fetch)
reveal_type(RolloutError)
reveal_type(ServiceClient("1").services.with_raw_response.get)
"""


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the wheel built now (and its dependencies); its python."""
    folder = tmp_path_factory.mktemp("typed")
    with exclusive("wheel-build"):  # a build of this tree at a time, across the workers
        subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(folder),
             str(ROOT)],
            check=True, timeout=300,
        )  # fmt: skip
    wheel = next(folder.glob("abeja_services-*.whl"))
    venv = folder / "venv"
    # No ensurepip (seen failing when many processes start at once): an empty virtualenv,
    # and the wheel installed into it by this environment's pip.
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True,
                   timeout=120)  # fmt: skip
    python = venv / "bin" / "python"
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
         "--disable-pip-version-check", str(wheel)],
        check=True, timeout=600,
    )  # fmt: skip
    (folder / "user.py").write_text(USER_SCRIPT)
    return python


def _tool(name: str) -> str:
    return str(Path(sys.executable).parent / name)


def test_mypy_strict_sees_precise_types_from_the_installed_wheel(installed: Path) -> None:
    folder = installed.parent.parent.parent
    done = subprocess.run(
        [_tool("mypy"), "--strict", "--no-incremental", "--python-executable", str(installed),
         "user.py"],
        capture_output=True, text=True, cwd=folder, timeout=300, check=False,
        env={**os.environ, "MYPYPATH": ""},
    )  # fmt: skip
    out = done.stdout
    assert "import-untyped" not in out and "missing library stubs" not in out, out
    assert "Success: no issues found in 1 source file" in out, out
    assert 'Revealed type is "def (error: str, error_description: str' in out, out
    assert "-> abeja.services.errors.NotFound" in out, out
    assert "def (client: abeja.services._client.ServiceClient) -> " in out, out
    assert "def (deployment_id: str, service_id: str) -> " in out, out
    assert "RawResponse[abeja.services.models.Service]" in out, out
    assert "Any" not in out, out


def test_pyright_strict_sees_the_same(installed: Path) -> None:
    folder = installed.parent.parent.parent
    (folder / "pyrightconfig.json").write_text('{"typeCheckingMode": "strict"}')
    done = subprocess.run(
        [_tool("pyright"), "--pythonpath", str(installed), "user.py"],
        capture_output=True, text=True, cwd=folder, timeout=300, check=False,
    )  # fmt: skip
    out = done.stdout
    assert "Stub file not found" not in out, out
    assert "0 errors" in out, out
    assert 'Type of "NotFound" is "type[NotFound]"' in out, out
