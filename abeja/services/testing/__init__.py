"""A local emulator of the Service API, for demos and offline tests.

``ServiceEmulator`` serves the API on 127.0.0.1; ``python -m abeja.services.testing``
serves it from the command line; the pytest plugin gives ``abeja_emulator`` and
``abeja_client`` fixtures. The names are imported on first use (PEP 562): the plugin,
loaded by every pytest run where the package is installed, costs next to nothing.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

import abeja.services as _services

if not getattr(_services, "_ABEJA_SERVICES", False):  # abeja-sdk's __init__.py won
    from ..doctor import REPAIR

    raise ImportError(
        "abeja.services is abeja-sdk's, not abeja-services': abeja-sdk was installed (or "
        f"upgraded) after abeja-services and replaced shared files. Repair with: {REPAIR}"
    )

if TYPE_CHECKING:
    from ._api._faults import Fault
    from ._api._recorder import ServedRequest
    from ._clock import FakeClock
    from ._demo import handler as demo_handler
    from ._emulator import ServiceEmulator
    from ._runtime._handler_request import Content, HttpHeaders, PredictRequest

_MODULES = {
    "Content": ("._runtime._handler_request", "Content"),
    "FakeClock": ("._clock", "FakeClock"),
    "Fault": ("._api._faults", "Fault"),
    "HttpHeaders": ("._runtime._handler_request", "HttpHeaders"),
    "PredictRequest": ("._runtime._handler_request", "PredictRequest"),
    "ServedRequest": ("._api._recorder", "ServedRequest"),
    "ServiceEmulator": ("._emulator", "ServiceEmulator"),
    "demo_handler": ("._demo", "handler"),
}

__all__ = [
    "Content",
    "FakeClock",
    "Fault",
    "HttpHeaders",
    "PredictRequest",
    "ServedRequest",
    "ServiceEmulator",
    "demo_handler",
]


def __getattr__(name: str) -> Any:
    found = _MODULES.get(name)
    if found is None:
        raise AttributeError(f"module 'abeja.services.testing' has no attribute {name!r}")
    value = getattr(importlib.import_module(found[0], __name__), found[1])
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
