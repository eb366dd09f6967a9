"""A local emulator of the Service API, for demos and offline tests.

``ServiceEmulator`` serves the API on 127.0.0.1; ``python -m abeja.services.testing``
serves it from the command line; the pytest plugin gives ``abeja_emulator`` and
``abeja_client`` fixtures.
"""

import abeja.services as _services

if not hasattr(_services, "ServiceClient"):  # abeja-sdk's abeja/services/__init__.py won
    from ..doctor import REPAIR

    raise ImportError(
        "abeja.services is abeja-sdk's, not abeja-services': abeja-sdk was installed (or "
        f"upgraded) after abeja-services and replaced shared files. Repair with: {REPAIR}"
    )

from ._clock import FakeClock  # noqa: E402
from ._demo import handler as demo_handler
from ._emulator import ServiceEmulator  # noqa: E402
from ._faults import Fault
from ._handler_request import Content, HttpHeaders, PredictRequest
from ._recorder import ServedRequest

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
