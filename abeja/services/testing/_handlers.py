"""Which handler a version runs, and where: ``module:function`` and its source directory.

Both runtime modes need the same two facts: the in-process mode imports the function,
the real runtime is started with ``HANDLER`` in that directory (as on the platform,
where it is the root of the deployed code).
"""

from __future__ import annotations

import importlib
import importlib.util
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

Handler = Callable[[Any, Any], Any]
"""A model handler: ``handler(request, context) -> {"status_code", "content_type", "content"}``."""

DEMO = "abeja.services.testing._demo:handler"


@dataclass(frozen=True)
class HandlerSpec:
    """A handler: ``target`` (``module:function``, when it has one), ``source`` (the
    directory it is imported from) and, for a callable given directly, the callable."""

    target: str | None
    source: Path | None
    function: Handler | None = None

    @classmethod
    def of(cls, handler: Handler | str | None, source: str | Path | None = None) -> HandlerSpec:
        """A spec for a callable, a ``module:function`` string or None (the demo)."""
        if handler is None:
            handler = DEMO
        if isinstance(handler, str):
            if handler.count(":") != 1 or not all(handler.split(":")):
                raise ValueError(f"a handler is 'module:function', got {handler!r}")
            root = Path(source) if source is not None else _root_of(handler)
            return cls(handler, (root or Path.cwd()).resolve())
        if not callable(handler):
            raise TypeError(f"a handler is a callable or 'module:function', got {handler!r}")
        target = _target_of(handler)
        return cls(target, Path(source).resolve() if source else _root_of(target), handler)

    def load(self) -> Handler:
        """The callable (imported from ``source`` when given as ``module:function``)."""
        if self.function is not None:
            return self.function
        assert self.target is not None
        module_name, attribute = self.target.split(":")
        if self.source is not None and str(self.source) not in sys.path:
            sys.path.insert(0, str(self.source))
        function = getattr(importlib.import_module(module_name), attribute)
        if not callable(function):
            raise TypeError(f"{self.target} is not callable")
        return function  # type: ignore[no-any-return]


def _target_of(function: Handler) -> str | None:
    module = getattr(function, "__module__", None)
    qualname = getattr(function, "__qualname__", "")
    if not module or module == "__main__" or not qualname.isidentifier():
        return None  # a lambda, a nested function or a method: not importable by name
    return f"{module}:{qualname}"


def _root_of(target: str | None) -> Path | None:
    """The directory on ``sys.path`` that ``module`` is imported from, if it is imported."""
    if target is None:
        return None
    module_name = target.split(":")[0]
    module = sys.modules.get(module_name)
    file = getattr(module, "__file__", None)
    if file is None:
        try:
            found = importlib.util.find_spec(module_name)
        except (ImportError, ValueError):
            found = None
        file = found.origin if found is not None else None
    if file is None or not Path(file).exists():
        return None
    path = Path(file).resolve().parent
    depth = module_name.count(".") + (1 if Path(file).name == "__init__.py" else 0)
    for _ in range(depth):
        path = path.parent
    return path
