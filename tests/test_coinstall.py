"""Living beside abeja-sdk 2.3.6, in real virtualenvs, in both install orders and through
uninstalls: what works, what breaks, that the breakage is detected, and that one command
repairs it.

The environments are built once and cached under .cache/ (abeja-sdk and its dependencies
come from the registry); each scenario runs in a copy. abeja-sdk's own clients are driven
against a local recording server and must send exactly what they send without us.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from abeja.services.testing import ServiceEmulator

from .abeja_sdk import CACHE, ROOT, SDK, old_python, sdk_wheel
from .hostile import HostileServer, Received, answer
from .locks import exclusive

# A hygiene figure, run by `make test-long` (venvs with abeja-sdk installed beside us by
# pip, in both orders: about 30 s of a worker), kept out of make test's five minutes.
pytestmark = pytest.mark.long

ORG = "1111111111111"

# abeja-sdk's clients, building requests; prints what each call returned or raised.
SDK_CLIENTS = """
import json, sys
from abeja.datasets import APIClient as Datasets
from abeja.deployments import APIClient as Deployments
from abeja.endpoints import APIClient as Endpoints
from abeja.exceptions import HttpError
out = []
for call in (
    lambda: Datasets().get_dataset("1111111111111", "2222222222222"),
    lambda: Deployments().get_deployment("1111111111111", "3333333333333"),
    lambda: Endpoints().get_endpoints("1111111111111", "3333333333333"),
    lambda: Datasets().get_dataset("1111111111111", "404"),
):
    try:
        out.append(["ok", call()])
    except HttpError as error:
        out.append(["error", type(error).__name__, error._asdict(), str(error)])
print(json.dumps(out))
"""

# Every module abeja-sdk installs, imported; prints the ones that fail.
SDK_IMPORTS = """
import importlib, importlib.metadata, json
failed = {}
for file in importlib.metadata.files("abeja-sdk"):
    name = str(file)
    if not name.startswith("abeja/") or not name.endswith(".py"):
        continue
    module = name[:-3].replace("/", ".").removesuffix(".__init__")
    try:
        importlib.import_module(module)
    except Exception as error:
        failed[module] = type(error).__name__
print(json.dumps(failed))
"""

OURS = """
import json
from abeja.services import APIClient, ServiceClient
from abeja.services.api.client import APIClient as ByPath
import abeja.exceptions as exceptions, abeja.services.errors as errors
print(json.dumps({
    "typed": ServiceClient.__module__,
    "compat": APIClient.__module__,
    "by_path": ByPath is APIClient,
    "union": {"InvalidResponseError", "UnsupportedURI"} <= set(exceptions.__all__),
    "same_classes": exceptions.HttpError is errors.HttpError,
}))
"""


def _run(
    python: Path, *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(python), *args],
        capture_output=True,
        text=True,
        timeout=600,
        env={**os.environ, **(env or {})},
        cwd=python.parent,  # not the repository: its abeja/ would shadow the installed one
    )


def _pip(python: Path, *args: str) -> None:
    done = _run(python, "-m", "pip", "--disable-pip-version-check", "-q", *args)
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Our wheel, built now; abeja-sdk's, downloaded once."""
    folder = tmp_path_factory.mktemp("wheels")
    with exclusive("wheel-build"):  # a build of this tree at a time, across the workers
        _pip(Path(sys.executable), "wheel", "--no-deps", "-w", str(folder), str(ROOT))
    ours = next(folder.glob("abeja_services-*.whl"))
    with zipfile.ZipFile(ours) as archive:
        names = archive.namelist()
    assert "abeja/__init__.py" not in names  # abeja is abeja-sdk's when it is installed
    assert "abeja/exceptions/__init__.py" in names and "abeja/services/errors.py" in names
    return {"ours": ours, "sdk": sdk_wheel()}


@pytest.fixture(scope="module")
def base() -> Path:
    """A cached virtualenv with abeja-sdk 2.3.6 and everything both packages depend on."""
    venv = CACHE / "venv-sdk"
    with exclusive("venv-sdk"):  # one worker builds it; the other then finds it
        _build_base(venv)
    return venv


