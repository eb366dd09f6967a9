"""The typed ``Versions`` manager: a deployment's versions (its model code, uploaded).

Each method is written once, as steps that yield their calls (``_rollout_io``'s
``Invoke``): `Versions` performs them on the sync client, `AsyncVersions` awaits them on
the async one. Only the driving differs.

Creating a version is two calls: the POST records it and answers a presigned
``upload_url``, then the archive is PUT there (no credential). The POST is never resent
after it may have acted: the versions are listed, and a version of that number that
appeared with no code is deleted and created once more (the platform hands out an upload
link only on create). An upload that fails deletes the version it was for, so no version
without code is left behind.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable, Coroutine, Generator, Mapping
from pathlib import Path
from typing import Any, TypeVar

from .._api._answers import HTTPResponse
from .._api._response import decode_model
from .._api._validation import check_path_id
from .._api._version_routes import VersionRoutes
from .._release._rollout_io import Invoke, Managers, drive, drive_async
from ..errors import APIConnectionError, Error, HttpError, InvalidResponseError
from ..models import ActionResult, DeploymentVersion, DeploymentVersionList
from ._archive import Archive, archive_of
from ._progress import byte_progress, check_progress

DEFAULT_HANDLER = "predict:handler"
"""The handler a version runs unless told: ``handler(request, context)`` in ``predict.py``."""
DEFAULT_IMAGE = "abeja-inc/all-cpu:19.10"
"""The runtime image a version runs on unless told."""

_T = TypeVar("_T")
_Steps = Generator[Invoke, Any, _T]
_NO_MANAGERS = Managers(None, None, lambda seconds: None)


def version_body(
    version: object, handler: object, image: object, user_parameters: object
) -> dict[str, object]:
    """The create body, checked before anything is sent or archived."""
    if not isinstance(version, str) or not version.strip() or len(version) > 64:
        raise ValueError(f"version must be a non-empty str such as '1.0.0', not {version!r}")
    if not isinstance(handler, str) or handler.count(":") != 1 or not all(handler.split(":")):
        raise ValueError(
            f"handler must be 'module:function', such as 'predict:handler', not {handler!r}"
        )
    if not isinstance(image, str) or not image.strip():
        raise ValueError(f"image must be a runtime image such as {DEFAULT_IMAGE!r}, not {image!r}")
    body: dict[str, object] = {"version": version, "handler": handler, "image": image}
    if user_parameters is not None:
        if not isinstance(user_parameters, Mapping) or not all(
            isinstance(k, str) and k and isinstance(v, str) for k, v in user_parameters.items()
        ):
            raise TypeError("user_parameters must be a dict of str names to str values")
        body["user_parameters"] = dict(user_parameters)
    return body


def check_source(source: object) -> str | os.PathLike[str]:
    if not isinstance(source, (str, os.PathLike)):
        raise TypeError(f"source must be a folder or a .tar.gz path, not {type(source).__name__}")
    if not Path(source).exists():
        raise ValueError(f"{source} does not exist (a folder or a .tar.gz is expected)")
    return source


class _VersionSteps:
    """The versions of one client, each method written once as steps; ``_drive`` runs
    them (a value on the sync client, a coroutine of it on the async one)."""

    def __init__(self, routes: VersionRoutes[Any], organization: Callable[[], str]) -> None:
        self._routes = routes
        self._organization = organization

    def _call(self, route: Callable[..., Any], *args: Any) -> Invoke:
        return Invoke(route, args)

    def _listed(self, deployment_id: str) -> _Steps[DeploymentVersionList]:
        org = self._organization()
        response: HTTPResponse = yield self._call(self._routes.list_versions, org, deployment_id)
        return decode_model(DeploymentVersionList, response)._from(response)

    def _create_steps(
        self,
        deployment_id: str,
        archive: Archive,
        body: dict[str, object],
        progress: bool | None,
    ) -> _Steps[DeploymentVersion]:
        org, number = self._organization(), body["version"]
        try:
            before = yield from self._listed(deployment_id)
            taken = [v.version_id for v in before if v.version == number]
            if taken:
                raise ValueError(
                    f"deployment {deployment_id} has version {number} already ({taken[0]}): "
                    "give another version number"
                )
            response: HTTPResponse = yield from self._posted(deployment_id, body, before)
            created = decode_model(DeploymentVersion, response)._from(response)
            upload_url = (created.model_extra or {}).get("upload_url")
            if not isinstance(upload_url, str) or not upload_url.startswith(
                ("http://", "https://")
            ):
                raise InvalidResponseError(
                    "the created version came with no upload_url",
                    status_code=response.status_code,
                    url=response.url,
                )
            sent = byte_progress(progress, archive.file, archive.size, f"uploading {number}")
            try:
                yield self._call(self._routes.upload, upload_url, sent, archive.size)
            except Error:
                # A version with no code serves nothing and holds its number: it goes.
                yield self._call(
                    self._routes.delete_version, org, deployment_id, created.version_id
                )
                raise
            finally:
                if sent is not archive.file:
                    sent.close()
        finally:
            archive.close()
        extra = created.model_extra or {}
        extra.pop("upload_url", None)  # a presigned link: not kept where it may be shown
        created.archive_sha256 = archive.sha256
        created.archive_bytes = archive.size
        return created

    def _posted(
        self, deployment_id: str, body: dict[str, object], before: DeploymentVersionList
    ) -> _Steps[HTTPResponse]:
        """The POST, sent once; when it may have acted and the listing shows it did, the
        version it made (with no code, and no link to upload it) is deleted and the POST
        sent once more."""
        org = self._organization()
        known = {v.version_id for v in before}
        for attempt in (1, 2):
            try:
                response: HTTPResponse = yield self._call(
                    self._routes.create_version, org, deployment_id, body
                )
                return response
            except (HttpError, APIConnectionError) as error:
                if not error.may_have_applied or attempt == 2:
                    raise
                after = yield from self._listed(deployment_id)
                made = [
                    v for v in after if v.version_id not in known and v.version == body["version"]
                ]
                if not made:
                    raise  # it did not act: nothing to undo, nothing sent twice
                for version in made:
                    yield self._call(
                        self._routes.delete_version, org, deployment_id, version.version_id
                    )
        raise AssertionError("unreachable")  # pragma: no cover

    def _create(
        self,
        deployment_id: str,
        source: str | os.PathLike[str],
        version: str,
        handler: str,
        image: str,
        user_parameters: Mapping[str, str] | None,
        progress: bool | None,
    ) -> _Steps[DeploymentVersion]:
        check_path_id("deployment_id", deployment_id)
        body = version_body(version, handler, image, user_parameters)
        check_progress(progress)
        source = check_source(source)
        return self._create_steps(deployment_id, archive_of(source), body, progress)

    def _list(self, deployment_id: str) -> _Steps[DeploymentVersionList]:
        check_path_id("deployment_id", deployment_id)
        return self._listed(deployment_id)

    def _get(self, deployment_id: str, version_id: str) -> _Steps[DeploymentVersion]:
        org = self._organization()
        check_path_id("version_id", version_id)

        def steps() -> _Steps[DeploymentVersion]:
            response: HTTPResponse = yield self._call(
                self._routes.get_version, org, deployment_id, version_id
            )
            return decode_model(DeploymentVersion, response)._from(response)

        return steps()

    def _delete(self, deployment_id: str, version_id: str) -> _Steps[ActionResult]:
        org = self._organization()
        check_path_id("version_id", version_id)

        def steps() -> _Steps[ActionResult]:
            response: HTTPResponse = yield self._call(
                self._routes.delete_version, org, deployment_id, version_id
            )
            return decode_model(ActionResult, response)._from(response)

        return steps()

    def _download(
        self, deployment_id: str, version_id: str, to: str | os.PathLike[str]
    ) -> _Steps[Path]:
        org = self._organization()
        check_path_id("deployment_id", deployment_id)
        check_path_id("version_id", version_id)
        target = Path(to)
        if target.is_dir():
            target = target / f"{deployment_id}_{version_id}.tar.gz"
        elif not target.parent.is_dir():
            raise ValueError(f"{target.parent} is not a folder: the archive cannot be written")

        def steps() -> _Steps[Path]:
            link: HTTPResponse = yield self._call(
                self._routes.download_link, org, deployment_id, version_id
            )
            archive: HTTPResponse = yield self._call(self._routes.fetch, _download_uri(link))
            _write_whole(target, archive.content)
            return target

        return steps()


def _download_uri(response: HTTPResponse) -> str:
    answer = decode_model(ActionResult, response).model_extra or {}
    uri = answer.get("download_uri")
    if not isinstance(uri, str) or not uri.startswith(("http://", "https://")):
        raise InvalidResponseError(
            "the download answer has no download_uri",
            status_code=response.status_code,
            url=response.url,
        )
    return uri


def _write_whole(target: Path, content: bytes) -> None:
    """``content`` at ``target``, whole or not at all."""
    with tempfile.NamedTemporaryFile(
        dir=target.parent, prefix=f".{target.name}.", delete=False
    ) as f:
        f.write(content)
    os.replace(f.name, target)


_CREATE_DOC = """Create a version from a folder of model code (or a ``.tar.gz`` of one).

