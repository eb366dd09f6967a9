"""The compat surface against abeja-sdk 2.3.6's own source (read from its wheel): every
APIClient method and exception class is here, with the same parameters in the same
order (ours may only add optional ones), the same bases, and the same behaviour."""

from __future__ import annotations

import ast
import inspect
from typing import Any

import pytest

import abeja.exceptions as ours
from abeja.services import APIClient

from .abeja_sdk import sdk_source


def _classes(path: str) -> dict[str, ast.ClassDef]:
    tree = ast.parse(sdk_source(path))
    return {node.name: node for node in tree.body if isinstance(node, ast.ClassDef)}


def _params(function: ast.FunctionDef) -> list[tuple[str, bool]]:
    """(name, has a default) of each parameter after self."""
    args = function.args.args[1:]
    defaults = len(function.args.defaults)
    return [(a.arg, i >= len(args) - defaults) for i, a in enumerate(args)]


def _ours(function: Any) -> list[tuple[str, bool, inspect._ParameterKind]]:
    params = list(inspect.signature(function).parameters.values())
    return [(p.name, p.default is not p.empty, p.kind) for p in params if p.name != "self"]


def _assert_extends(theirs: list[tuple[str, bool]], mine: list[Any], what: str) -> None:
    assert [(n, d) for n, d, _ in mine[: len(theirs)]] == theirs, what
    assert all(has_default for _, has_default, _ in mine[len(theirs) :]), what  # optional only


SDK_CLIENT = _classes("abeja/services/api/client.py")["APIClient"]
METHODS = {
    node.name: node
    for node in SDK_CLIENT.body
    if isinstance(node, ast.FunctionDef)
    and (not node.name.startswith("_") or node.name == "__init__")
}


@pytest.mark.parametrize("name", sorted(METHODS))
def test_every_api_client_method_takes_abeja_sdks_parameters(name: str) -> None:
    assert hasattr(APIClient, name), f"abeja-sdk's APIClient.{name} is missing"
    _assert_extends(_params(METHODS[name]), _ours(getattr(APIClient, name)), name)


SDK_ERRORS = _classes("abeja/exceptions/__init__.py")


@pytest.mark.parametrize("name", sorted(SDK_ERRORS))
def test_every_abeja_sdk_exception_is_here_with_its_bases_and_constructor(name: str) -> None:
    theirs = SDK_ERRORS[name]
    mine = getattr(ours, name)
    assert [b.id for b in theirs.bases if isinstance(b, ast.Name)] == [
        b.__name__ for b in mine.__bases__ if b.__name__ != "RuntimeError"
    ][:1]
    init = next(
        (n for n in theirs.body if isinstance(n, ast.FunctionDef) and n.name == "__init__"), None
    )
    if init is not None:
        _assert_extends(_params(init), _ours(mine.__init__), name)


def test_http_errors_read_and_print_as_abeja_sdks() -> None:
    namespace: dict[str, Any] = {}
    exec(compile(sdk_source("abeja/exceptions/__init__.py"), "abeja-sdk", "exec"), namespace)  # noqa: S102
    for args in [
        ("not_found", "service not found", None, 404, "https://api.abeja.io/x"),
        ("bad_request", "bad", {"field": "x"}, 400, "https://api.abeja.io/y"),
        ("e", "d"),
    ]:
        theirs, mine = namespace["NotFound"](*args), ours.NotFound(*args)
        assert str(mine) == str(theirs) and repr(mine) == repr(theirs)
        assert mine._asdict() == theirs._asdict()
    assert ours.InvalidPathException("p").path == namespace["InvalidPathException"]("p").path
