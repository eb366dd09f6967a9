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
