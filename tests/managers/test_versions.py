"""Deployment versions over HTTP against the emulator, on both clients: a folder of model
code becomes a version whose service answers with that folder's handler; what the server
saw (the upload without a credential, one POST, what an ambiguous create leaves)."""

from __future__ import annotations

import gzip
import io
import json
import tarfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from abeja.exceptions import BadRequest, InternalServerError, NotFound
from abeja.services import ServiceClient
from abeja.services.models import DeploymentVersion, DeploymentVersionList
from abeja.services.testing import ServiceEmulator

from ..clients import KINDS, emulated_client

HANDLER = """\
import os

with open("model.txt") as f:  # read at import, from the working directory
    MODEL = f.read().strip()


def handler(request, context):
    return {
        "status_code": 200,
        "content_type": "application/json",
        "content": {"model": MODEL, "greeting": os.environ.get("GREETING"),
                    "cwd_has_model": os.path.exists("model.txt")},
    }
"""


def model_folder(root: Path, model: str) -> Path:
    """A folder as users have it: ``predict.py``, a model file, and a ``.git``."""
    root.mkdir(parents=True, exist_ok=True)
    (root / "predict.py").write_text(HANDLER)
    (root / "model.txt").write_text(model)
    (root / ".git" / "objects").mkdir(parents=True)
    (root / ".git" / "HEAD").write_text("ref: refs/heads/main\n")
    return root


@pytest.fixture(params=KINDS)
def client(
    request: pytest.FixtureRequest, emulator: ServiceEmulator, sleeps: list[float]
) -> Iterator[ServiceClient]:
    with emulated_client(request.param, emulator, sleep=sleeps.append) as client:
        yield client


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    return model_folder(tmp_path / "model", "weights-v1")


def _predict_through(client: ServiceClient, emulator: ServiceEmulator, version_id: str) -> object:
    service = client.services.create(emulator.deployment_id, version_id=version_id)
    ready = client.services.wait_until_ready(emulator.deployment_id, service.service_id)
    return client.services.predict(emulator.deployment_id, ready.service_id, json={}).json()


def test_a_folder_becomes_a_version_whose_service_answers_with_its_handler(
    client: ServiceClient, emulator: ServiceEmulator, folder: Path
) -> None:
    emulator.forget_requests()
    version = client.versions.create(
        emulator.deployment_id, folder, version="1.0.0", user_parameters={"GREETING": "hi"}
    )
    assert isinstance(version, DeploymentVersion)
    assert version.version_id.startswith("ver-") and version.version == "1.0.0"
    assert version.handler == "predict:handler" and version.user_parameters == {"GREETING": "hi"}
    assert version.archive_sha256 is not None and len(version.archive_sha256) == 64
    assert "upload_url" not in (version.model_extra or {})  # a presigned link is not kept
    seen = [(r.method, r.path.split("/")[-1]) for r in emulator.requests]
    assert seen == [("GET", "versions"), ("POST", "versions"), ("PUT", "source.tar.gz")]
    post = emulator.requests[1]
    assert json.loads(post.body) == {
        "version": "1.0.0", "handler": "predict:handler", "image": "abeja-inc/all-cpu:19.10",
        "user_parameters": {"GREETING": "hi"},
    }  # fmt: skip
    upload = emulator.requests[2]
    assert "Authorization" not in upload.headers and upload.status == 200
    assert upload.headers["Content-Length"] == str(version.archive_bytes)
    answer = _predict_through(client, emulator, version.version_id)
    assert answer == {"model": "weights-v1", "greeting": "hi", "cwd_has_model": True}


def test_the_archive_leaves_out_git_and_the_ignore_file_patterns_and_is_reproducible(
    client: ServiceClient, emulator: ServiceEmulator, folder: Path, tmp_path: Path
) -> None:
    (folder / "data").mkdir()
    (folder / "data" / "big.bin").write_bytes(b"x" * 1000)
    (folder / "notes.log").write_text("left out")
    (folder / "sub").mkdir()
    (folder / "sub" / "keep.py").write_text("# kept")
    (folder / ".abejaignore").write_text("# comments and blanks are skipped\n\n/data\n*.log\n")
    first = client.versions.create(emulator.deployment_id, folder, version="1.0.0")
    second = client.versions.create(emulator.deployment_id, folder, version="1.0.1")
    assert first.archive_sha256 == second.archive_sha256  # the same folder, the same bytes
    path = client.versions.download(emulator.deployment_id, first.version_id, to=tmp_path)
    assert path == tmp_path / f"{emulator.deployment_id}_{first.version_id}.tar.gz"
    with tarfile.open(path) as tar:
        names = tar.getnames()
        assert {m.mtime for m in tar.getmembers()} == {0}
    assert names == [".abejaignore", "model.txt", "predict.py", "sub", "sub/keep.py"]