def _build_base(venv: Path) -> None:
    if not (venv / ".complete").exists():
        shutil.rmtree(venv, ignore_errors=True)
        base = old_python()
        if base is None:
            pytest.skip("abeja-sdk 2.3.6 needs Python < 3.12 and none was found on this machine")
        venv.parent.mkdir(parents=True, exist_ok=True)
        # No ensurepip (seen failing when many processes start at once): an empty
        # virtualenv, given its own pip by this environment's pip.
        subprocess.run([base, "-m", "venv", "--without-pip", str(venv)], check=True,
                       cwd=venv.parent)  # fmt: skip
        python = venv / "bin" / "python"
        subprocess.run(
            [sys.executable, "-m", "pip", "--python", str(python), "install", "-q",
             "--disable-pip-version-check", "pip"],
            check=True, cwd=venv.parent,
        )  # fmt: skip
        deps = ["pydantic>=2.6,<3", "requests>=2.32.2,<3", "tenacity>=9.0", "urllib3>=2.6,<3"]
        _pip(python, "install", SDK, *deps)
        (venv / ".complete").touch()


@pytest.fixture
def venv(base: Path, tmp_path: Path) -> Path:
    """A copy of the base environment for one scenario; its python."""
    copy = tmp_path / "venv"
    shutil.copytree(base, copy, symlinks=True)
    return copy / "bin" / "python"


@pytest.fixture(scope="module")
def recorder() -> Iterator[HostileServer]:
    def script(request: Received) -> list[bytes | float | object]:
        if "/404" in request.path:
            return [answer(404, b'{"error": "not_found", "error_description": "no dataset"}')]
        return [answer(200, json.dumps({"path": request.path}).encode())]

    with HostileServer(script) as server:
        yield server


def _sdk_calls(python: Path, recorder: HostileServer) -> list[object]:
    env = {"ABEJA_API_URL": recorder.url, "PLATFORM_AUTH_TOKEN": "sdk-token"}
    done = _run(python, "-c", SDK_CLIENTS, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    return list(json.loads(done.stdout))


def _json(python: Path, code: str) -> object:
    done = _run(python, "-c", code)
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout)