The folder is archived as abejacli's ``create-deployment-version`` does it (every ``.git``
directory left out, and whatever the folder's ``.abejaignore`` lists: shell globs, one per
line, see docs/versions.md), into a temporary file, so a folder of any size takes constant
memory; the archive is the same bytes for the same folder, and its SHA-256 is
``archive_sha256`` on the answer. The POST is never resent after it may have acted
(resolved by listing); the upload goes to the presigned ``upload_url`` with no credential,
resent only while it cannot have been stored; a failed upload deletes the version it was
for.

Args:
    deployment_id: the deployment (13 digits).
    source: a folder, or an existing ``.tar.gz`` uploaded as it is.
    version: the version number, such as ``1.0.0`` (unique in the deployment).
    handler: the function that answers requests, ``module:function``.
    image: the runtime image, such as ``abeja-inc/all-cpu:19.10``.
    user_parameters: variables the handler's process sees in its environment.
    progress: a bar of the bytes uploaded (tqdm's, ``pip install
        'abeja-services[notebook]'``); None (the default) shows it in a notebook only.

Raises:
    ValueError, TypeError: a bad argument, a folder with nothing to archive, or a version
        number the deployment has already (nothing is uploaded).
"""


class Versions(_VersionSteps):
    """Create, list, inspect, delete and download a deployment's versions: its model code,
    as a folder uploaded. Reached as ``ServiceClient(...).versions``."""

    def create(
        self,
        deployment_id: str,
        source: str | os.PathLike[str],
        *,
        version: str,
        handler: str = DEFAULT_HANDLER,
        image: str = DEFAULT_IMAGE,
        user_parameters: Mapping[str, str] | None = None,
        progress: bool | None = None,
    ) -> DeploymentVersion:
        args = (deployment_id, source, version, handler, image, user_parameters, progress)
        return drive(self._create(*args), _NO_MANAGERS)

    create.__doc__ = _CREATE_DOC

    def list(self, deployment_id: str) -> DeploymentVersionList:
        """List the versions of a deployment (``deployment_id``: 13 digits)."""
        return drive(self._list(deployment_id), _NO_MANAGERS)

    def get(self, deployment_id: str, version_id: str) -> DeploymentVersion:
        """Fetch one version (``version_id``: ``ver-...``)."""
        return drive(self._get(deployment_id, version_id), _NO_MANAGERS)

    def delete(self, deployment_id: str, version_id: str) -> ActionResult:
        """Delete a version."""
        return drive(self._delete(deployment_id, version_id), _NO_MANAGERS)

    def download(
        self, deployment_id: str, version_id: str, *, to: str | os.PathLike[str] = "."
    ) -> Path:
        """Download a version's archive; returns the file's path.

        Args:
            deployment_id: the deployment (13 digits).
            version_id: the version's id (``ver-...``).
            to: a file to write, or a folder to write ``<deployment>_<version>.tar.gz`` in
                (as abejacli's ``download-deployment-version`` names it). The file appears
                whole or not at all (written beside it, then renamed).
        """
        return drive(self._download(deployment_id, version_id, to), _NO_MANAGERS)


class AsyncVersions(_VersionSteps):
    """The same, each call a coroutine (as [`Versions`][abeja.services.Versions]); the
    arguments are checked when the method is called. Reached as
    ``AsyncServiceClient(...).versions``."""

    def create(
        self,
        deployment_id: str,
        source: str | os.PathLike[str],
        *,
        version: str,
        handler: str = DEFAULT_HANDLER,
        image: str = DEFAULT_IMAGE,
        user_parameters: Mapping[str, str] | None = None,
        progress: bool | None = None,
    ) -> Coroutine[Any, Any, DeploymentVersion]:
        args = (deployment_id, source, version, handler, image, user_parameters, progress)
        return drive_async(self._create(*args), _NO_MANAGERS)

    create.__doc__ = _CREATE_DOC

    def list(self, deployment_id: str) -> Coroutine[Any, Any, DeploymentVersionList]:
        """List the versions of a deployment."""
        return drive_async(self._list(deployment_id), _NO_MANAGERS)

    def get(self, deployment_id: str, version_id: str) -> Coroutine[Any, Any, DeploymentVersion]:
        """Fetch one version."""
        return drive_async(self._get(deployment_id, version_id), _NO_MANAGERS)

    def delete(self, deployment_id: str, version_id: str) -> Coroutine[Any, Any, ActionResult]:
        """Delete a version."""
        return drive_async(self._delete(deployment_id, version_id), _NO_MANAGERS)

    def download(
        self, deployment_id: str, version_id: str, *, to: str | os.PathLike[str] = "."
    ) -> Coroutine[Any, Any, Path]:
        """Download a version's archive; returns the file's path (see `Versions.download`)."""
        return drive_async(self._download(deployment_id, version_id, to), _NO_MANAGERS)
