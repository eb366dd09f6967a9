"""The emulator's deployment versions: created through the API, their code uploaded to a
presigned link on the emulator itself, unpacked, and run as a registered handler is.

As on the platform (abeja-sdk 2.3.6 and abejacli 2.2.8 document it): the POST answers an
``upload_url``; the archive is PUT there with no credential (a request that carries an
``Authorization`` header is refused, as storage refuses two ways of signing one request);
``.../download`` answers a ``download_uri``. A version number is unique in a deployment
(a second one is a 400). A version's code is unpacked into a folder of its own (members
that would land outside it are refused); its handler (``module:function``) is imported
from there, with that folder as the working directory, and its ``user_parameters`` are in
the handler's environment, under the service's own variables.
"""

from __future__ import annotations

import secrets
import shutil
import tarfile
import tempfile
from pathlib import Path
from typing import IO, Any

from .._runtime._handlers import HandlerSpec
from ._records import ApiError, Deployment, Version, bad_request, iso, not_found
from ._state import EmulatorState

_STORAGE = "/_storage"
MAX_ARCHIVE_BYTES = 1024 * 1024 * 1024


def storage_path(organization_id: str, deployment_id: str, version_id: str) -> str:
    """The path of a version's archive on the emulator's storage."""
    return f"{_STORAGE}/{organization_id}/{deployment_id}/{version_id}/source.tar.gz"


class VersionState:
    """Create, list, read, delete, upload and download a deployment's versions."""

    def __init__(self, state: EmulatorState) -> None:
        self.state = state
        self._folder: Path | None = None

    def _root(self) -> Path:
        if self._folder is None:
            self._folder = Path(tempfile.mkdtemp(prefix="abeja-emulator-versions-"))
        return self._folder

    def close(self) -> None:
        """Remove every uploaded archive and unpacked folder."""
        if self._folder is not None:
            shutil.rmtree(self._folder, ignore_errors=True)
            self._folder = None

    def _version(self, deployment: Deployment, version_id: str) -> Version:
        version = deployment.versions.get(version_id)
        if version is None:
            raise not_found(f"version {version_id} not found")
        return version

    def to_json(self, deployment: Deployment, version: Version) -> dict[str, Any]:
        """A version in the platform's JSON shape."""
        target = version.handler.target or ""
        when = iso(version.created_at or self.state.clock())
        return {
            "deployment_id": deployment.deployment_id,
            "version_id": version.version_id,
            "version": version.model_version,
            "handler": target,
            "image": version.image,
            "user_parameters": dict(version.user_parameters),
            "created_at": when,
            "modified_at": when,
        }

    def create(
        self, organization_id: str, deployment_id: str, body: object, host: str
    ) -> dict[str, Any]:
        """Record a version (no code yet) and answer its ``upload_url``."""
        version, handler, image, parameters = _create_arguments(body)
        with self.state.lock:
            deployment = self.state.deployment(organization_id, deployment_id)
            if any(v.model_version == version for v in deployment.versions.values()):
                raise bad_request(f"version {version} already exists in deployment {deployment_id}")
            version_id = "ver-" + secrets.token_hex(8)
            record = Version(
                version_id,
                version,
                HandlerSpec(handler, None),
                image=image,
                user_parameters=parameters,
                created_at=self.state.clock(),
                uploaded=False,
                upload_token=secrets.token_hex(16),
            )
            deployment.versions[version_id] = record
            answer = self.to_json(deployment, record)
        answer["upload_url"] = self._link(host, organization_id, deployment_id, record)
        return answer

    def _link(self, host: str, organization_id: str, deployment_id: str, version: Version) -> str:
        path = storage_path(organization_id, deployment_id, version.version_id)
        return f"http://{host}{path}?signature={version.upload_token}"

    def list(self, organization_id: str, deployment_id: str) -> dict[str, Any]:
        """Every version of the deployment, in the order they were made."""
        with self.state.lock:
            deployment = self.state.deployment(organization_id, deployment_id)
            return {"entries": [self.to_json(deployment, v) for v in deployment.versions.values()]}

    def get(self, organization_id: str, deployment_id: str, version_id: str) -> dict[str, Any]:
        """One version."""
        with self.state.lock:
            deployment = self.state.deployment(organization_id, deployment_id)
            return self.to_json(deployment, self._version(deployment, version_id))

    def delete(self, organization_id: str, deployment_id: str, version_id: str) -> dict[str, Any]:
        """Forget a version; refused (400) while a service runs it."""
        with self.state.lock:
            deployment = self.state.deployment(organization_id, deployment_id)
            self._version(deployment, version_id)
            users = [s.service_id for s in deployment.services.values()
                     if s.version.version_id == version_id]  # fmt: skip
            if users:
                raise bad_request(f"version {version_id} is used by {', '.join(users)}")
            del deployment.versions[version_id]
        shutil.rmtree(self._root() / version_id, ignore_errors=True)
        (self._root() / f"{version_id}.tar.gz").unlink(missing_ok=True)
        return {"message": f"{version_id} deleted"}

    def download_link(
        self, organization_id: str, deployment_id: str, version_id: str, host: str
    ) -> dict[str, Any]:
        """``{"download_uri"}`` of a version whose code was uploaded."""
        with self.state.lock:
            deployment = self.state.deployment(organization_id, deployment_id)
            version = self._version(deployment, version_id)
            if not (self._root() / f"{version_id}.tar.gz").exists():
                raise not_found(f"version {version_id} has no uploaded archive")
            return {"download_uri": self._link(host, organization_id, deployment_id, version)}

    def _signed(self, args: tuple[str, ...], query: dict[str, str]) -> Version:
        organization_id, deployment_id, version_id = args
        with self.state.lock:
            try:
                deployment = self.state.deployment(organization_id, deployment_id)
                version = self._version(deployment, version_id)
            except ApiError:
                raise ApiError(403, "AccessDenied", "Access Denied") from None
        if not secrets.compare_digest(query.get("signature", ""), version.upload_token):
            raise ApiError(403, "SignatureDoesNotMatch", "the signature does not match")
        return version

    def upload(self, args: tuple[str, ...], query: dict[str, str], body: IO[bytes]) -> None:
        """Store the archive PUT to a version's link, unpack it, and make it runnable."""
        version = self._signed(args, query)
        archive = self._root() / f"{version.version_id}.tar.gz"
        folder = self._root() / version.version_id
        body.seek(0)
        with open(archive, "wb") as stored:
            shutil.copyfileobj(body, stored, 1 << 20)
        shutil.rmtree(folder, ignore_errors=True)
        _unpack(archive, folder)
        with self.state.lock:
            target = version.handler.target
            assert target is not None
            version.handler = HandlerSpec(target, folder.resolve(), isolated=True)
            version.uploaded = True

    def download(self, args: tuple[str, ...], query: dict[str, str]) -> bytes:
        """The archive of a version (a presigned GET)."""
        version = self._signed(args, query)
        archive = self._root() / f"{version.version_id}.tar.gz"
        if not archive.exists():
            raise ApiError(404, "NoSuchKey", "The specified key does not exist.")
        return archive.read_bytes()


