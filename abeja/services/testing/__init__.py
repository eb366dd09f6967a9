"""A local emulator of the Service API, for demos and offline tests.

``ServiceEmulator`` serves the API on 127.0.0.1; ``python -m abeja.services.testing``
serves it from the command line; the pytest plugin gives ``abeja_emulator`` and
``abeja_client`` fixtures.
"""

from ._emulator import ServiceEmulator
from ._faults import Fault
from ._recorder import ServedRequest
from ._runtime import PredictContext, PredictRequest, demo_handler

__all__ = [
    "Fault",
    "PredictContext",
    "PredictRequest",
    "ServedRequest",
    "ServiceEmulator",
    "demo_handler",
]