def test_abeja_sdk_first_then_ours_keeps_both_whole(
    venv: Path, wheels: dict[str, Path], recorder: HostileServer
) -> None:
    alone_imports = _json(venv, SDK_IMPORTS)
    alone_calls = _sdk_calls(venv, recorder)
    _pip(venv, "install", "--no-deps", str(wheels["ours"]))
    assert _json(venv, SDK_IMPORTS) == alone_imports  # every abeja-sdk module as before
    beside_calls = _sdk_calls(venv, recorder)
    assert beside_calls == alone_calls  # the same answers, and abeja-sdk's 404 alike:
    assert beside_calls[3][:2] == ["error", "NotFound"]  # _asdict() and str() included
    sent = [r.path for r in recorder.received]
    assert sent[: len(sent) // 2] == sent[len(sent) // 2 :]  # the same requests, both times
    assert _json(venv, OURS) == {
        "typed": "abeja.services._client",
        "compat": "abeja.services._compat",
        "by_path": True,
        "union": True,
        "same_classes": True,
    }
    assert _run(venv, "-m", "abeja.services.doctor").returncode == 0


def test_ours_first_then_abeja_sdk_is_detected_and_repaired_by_one_command(
    venv: Path, wheels: dict[str, Path]
) -> None:
    _pip(venv, "install", "--no-deps", str(wheels["ours"]))
    _pip(venv, "install", "--no-deps", "--force-reinstall", str(wheels["sdk"]))  # installed after
    doctor = _run(venv, "-m", "abeja.services.doctor")
    assert doctor.returncode == 1
    assert "pip install --force-reinstall --no-deps abeja-services" in doctor.stderr
    testing = _run(venv, "-c", "import abeja.services.testing")
    assert testing.returncode != 0 and "Repair with: pip install" in testing.stderr
    still = _run(venv, "-c", "from abeja.services.errors import HttpError; import abeja.datasets")
    assert still.returncode == 0, still.stderr  # our errors module and abeja-sdk still work
    _pip(venv, "install", "--no-deps", "--force-reinstall", str(wheels["ours"]))  # the repair
    assert _run(venv, "-m", "abeja.services.doctor").returncode == 0


def test_uninstalling_either_is_detected_and_repaired(venv: Path, wheels: dict[str, Path]) -> None:
    _pip(venv, "install", "--no-deps", str(wheels["ours"]))
    _pip(venv, "uninstall", "-y", "abeja-sdk")  # removes the shared files with its own
    doctor = _run(venv, "-m", "abeja.services.doctor")
    assert doctor.returncode == 1 and "abeja.services.ServiceClient is not ours" in doctor.stdout
    _pip(venv, "install", "--no-deps", "--force-reinstall", str(wheels["ours"]))
    assert _run(venv, "-m", "abeja.services.doctor").returncode == 0
    assert _run(venv, "-c", "import abeja.services.testing").returncode == 0  # ours alone

    _pip(venv, "install", "--no-deps", str(wheels["sdk"]))
    _pip(venv, "install", "--no-deps", "--force-reinstall", str(wheels["ours"]))
    _pip(venv, "uninstall", "-y", "abeja-services")
    broken = _run(venv, "-c", "import abeja.datasets")
    assert broken.returncode != 0  # abeja-sdk lost abeja/exceptions/__init__.py with ours
    _pip(venv, "install", "--no-deps", "--force-reinstall", str(wheels["sdk"]))
    assert _run(venv, "-c", "import abeja.datasets; import abeja.services").returncode == 0


PREDICT = """
import json, os, sys
from abeja.services import APIClient
org, dep, sid = sys.argv[1:4]
answer = APIClient().request_service(org, dep, sid, json={"x": 1})
print(json.dumps([answer.status_code, answer.json()]))
"""


def test_abeja_sdk_predicts_against_the_emulator_with_what_it_prints(
    venv: Path, emulator: ServiceEmulator
) -> None:
    """abeja-sdk alone (not ours), pointed at the emulator by abeja_sdk_env()."""
    with emulator.client() as client:
        service = client.services.create(emulator.deployment_id, version_id=emulator.version_id)
    org, dep = emulator.organization_id, emulator.deployment_id
    done = _run(venv, "-c", PREDICT, org, dep, service.service_id, env=emulator.abeja_sdk_env())
    assert done.returncode == 0, done.stderr[-3000:]
    assert json.loads(done.stdout) == [200, {"echo": {"x": 1}, "model_version": "0.0.1"}]
    predicted = [r for r in emulator.requests if r.route == "predict"]
    assert predicted[-1].headers["Host"].startswith(f"{org}.127.0.0.1:")


SDK_VERSION_FLOW = """
import json, shutil, sys
import requests
from abeja.deployments import APIClient

org, dep, folder = sys.argv[1:4]
response = APIClient().create_deployment_version(
    org, dep, "1.0.0", "predict:handler", "abeja-inc/all-cpu:19.10", {"GREETING": "sdk"}
)
shutil.make_archive("./archive", "gztar", root_dir=folder, base_dir=".")
with open("archive.tar.gz", "rb") as file:
    answer = requests.put(response["upload_url"], data=file)
print(json.dumps([response["version_id"], answer.status_code]))
"""


def test_abeja_sdks_documented_version_flow_works_against_the_emulator(
    venv: Path, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    """abeja-sdk 2.3.6's create_deployment_version, then its docstring's make_archive and
    requests.put, as written; the version it made serves the folder's handler to us."""
    from .managers.test_versions import model_folder

    folder = model_folder(tmp_path / "code", "weights-from-abeja-sdk")
    org, dep = emulator.organization_id, emulator.deployment_id
    done = _run(venv, "-c", SDK_VERSION_FLOW, org, dep, str(folder), env=emulator.abeja_sdk_env())
    assert done.returncode == 0, done.stderr[-3000:]
    version_id, status = json.loads(done.stdout)
    assert status == 200
    upload = [r for r in emulator.requests if r.route == "upload_archive"]
    assert len(upload) == 1 and "Authorization" not in upload[0].headers
    with emulator.client() as client:
        service = client.services.create(dep, version_id=version_id).wait_until_ready()
        answer = service.predict(json={}).json()
    assert answer == {"model": "weights-from-abeja-sdk", "greeting": "sdk", "cwd_has_model": True}