def _unpack(archive: Path, folder: Path) -> None:
    """The archive's files under ``folder``; nothing may land outside it."""
    folder.mkdir(parents=True)
    try:
        with tarfile.open(archive, "r:*") as tar:
            if hasattr(tarfile, "data_filter"):
                tar.extractall(folder, filter="data")
            else:  # pragma: no cover - every supported Python has the filter since 2023
                for member in tar.getmembers():
                    if not (folder / member.name).resolve().is_relative_to(folder.resolve()):
                        raise tarfile.TarError(f"{member.name} is outside the archive")
                tar.extractall(folder)  # noqa: S202 - every member checked above
    except (tarfile.TarError, OSError, EOFError, ValueError) as error:
        shutil.rmtree(folder, ignore_errors=True)
        raise bad_request(f"the uploaded archive cannot be unpacked: {error}") from None


def _create_arguments(body: object) -> tuple[str, str, str, dict[str, str]]:
    if not isinstance(body, dict):
        raise bad_request("the request body must be a JSON object")
    version, handler = body.get("version"), body.get("handler", "main:handler")
    image, parameters = body.get("image"), body.get("user_parameters") or {}
    if not isinstance(version, str) or not version:
        raise bad_request("version is required")
    if not isinstance(image, str) or not image:
        raise bad_request("image is required")
    if not isinstance(handler, str) or handler.count(":") != 1 or not all(handler.split(":")):
        raise bad_request("handler must be 'module:function'")
    if not isinstance(parameters, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in parameters.items()
    ):
        raise bad_request("user_parameters must be an object of strings")
    return version, handler, image, dict(parameters)