def test_list_get_delete_and_download(
    client: ServiceClient, emulator: ServiceEmulator, folder: Path, tmp_path: Path
) -> None:
    made = client.versions.create(emulator.deployment_id, folder, version="2.0.0")
    listed = client.versions.list(emulator.deployment_id)
    assert isinstance(listed, DeploymentVersionList)
    assert made.version_id in [v.version_id for v in listed]
    got = client.versions.get(emulator.deployment_id, made.version_id)
    assert got.version == "2.0.0" and got.image == "abeja-inc/all-cpu:19.10"
    target = tmp_path / "copy.tar.gz"
    assert client.versions.download(emulator.deployment_id, made.version_id, to=target) == target
    with tarfile.open(target) as tar:
        assert tar.extractfile("predict.py").read().decode() == HANDLER  # type: ignore[union-attr]
    emulator.forget_requests()
    client.versions.download(emulator.deployment_id, made.version_id, to=target)
    assert all("Authorization" not in r.headers for r in emulator.requests if "_storage" in r.path)
    deleted = client.versions.delete(emulator.deployment_id, made.version_id)
    assert made.version_id in deleted.message
    with pytest.raises(NotFound):
        client.versions.get(emulator.deployment_id, made.version_id)


def test_a_500_after_the_create_acted_leaves_one_version_with_its_code(
    client: ServiceClient, emulator: ServiceEmulator, folder: Path
) -> None:
    emulator.inject("create_version", status=500, after=True)
    made = client.versions.create(emulator.deployment_id, folder, version="3.0.0")
    numbered = [v for v in client.versions.list(emulator.deployment_id) if v.version == "3.0.0"]
    assert [v.version_id for v in numbered] == [made.version_id]
    assert emulator.count("create_version") == 2  # the first acted; the one it made went
    assert emulator.count("delete_version") == 1
    assert _predict_through(client, emulator, made.version_id) == {
        "model": "weights-v1", "greeting": None, "cwd_has_model": True,
    }  # fmt: skip


def test_a_500_before_the_create_acted_is_raised_and_nothing_is_left(
    client: ServiceClient, emulator: ServiceEmulator, folder: Path
) -> None:
    emulator.inject("create_version", status=500)
    with pytest.raises(InternalServerError):
        client.versions.create(emulator.deployment_id, folder, version="3.1.0")
    assert emulator.count("create_version") == 1  # a POST is not resent after a 500
    assert emulator.count("upload_archive") == 0
    assert [v for v in client.versions.list(emulator.deployment_id) if v.version == "3.1.0"] == []


def test_an_upload_is_resent_only_while_nothing_can_have_been_stored(
    client: ServiceClient, emulator: ServiceEmulator, folder: Path, sleeps: list[float]
) -> None:
    emulator.inject("upload_archive", status=429, retry_after=1)
    made = client.versions.create(emulator.deployment_id, folder, version="4.0.0")
    assert emulator.count("upload_archive") == 2 and sleeps == [1.0]
    uploads = [r for r in emulator.requests if r.route == "upload_archive"]
    assert [len(u.body or b"") for u in uploads] == [made.archive_bytes] * 2  # rewound, whole


def test_a_failed_upload_deletes_its_version(
    client: ServiceClient, emulator: ServiceEmulator, folder: Path
) -> None:
    emulator.inject("upload_archive", status=500)
    with pytest.raises(InternalServerError):
        client.versions.create(emulator.deployment_id, folder, version="5.0.0")
    assert emulator.count("upload_archive") == 1  # a 500 may have stored it: not resent
    assert [v for v in client.versions.list(emulator.deployment_id) if v.version == "5.0.0"] == []


