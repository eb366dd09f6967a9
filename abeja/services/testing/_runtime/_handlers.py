"""Which handler a version runs, and where: ``module:function`` and its source directory.

Both runtime modes need the same two facts: the in-process mode imports the function,
the real runtime is started with ``HANDLER`` in that directory (as on the platform,
where it is the root of the deployed code).
"""

from __future__ import annotations

import contextlib
import importlib
import importlib.util
import os
import sys
import threading
from collections.abc import Callable, Iterator
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
    isolated: bool = False
    """An uploaded version's code: imported from ``source`` under a name of its own (two
    versions' ``predict`` modules never collide), imported and called with ``source`` as
    the working directory, as on the platform."""

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
        if self.isolated and self.source is not None:
            return _isolated(self.source, module_name, attribute)
        if self.source is not None and str(self.source) not in sys.path:
            sys.path.insert(0, str(self.source))
        function = getattr(importlib.import_module(module_name), attribute)
        if not callable(function):
            raise TypeError(f"{self.target} is not callable")
        return function  # type: ignore[no-any-return]


class _WorkingDirectory:
    """The process's working directory, shared by the uploaded versions' calls: requests
    to one version run side by side in its folder; another version's wait until they are
    done (the working directory is one per process). The abejaruntime mode has a process,
    so a folder, per instance, and no such wait."""

    def __init__(self) -> None:
        self._changed = threading.Condition()
        self._folder: Path | None = None
        self._holders = 0
        self._before = ""

    @contextlib.contextmanager
    def inside(self, folder: Path) -> Iterator[None]:
        """Run the body with ``folder`` as the working directory."""
        with self._changed:
            self._changed.wait_for(lambda: self._holders == 0 or self._folder == folder)
            if self._holders == 0:
                self._before = os.getcwd()
                os.chdir(folder)
                self._folder = folder
            self._holders += 1
        try:
            yield
        finally:
            with self._changed:
                self._holders -= 1
                if self._holders == 0:
                    os.chdir(self._before)
                    self._folder = None
                    self._changed.notify_all()


working_directory = _WorkingDirectory()
"""Where an uploaded version's handler runs in the in-process mode (see ``inside``)."""

_loaded: dict[tuple[Path, str, str], Handler] = {}
_importing = threading.Lock()


def _isolated(source: Path, module_name: str, attribute: str) -> Handler:
    """``module_name.attribute`` imported from the file under ``source`` (``a.b`` is
    ``a/b.py`` or ``a/b/__init__.py``), once, under a module name of its own."""
    key = (source, module_name, attribute)
    with _importing:
        if key in _loaded:
            return _loaded[key]
        relative = Path(*module_name.split("."))
        file = source / relative.with_suffix(".py")
        if not file.is_file():
            file = source / relative / "__init__.py"
        if not file.is_file():
            raise ImportError(f"no module named {module_name!r} in the version's code")
        unique = f"_abeja_version_{abs(hash(source)):x}_{module_name.replace('.', '_')}"
        spec = importlib.util.spec_from_file_location(unique, file)
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        sys.modules[unique] = module
        sys.path.insert(0, str(source))  # its own modules (``from utils import x``), kept
        try:
            spec.loader.exec_module(module)  # in its folder: the caller is `inside` it
        except BaseException:
            del sys.modules[unique]
            with contextlib.suppress(ValueError):
                sys.path.remove(str(source))
            raise
        function = getattr(module, attribute)
        if not callable(function):
            raise TypeError(f"{module_name}:{attribute} is not callable")
        _loaded[key] = function
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
