"""abeja-sdk's ``abeja.services.APIClient``: the same methods and signatures, plain dicts back.

Every call goes through the same endpoint layer as the typed client (the same
request models, id checks, transport and retry policy) and returns the JSON the
server sent, unchanged.
Where abeja-sdk's documentation shows integers and booleans as strings
(``"enable_autoscale": 'true'``), those strings are accepted and converted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import IO, Any

import requests

from ._api._bodies import encode_json
from ._api._response import service_list_content, validated_object
from ._api._routes import Routes
from ._config import load_settings
from ._http._transport import Transport, refuse_pickling
from ._http._types import Sleep
from .models import (
    ActionResult,
    CreateServiceRequest,
    LogPage,
    Service,
    ServiceList,
    UpdateServicePayload,
)

_INT_FIELDS = ("instance_number", "min_instance_number", "max_instance_number")


def _int(value: object) -> object:
    text = value.strip() if isinstance(value, str) else None
    if text and text.isascii() and text.lstrip("-").isdigit():  # int() takes other digits too
        return int(text)
    return value


def _bool(value: object) -> object:
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    return value


def _json_object(value: Mapping[str, Any]) -> dict[str, Any]:
    """A mapping with str keys whose values JSON can hold, or a TypeError/ValueError now."""
    if not isinstance(value, Mapping) or not all(isinstance(k, str) for k in value):
        raise TypeError("expected a dict with str keys")
    encode_json(dict(value))  # raises before anything is sent
    return dict(value)


def _lenient(fields: Mapping[str, Any]) -> dict[str, Any]:
    """Convert the documented string forms of numbers and booleans; drop None."""
    out: dict[str, Any] = {}
    for name, value in fields.items():
        if value is None:
            continue
        if name in _INT_FIELDS:
            value = _int(value)
        elif name == "enable_autoscale":
            value = _bool(value)
        out[name] = value
    return out


class APIClient:
    """A low-level client for the Service API, compatible with abeja-sdk's.

    .. code-block:: python

       from abeja.services import APIClient

       api_client = APIClient()
       api_client.get_service(organization_id, deployment_id, service_id)

    Args:
        credential: ``{"auth_token": ...}``, ``{"user_id": ..., "personal_access_token": ...}``
            or ``{"datasource_id": ..., "datasource_secret": ...}``; the environment otherwise.
        timeout: seconds for connecting and each read (``ABEJA_SDK_CONNECTION_TIMEOUT``, 30).
        max_retry_count: retries after the first attempt (``ABEJA_SDK_MAX_RETRY_COUNT``, 5).
        deadline: seconds any one call may take in all (120); not in abeja-sdk.
        sleep: what waits between retries (tests pass a recorder); not in abeja-sdk.
    """

    def __init__(
        self,
        credential: Mapping[str, str] | None = None,
        timeout: float | None = None,
        max_retry_count: int | None = None,
        *,
        deadline: float | None = None,
        sleep: Sleep | None = None,
    ) -> None:
        settings = load_settings(
            base_url=None,
            credential=credential,
            timeout=timeout,
            max_retries=max_retry_count,
            service_url_template=None,
            deadline=deadline,
        )
        self._auth = settings.auth
        self._transport = Transport(settings, sleep=sleep)
        self._routes = Routes(self._transport, settings)

    def close(self) -> None:
        """Release pooled connections."""
        self._transport.close()

    def __enter__(self) -> APIClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    __reduce__ = refuse_pickling

    def __repr__(self) -> str:
        auth = f"{self._auth.scheme} ***" if self._auth else None
        return f"APIClient(auth={auth})"

    def create_service(
        self,
        organization_id: str,
        deployment_id: str,
        version_id: str,
        instance_number: int = 1,
        min_instance_number: int | None = None,
        max_instance_number: int | None = None,
        enable_autoscale: bool | None = None,
        instance_type: str = "cpu-0.25",
        environment: dict[str, Any] | None = None,
        model_id: str | None = None,
        record_channel_id: str | None = None,
    ) -> dict[str, Any]:
        """Create a service. ``POST /organizations/<o>/deployments/<d>/services``."""
        body = CreateServiceRequest.model_validate(
            _lenient(
                {
                    "version_id": version_id,
                    "instance_type": instance_type,
                    "instance_number": instance_number,
                    "min_instance_number": min_instance_number,
                    "max_instance_number": max_instance_number,
                    "enable_autoscale": enable_autoscale,
                    "models": None if model_id is None else {"alias": model_id},
                    "record_channel_id": record_channel_id,
                }
            )
        )
        # abeja-sdk sends the environment as given (numbers too); so does a drop-in.
        passed = None if environment is None else {"environment": _json_object(environment)}
        response = self._routes.create_service(organization_id, deployment_id, body, passed)
        return validated_object(Service, response)

    def get_service(
        self, organization_id: str, deployment_id: str, service_id: str
    ) -> dict[str, Any]:
        """Get a service. ``GET .../services/<s>``."""
        return validated_object(
            Service, self._routes.get_service(organization_id, deployment_id, service_id)
        )

    def get_services(self, organization_id: str, deployment_id: str) -> dict[str, Any]:
        """List the services of a deployment: ``{"entries": [...]}``. ``GET .../services``."""
        response = self._routes.list_services(organization_id, deployment_id)
        return validated_object(ServiceList, response, service_list_content(response))

    def list_services(self, organization_id: str, deployment_id: str) -> dict[str, Any]:
        """The newer name of `get_services`."""
        return self.get_services(organization_id, deployment_id)

    def update_service(
        self,
        organization_id: str,
        deployment_id: str,
        service_id: str,
        payload: Mapping[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Update a service with ``payload`` (``instance_number``, ``min_instance_number``,
        ``max_instance_number``, ``enable_autoscale``, ``environment``). ``PATCH .../services/<s>``.
        """
        if payload is not None and not isinstance(payload, Mapping):
            raise TypeError("payload must be a dict")
        known = set(UpdateServicePayload.model_fields) - {"environment"}
        fields = _lenient({k: v for k, v in (payload or {}).items() if k in known})
        body = UpdateServicePayload.model_validate(fields)
        # What abeja-sdk passes through unchecked (instance_type, record_channel_id, an
        # environment of numbers, ...) is sent as given, once it is known to be JSON.
        passed = _json_object({k: v for k, v in (payload or {}).items() if k not in known})
        if not body.to_json() and not {k: v for k, v in passed.items() if v is not None}:
            raise ValueError("nothing to update: payload has no field to change")
        response = self._routes.update_service(
            organization_id, deployment_id, service_id, body, passed
        )
        return validated_object(Service, response)

    def delete_service(
        self, organization_id: str, deployment_id: str, service_id: str
    ) -> dict[str, Any]:
        """Delete a service. ``DELETE .../services/<s>``."""
        return validated_object(
            ActionResult, self._routes.delete_service(organization_id, deployment_id, service_id)
        )

    def start_service(
        self, organization_id: str, deployment_id: str, service_id: str
    ) -> dict[str, Any]:
        """Start a service. ``POST .../services/<s>/start``."""
        return validated_object(
            ActionResult, self._routes.start_service(organization_id, deployment_id, service_id)
        )

    def stop_service(
        self, organization_id: str, deployment_id: str, service_id: str
    ) -> dict[str, Any]:
        """Stop a service. ``POST .../services/<s>/stop``."""
        return validated_object(
            ActionResult, self._routes.stop_service(organization_id, deployment_id, service_id)
        )

    def get_service_recent_logs(
        self,
        organization_id: str,
        deployment_id: str,
        service_id: str,
        next_forward_token: str | None = None,
        next_backward_token: str | None = None,
        start_time: datetime | None = None,
        end_time: datetime | None = None,
    ) -> dict[str, Any]:
        """Recent logs, newest first, with paging tokens. ``GET .../services/<s>/recentlogs``.

        ``start_time``/``end_time`` are sent in UTC (naive datetimes are taken as UTC).
        """
        response = self._routes.recent_logs(
            organization_id,
            deployment_id,
            service_id,
            start_time=start_time,
            end_time=end_time,
            next_forward_token=next_forward_token or None,
            next_backward_token=next_backward_token or None,
        )
        return validated_object(LogPage, response)

    def request_service(
        self,
        organization_id: str,
        deployment_id: str,
        service_id: str,
        data: str | bytes | IO[bytes] | None = None,
        json: Any = None,
        content_type: str | None = None,
    ) -> requests.Response:
        """Send a prediction request to the service; returns the ``requests.Response``.

        ``json`` goes as ``application/json``; ``data`` with its ``content_type``,
        ``application/octet-stream`` when none is given.
        """
        response = self._routes.request_service(
            organization_id,
            deployment_id,
            service_id,
            json=json,
            data=data,
            content_type=content_type or ("application/octet-stream" if data is not None else None),
        )
        return response.as_requests_response()
