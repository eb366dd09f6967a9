"""Docstrings written once: a bound model's methods (``service.predict``) take their
parameter docs from the manager's method they call (``Services.predict``), so ``help()``
shows the same text everywhere and it never drifts (the managers themselves share theirs
by generation: the sync ones are written from the async ones).

Each keeps its own first line (what it is called on); the rest is the manager method's
text after its first line, without the parameters the bound method fills in itself
(``deployment_id``, ``service_id``...). Each manager's module does it for what it serves,
once, when it is imported.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable, Collection
from typing import Any

_ARG = re.compile(r"^(\s+)([A-Za-z_][A-Za-z0-9_]*)( \([^)]*\))?:")


def without_parameters(text: str, names: Collection[str]) -> str:
    """``text`` (a Google-style docstring) with the ``Args:`` entries of ``names`` removed,
    continuation lines included."""
    kept: list[str] = []
    skipping_indent: int | None = None
    for line in text.splitlines():
        if skipping_indent is not None:
            indent = len(line) - len(line.lstrip())
            if line.strip() and indent > skipping_indent:
                continue  # the removed entry's continuation
            skipping_indent = None
        match = _ARG.match(line)
        if match and match.group(2) in names:
            skipping_indent = len(match.group(1))
            continue
        kept.append(line)
    return "\n".join(kept)


def derive(target: Any, source: Callable[..., Any], *, fills: Collection[str] = ()) -> None:
    """Give ``target`` (a function) its own first line and ``source``'s text after that."""
    own = inspect.getdoc(target) or ""
    theirs = inspect.getdoc(source) or ""
    first = own.split("\n\n", 1)[0]
    rest = theirs.split("\n\n", 1)[1] if "\n\n" in theirs else ""
    rest = without_parameters(rest, fills)
    target.__doc__ = f"{first}\n\n{rest}".rstrip() if rest.strip() else first


SERVICE_IDS = ("deployment_id", "service_id")
ENDPOINT_IDS = ("deployment_id", "endpoint")
SERVICE_METHODS = ("start", "stop", "delete", "update", "logs", "wait_until_ready",
                    "wait_until_stopped", "wait_until_deleted", "iter_logs", "predict")  # fmt: skip
MANAGER_METHODS = ("create", "get", "list", "update", "delete", "start", "stop", "logs",
                    "predict", "wait_until_ready", "wait_until_stopped", "wait_until_deleted",
                    "iter_logs")  # fmt: skip


def derive_each(target: type, source: type, names: Collection[str], fills: Collection[str]) -> None:
    """`derive` for each method of ``names`` that ``target`` defines itself."""
    for name in names:
        function = target.__dict__.get(name)
        origin = getattr(source, name, None)
        if function is not None and origin is not None:
            derive(function, origin, fills=fills)


def derive_service_docs(bound: type, manager: type) -> None:
    """A bound service's methods (``service.predict``) from the sync ``Services``'."""
    derive_each(bound, manager, SERVICE_METHODS, SERVICE_IDS)


def derive_endpoint_docs(bound: type, manager: Any) -> None:
    """A bound endpoint's ``predict`` and ``switch_to`` from the sync ``Endpoints``'."""
    derive(bound.__dict__["predict"], manager.predict, fills=ENDPOINT_IDS)
    derive(bound.__dict__["switch_to"], manager.switch, fills=ENDPOINT_IDS)
