"""The Service API's endpoints: one method each, ids checked where the URL is built.

Both the typed ``Services`` manager and the compat ``APIClient`` sit on this
layer; every method sends one request (plus the retries the policy allows) and
returns the checked 2xx answer.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Generic, TypeVar
from urllib.parse import urlsplit

from .._config import Settings
from ..models import CreateServiceRequest, UpdateServicePayload
from ._bodies import DataBody, check_predict_body
from ._validation import (
    check_organization_id,
    check_path_id,
    check_timeout,
    check_token,
    format_log_time,
)

if TYPE_CHECKING:
    from .._http._transport_core import TransportCore

_Answer = TypeVar("_Answer", covariant=True)


class Routes(Generic[_Answer]):
    """One method per API route (Service API and Endpoints API), returning the raw (2xx)
    answer: ``Routes[HTTPResponse]`` on the sync transport, ``Routes[Awaitable[...]]`` on
    the async one (the URLs, ids and bodies are checked here, once, for both)."""

    def __init__(self, transport: TransportCore[_Answer], settings: Settings) -> None:
        self._transport = transport
        self._api_url = settings.api_url
        self._service_url_template = settings.service_url_template
        self._max_predict_bytes = settings.max_predict_bytes

    def within(self, seconds: float) -> contextlib.AbstractContextManager[None]:
        """Every call inside ends within ``seconds`` from now (a waiter's remaining time)."""
        return self._transport.within(seconds)

    def _services_url(self, organization_id: str, deployment_id: str) -> str:
        return (
            f"{self._api_url}/organizations/{check_organization_id(organization_id)}"
            f"/deployments/{check_path_id('deployment_id', deployment_id)}/services"
        )

    def _service_url(self, organization_id: str, deployment_id: str, service_id: str) -> str:
        # The service id is checked first so that None never falls back to the collection.
        service = check_path_id("service_id", service_id)
        return f"{self._services_url(organization_id, deployment_id)}/{service}"

    def predict_base_url(self, organization_id: str) -> str:
        """The host predictions go to: the template, or the organization's sub-domain."""
        organization = check_organization_id(organization_id)
        if self._service_url_template is not None:
            return self._service_url_template.replace("{organization_id}", organization)
        parts = urlsplit(self._api_url)
        return f"{parts.scheme}://{organization}.{parts.netloc}"

    def create_service(
        self,
        organization_id: str,
        deployment_id: str,
        body: CreateServiceRequest,
        passed_through: Mapping[str, object] | None = None,
    ) -> _Answer:
        """``POST /organizations/<o>/deployments/<d>/services``.

        ``passed_through``: fields sent as given, beside the checked ``body`` (the compat
        client's, for what abeja-sdk sends unchecked).
        """
        url = self._services_url(organization_id, deployment_id)
        return self._transport.request(
            "POST", url, json_body={**body.to_json(), **(passed_through or {})}
        )

    def list_services(self, organization_id: str, deployment_id: str) -> _Answer:
        """``GET .../services``."""
        return self._transport.request("GET", self._services_url(organization_id, deployment_id))

    def get_service(self, organization_id: str, deployment_id: str, service_id: str) -> _Answer:
        """``GET .../services/<s>``."""
        url = self._service_url(organization_id, deployment_id, service_id)
        return self._transport.request("GET", url)

    def update_service(
        self,
        organization_id: str,
        deployment_id: str,
        service_id: str,
        body: UpdateServicePayload,
        passed_through: Mapping[str, object] | None = None,
    ) -> _Answer:
        """``PATCH .../services/<s>`` (``passed_through`` as in `create_service`)."""
        url = self._service_url(organization_id, deployment_id, service_id)
        return self._transport.request(
            "PATCH", url, json_body={**body.to_json(), **(passed_through or {})}
        )

    def delete_service(self, organization_id: str, deployment_id: str, service_id: str) -> _Answer:
        """``DELETE .../services/<s>``."""
        url = self._service_url(organization_id, deployment_id, service_id)
        return self._transport.request("DELETE", url)

    def start_service(self, organization_id: str, deployment_id: str, service_id: str) -> _Answer:
        """``POST .../services/<s>/start``."""
        url = self._service_url(organization_id, deployment_id, service_id) + "/start"
        return self._transport.request("POST", url)

    def stop_service(self, organization_id: str, deployment_id: str, service_id: str) -> _Answer:
        """``POST .../services/<s>/stop``."""
        url = self._service_url(organization_id, deployment_id, service_id) + "/stop"
        return self._transport.request("POST", url)

    def recent_logs(
        self,
        organization_id: str,
        deployment_id: str,
        service_id: str,
        *,
        next_forward_token: str | None = None,
        next_backward_token: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
    ) -> _Answer:
        """``GET .../services/<s>/recentlogs``; times are sent in UTC."""
        url = self._service_url(organization_id, deployment_id, service_id) + "/recentlogs"
        params = log_query(next_forward_token, next_backward_token, start_time, end_time)
        return self._transport.request("GET", url, params=params)

    def request_service(
        self,
        organization_id: str,
        deployment_id: str,
        service_id: str,
        *,
        json: object = None,
        data: DataBody | Path | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> _Answer:
        """``POST https://<o>.<api host>/deployments/<d>/services/<s>`` (a prediction)."""
        deployment = check_path_id("deployment_id", deployment_id)
        service = check_path_id("service_id", service_id)
        base = self.predict_base_url(organization_id)
        url = f"{base}/deployments/{deployment}/services/{service}"
        return self._predict(url, json, data, content_type, timeout)

    # The Endpoints API: a deployment's named aliases, each pointing at one service.

    def _endpoints_url(self, organization_id: str, deployment_id: str) -> str:
        return (
            f"{self._api_url}/organizations/{check_organization_id(organization_id)}"
            f"/deployments/{check_path_id('deployment_id', deployment_id)}/endpoints"
        )

    def _endpoint_url(self, organization_id: str, deployment_id: str, endpoint: str) -> str:
        name = check_path_id("endpoint", endpoint)
        return f"{self._endpoints_url(organization_id, deployment_id)}/{name}"

    def create_endpoint(
        self, organization_id: str, deployment_id: str, service_id: str, custom_alias: str
    ) -> _Answer:
        """``POST .../deployments/<d>/endpoints`` ``{"service_id", "custom_alias"}``."""
        body = {
            "service_id": check_path_id("service_id", service_id),
            "custom_alias": check_path_id("custom_alias", custom_alias),
        }
        url = self._endpoints_url(organization_id, deployment_id)
        return self._transport.request("POST", url, json_body=body)

    def list_endpoints(self, organization_id: str, deployment_id: str) -> _Answer:
        """``GET .../deployments/<d>/endpoints``."""
        return self._transport.request("GET", self._endpoints_url(organization_id, deployment_id))

    def get_endpoint(self, organization_id: str, deployment_id: str, endpoint: str) -> _Answer:
        """``GET .../endpoints/<endpoint id or alias>``."""
        url = self._endpoint_url(organization_id, deployment_id, endpoint)
        return self._transport.request("GET", url)

    def update_endpoint(
        self, organization_id: str, deployment_id: str, endpoint: str, service_id: str
    ) -> _Answer:
        """``PATCH .../endpoints/<endpoint>`` ``{"service_id"}`` (idempotent: retried)."""
        url = self._endpoint_url(organization_id, deployment_id, endpoint)
        body = {"service_id": check_path_id("service_id", service_id)}
        return self._transport.request("PATCH", url, json_body=body)

    def delete_endpoint(self, organization_id: str, deployment_id: str, endpoint: str) -> _Answer:
        """``DELETE .../endpoints/<endpoint>``."""
        url = self._endpoint_url(organization_id, deployment_id, endpoint)
        return self._transport.request("DELETE", url)

    def request_endpoint(
        self,
        organization_id: str,
        deployment_id: str,
        endpoint: str | None,
        *,
        json: object = None,
        data: DataBody | Path | None = None,
        content_type: str | None = None,
        timeout: float | None = None,
    ) -> _Answer:
        """A prediction through an endpoint: ``POST https://<o>.<api host>/deployments/<d>``
        for the default endpoint, ``.../deployments/<d>/<alias>`` for another."""
        deployment = check_path_id("deployment_id", deployment_id)
        base = self.predict_base_url(organization_id)
        url = f"{base}/deployments/{deployment}"
        if endpoint is not None:
            url += "/" + check_path_id("endpoint", endpoint)
        return self._predict(url, json, data, content_type, timeout)

    def _predict(
        self,
        url: str,
        json: object,
        data: DataBody | Path | None,
        content_type: str | None,
        timeout: float | None,
    ) -> _Answer:
        if timeout is not None:
            timeout = check_timeout("timeout", timeout)
        check_predict_body(json, data, content_type)  # before anything is sent, sync or not
        return self._transport.predict(
            url, json, data, content_type, timeout, self._max_predict_bytes
        )


def log_query(
    next_forward_token: str | None,
    next_backward_token: str | None,
    start_time: datetime | None,
    end_time: datetime | None,
) -> dict[str, str]:
    """The query of ``recentlogs``; raises before anything is sent when a value is wrong."""
    params: dict[str, str] = {}
    if next_forward_token is not None:
        params["next_forward_token"] = check_token("next_forward_token", next_forward_token)
    if next_backward_token is not None:
        params["next_backward_token"] = check_token("next_backward_token", next_backward_token)
    if start_time is not None:
        params["start_time"] = format_log_time("start_time", start_time)
    if end_time is not None:
        params["end_time"] = format_log_time("end_time", end_time)
    return params