def test_a_version_number_the_deployment_has_is_refused_before_any_upload(
    client: ServiceClient, emulator: ServiceEmulator, folder: Path
) -> None:
    client.versions.create(emulator.deployment_id, folder, version="6.0.0")
    emulator.forget_requests()
    with pytest.raises(ValueError, match="has version 6.0.0 already"):
        client.versions.create(emulator.deployment_id, folder, version="6.0.0")
    assert [r.method for r in emulator.requests] == ["GET"]


def test_an_existing_tar_gz_is_uploaded_as_it_is(
    client: ServiceClient, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for name, text in (("predict.py", HANDLER), ("model.txt", "from-a-tarball")):
            info = tarfile.TarInfo(name)
            info.size = len(text.encode())
            tar.addfile(info, io.BytesIO(text.encode()))
    archive = tmp_path / "code.tar.gz"
    archive.write_bytes(buffer.getvalue())
    made = client.versions.create(emulator.deployment_id, archive, version="7.0.0")
    assert made.archive_bytes == archive.stat().st_size
    answer = _predict_through(client, emulator, made.version_id)
    assert answer == {"model": "from-a-tarball", "greeting": None, "cwd_has_model": True}


@pytest.mark.parametrize(
    ("arguments", "error"),
    [
        ({"version": ""}, "version must be"),
        ({"version": "1", "handler": "predict"}, "handler must be"),
        ({"version": "1", "image": ""}, "image must be"),
        ({"version": "1", "user_parameters": {"A": 1}}, "user_parameters must be"),
    ],
)
def test_bad_arguments_send_nothing(
    client: ServiceClient,
    emulator: ServiceEmulator,
    folder: Path,
    arguments: dict[str, object],
    error: str,
) -> None:
    emulator.forget_requests()
    with pytest.raises((ValueError, TypeError), match=error):
        client.versions.create(emulator.deployment_id, folder, **arguments)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="does not exist"):
        client.versions.create(emulator.deployment_id, folder / "nowhere", version="1")
    with pytest.raises(ValueError, match="deployment_id"):
        client.versions.create("../x", folder, version="1")
    with pytest.raises(ValueError, match="version_id"):
        client.versions.get(emulator.deployment_id, "a/b")
    assert emulator.requests == []


def test_an_upload_with_a_credential_is_refused_by_the_emulators_storage(
    emulator: ServiceEmulator,
) -> None:
    """The emulator refuses what real storage refuses: a presigned link and a credential
    on one request (so a client that sent its credential there would fail its tests)."""
    import requests

    credential = {"Authorization": f"Bearer {emulator.auth_token}"}
    answer = requests.post(
        f"{emulator.url}/organizations/{emulator.organization_id}/deployments/"
        f"{emulator.deployment_id}/versions",
        json={"version": "8.0.0", "image": "abeja-inc/all-cpu:19.10"},
        headers=credential,
        timeout=10,
    )
    upload_url = answer.json()["upload_url"]
    refused = requests.put(upload_url, data=b"", headers=credential, timeout=10)
    assert refused.status_code == 400 and "one auth mechanism" in refused.text
    forged = requests.put(upload_url.split("?")[0] + "?signature=forged", data=b"", timeout=10)
    assert forged.status_code == 403


def test_a_bad_archive_is_a_400(
    client: ServiceClient, emulator: ServiceEmulator, tmp_path: Path
) -> None:
    bogus = tmp_path / "bogus.tar.gz"
    bogus.write_bytes(gzip.compress(b"not a tar file at all" * 100))
    with pytest.raises(BadRequest, match="cannot be unpacked"):
        client.versions.create(emulator.deployment_id, bogus, version="9.0.0")


def test_progress_shows_a_bar_of_the_bytes_uploaded_and_starts_over_on_a_resend(
    client: ServiceClient,
    emulator: ServiceEmulator,
    folder: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    (folder / "weights.bin").write_bytes(bytes(range(256)) * 4096)  # 1 MiB
    emulator.inject("upload_archive", status=429, retry_after=1)
    made = client.versions.create(emulator.deployment_id, folder, version="1.0.0", progress=True)
    shown = capsys.readouterr().err
    assert "uploading 1.0.0" in shown and "100%" in shown
    assert emulator.count("upload_archive") == 2
    uploads = [r for r in emulator.requests if r.route == "upload_archive"]
    assert len(uploads[-1].body or b"") == made.archive_bytes
    with pytest.raises(TypeError, match="progress must be"):
        client.versions.create(emulator.deployment_id, folder, version="2", progress="yes")  # type: ignore[arg-type]
