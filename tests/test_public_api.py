from __future__ import annotations

import abeja.exceptions
import abeja.services
import abeja.services.testing


def test_all_is_sorted_and_complete() -> None:
    for module in (abeja.services, abeja.services.testing, abeja.exceptions):
        exported = module.__all__
        assert exported == sorted(exported), module.__name__
        public = {
            name
            for name, value in vars(module).items()
            if not name.startswith("_") and getattr(value, "__module__", "").startswith("abeja")
        }
        assert public <= set(exported), (module.__name__, public - set(exported))
        for name in exported:
            assert hasattr(module, name), name


def test_py_typed_is_shipped() -> None:
    from importlib.resources import files

    assert files("abeja.services").joinpath("py.typed").is_file()


def test_public_classes_and_methods_have_docstrings() -> None:
    for name in abeja.services.__all__:
        value = getattr(abeja.services, name)
        if isinstance(value, type):
            assert value.__doc__, name
            for attr, member in vars(value).items():
                if callable(member) and not attr.startswith("_"):
                    assert member.__doc__, f"{name}.{attr}"


PUBLIC_PATHS = {
    "abeja.services": ["ServiceClient", "AsyncServiceClient", "APIClient", "Service"],
    "abeja.services.models": ["Service", "ServiceList", "LogEvent", "LogPage", "ServiceStatus"],
    "abeja.services.testing": ["ServiceEmulator", "FakeClock", "Fault"],
    "abeja.services.testing.plugin": [],
    "abeja.services.api.client": ["APIClient"],
    "abeja.services.cli": ["run"],
    "abeja.services.doctor": ["main"],
    "abeja.services.rollout_report": ["RolloutReport"],
    "abeja.services.errors": ["HttpError"],
    "abeja.exceptions": ["HttpError", "NotFound", "APIConnectionError"],
}


def test_the_public_import_paths_hold_wherever_the_private_modules_live() -> None:
    """What users import (and the entry points name) stays where it was when the private
    modules move between folders."""
    import importlib

    for path, names in PUBLIC_PATHS.items():
        module = importlib.import_module(path)
        for name in names:
            assert getattr(module, name) is not None, (path, name)
    compat = importlib.import_module("abeja.services.api.client")
    assert abeja.services.APIClient is compat.APIClient
