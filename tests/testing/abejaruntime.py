"""The platform's real runtime for the tests that compare with it: abejaruntime 1.1.1, which
the dev extra installs into this environment (it cannot import on Python 3.13)."""

from __future__ import annotations

import importlib.util
import sys

import pytest


def runtime_python() -> str:
    """This interpreter, which has abejaruntime; skips the test where it cannot."""
    if sys.version_info >= (3, 13):
        pytest.skip("abejaruntime 1.1.1 imports cgi, which Python 3.13 removed")
    if importlib.util.find_spec("abejaruntime36") is None:
        pytest.skip("abejaruntime is not installed (pip install 'abeja-services[runtime]')")
    return sys.executable
