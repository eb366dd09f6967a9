"""The Deployment Versions API's routes, and the storage links it hands out.

A version is created in two calls: ``POST .../deployments/<d>/versions`` records it and
answers an ``upload_url`` (a presigned storage link), then the code's archive is PUT
there with no credential. ``.../versions/<v>/download`` answers a ``download_uri``, read
the same way.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Generic

from .. import _constants as C
from .._config import Settings
from ._routes import _Answer
from ._validation import check_organization_id, check_path_id

if TYPE_CHECKING:
    from .._http._transport_core import TransportCore

MAX_ARCHIVE_BYTES = 4 * 1024 * 1024 * 1024
"""The largest archive a download reads (4 GiB)."""


class VersionRoutes(Generic[_Answer]):
    """One method per route of a deployment's versions (ids checked where the URL is
    built), and the two storage calls: ``HTTPResponse`` answers on the sync transport,
    awaitables of them on the async one."""

    def __init__(self, transport: TransportCore[_Answer], settings: Settings) -> None:
        self._transport = transport
        self._api_url = settings.api_url

    def _versions_url(self, organization_id: str, deployment_id: str) -> str:
        return (
            f"{self._api_url}/organizations/{check_organization_id(organization_id)}"
            f"/deployments/{check_path_id('deployment_id', deployment_id)}/versions"
        )

    def _version_url(self, organization_id: str, deployment_id: str, version_id: str) -> str:
        version = check_path_id("version_id", version_id)
        return f"{self._versions_url(organization_id, deployment_id)}/{version}"

    def create_version(
        self, organization_id: str, deployment_id: str, body: Mapping[str, object]
    ) -> _Answer:
        """``POST .../deployments/<d>/versions`` ``{"version", "handler", "image",
        "user_parameters"}`` (a POST: resent only when it provably did not arrive)."""
        url = self._versions_url(organization_id, deployment_id)
        return self._transport.request("POST", url, json_body=dict(body))

    def list_versions(self, organization_id: str, deployment_id: str) -> _Answer:
        """``GET .../deployments/<d>/versions``."""
        return self._transport.request("GET", self._versions_url(organization_id, deployment_id))

    def get_version(self, organization_id: str, deployment_id: str, version_id: str) -> _Answer:
        """``GET .../versions/<v>``."""
        url = self._version_url(organization_id, deployment_id, version_id)
        return self._transport.request("GET", url)

    def delete_version(self, organization_id: str, deployment_id: str, version_id: str) -> _Answer:
        """``DELETE .../versions/<v>``."""
        url = self._version_url(organization_id, deployment_id, version_id)
        return self._transport.request("DELETE", url)

    def download_link(self, organization_id: str, deployment_id: str, version_id: str) -> _Answer:
        """``GET .../versions/<v>/download``: answers ``{"download_uri"}``."""
        url = self._version_url(organization_id, deployment_id, version_id) + "/download"
        return self._transport.request("GET", url)

    def upload(self, upload_url: str, archive: IO[bytes], length: int) -> _Answer:
        """``PUT`` the archive to its presigned link: no credential, Content-Length set;
        resent only while it cannot have been stored."""
        headers = {"Content-Type": "application/gzip", "Content-Length": str(length)}
        return self._transport.request(
            "PUT", _checked_link("upload_url", upload_url), data=archive, headers=headers,
            max_bytes=C.MAX_ERROR_BODY_BYTES, presigned=True,
        )  # fmt: skip

    def fetch(self, download_uri: str) -> _Answer:
        """``GET`` a presigned download link, with no credential."""
        return self._transport.request(
            "GET", _checked_link("download_uri", download_uri),
            max_bytes=MAX_ARCHIVE_BYTES, presigned=True,
        )  # fmt: skip


def _checked_link(name: str, link: object) -> str:
    if not isinstance(link, str) or not link.startswith(("https://", "http://")):
        raise ValueError(f"the API answered no usable {name}: {link!r}")
    return link
