"""Hover docs: what ``help()`` shows for the quickstart's own calls and for the async
client is the sync manager's parameter documentation, derived (written once), without the
ids the bound method fills in itself."""

from __future__ import annotations

import inspect
import pydoc

import pytest

from abeja.services import AsyncService, AsyncServices, Service, Services
from abeja.services._managers._docs import MANAGER_METHODS, SERVICE_METHODS, without_parameters
from abeja.services.models import CreateServiceRequest


def _args(function: object) -> str:
    doc = inspect.getdoc(function) or ""
    return doc.split("Args:", 1)[1].split("\n\n", 1)[0] if "Args:" in doc else ""


@pytest.mark.parametrize("name", SERVICE_METHODS)
@pytest.mark.parametrize("bound", [Service, AsyncService])
def test_a_bound_services_methods_document_the_managers_parameters(bound: type, name: str) -> None:
    source, target = getattr(Services, name), getattr(bound, name)
    expected = without_parameters(_args(source), ("deployment_id", "service_id"))
    assert _args(target) == expected
    assert "deployment_id" not in _args(target) and "service_id:" not in _args(target)
    if "Args:" in (inspect.getdoc(source) or ""):
        assert "Args:" in (inspect.getdoc(target) or "")


def test_help_of_a_services_predict_shows_its_parameters() -> None:
    shown = pydoc.render_doc(Service.predict, renderer=pydoc.plaintext)
    for parameter in ("json:", "data:", "content_type:", "timeout:"):
        assert parameter in shown
    assert shown.splitlines()[2].strip().startswith("predict(")


@pytest.mark.parametrize("name", MANAGER_METHODS)
def test_every_async_coroutine_documents_what_the_sync_one_does(name: str) -> None:
    assert _args(getattr(AsyncServices, name)) == _args(getattr(Services, name))


def test_the_instance_number_bounds_are_the_constants() -> None:
    from abeja.services import _constants as C

    bounds = CreateServiceRequest.model_json_schema()["properties"]["instance_number"]
    assert (bounds["minimum"], bounds["maximum"]) == (C.MIN_INSTANCE_NUMBER, C.MAX_INSTANCE_NUMBER)
