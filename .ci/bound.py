"""Write the bound models' calls from the managers' signatures: ``service.predict(...)`` is
``Services.predict`` minus the ids, so its signature is read from the manager, not
written a second time.

Two files come out, both from the async managers (the sync managers are themselves
written from those by ``unasync.py``):

- ``_managers/_bound.py``: the ``ServiceCalls`` and ``EndpointCalls`` protocols (what a
  bound model needs of its manager) and the ``BoundService`` and ``BoundEndpoint`` mixins
  of ``Service`` and ``Endpoint``; its names are the sync ones (``unasync``'s substitutions);
- ``_managers/_async_bound.py``: the async protocols and ``AsyncService``,
  ``AsyncServiceList``, ``AsyncEndpoint``, ``AsyncEndpointList``.

What is not a signature (the first line of each docstring, the lookup of the bound client,
an endpoint's route) is written once, in ``.ci/templates/``. ``unasync.py`` runs this
(``make generate``; ``--check`` and the test suite fail on a stale file).
"""

from __future__ import annotations

import ast
from collections.abc import Callable
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "abeja" / "services"
SERVICE_IDS = ("deployment_id", "service_id")
ENDPOINT_IDS = ("deployment_id", "endpoint")

# bound name -> (manager method, first line of its docstring); {S} is the service class.
SERVICE_CALLS = {
    "refresh": ("get", "Fetch this service again; returns a new bound ``{S}``."),
    "start": ("start", "Start this (stopped) service."),
    "stop": ("stop", "Stop this (running) service."),
    "delete": ("delete", "Delete this service."),
    "update": ("update", "Change scaling or environment; returns the updated ``{S}``."),
    "logs": ("logs", "One page of this service's recent logs, newest first."),
    "wait_until_ready": ("wait_until_ready", "Poll until this service is READY; returns it fresh."),
    "wait_until_stopped": (
        "wait_until_stopped",
        "Poll until this service is STOPPED; returns it fresh.",
    ),
    "wait_until_deleted": ("wait_until_deleted", "Poll until this service is gone."),
    "iter_logs": ("iter_logs", "Every log event of this service, lazily (see ``{S}s.iter_logs``)."),
    "predict": ("predict", "Send a prediction request to this service."),
}
ENDPOINT_CALLS = {
    "refresh": ("get", "Fetch this endpoint again; returns a new bound ``{E}``."),
    "switch_to": (
        "switch",
        "Point this endpoint at ``service`` (a ``Service`` or its id) and read it back.",
    ),
    "delete": ("delete", "Delete this endpoint (the service it points at stays)."),
    "predict": ("predict", "Send a prediction through this endpoint's route."),
}

Method = ast.FunctionDef | ast.AsyncFunctionDef


def _methods(read: Callable[[str], str], *modules: tuple[str, str]) -> dict[str, Method]:
    """The methods (overloads left out) of the classes named, by name; later ones win."""
    found: dict[str, Method] = {}
    for relative, class_name in modules:
        tree = ast.parse(read(relative))
        for node in tree.body:
            if isinstance(node, ast.ClassDef) and node.name == class_name:
                for item in node.body:
                    decorated = {ast.unparse(d) for d in getattr(item, "decorator_list", [])}
                    if isinstance(item, Method) and "overload" not in decorated:
                        found[item.name] = item
    return found


def _parameters(method: Method, drop: tuple[str, ...]) -> list[tuple[str, str, bool]]:
    """``(text, name, keyword_only)`` of each parameter after ``self`` but ``drop``."""
    args = method.args
    assert not args.vararg and not args.kwarg and not args.posonlyargs, method.name
    positional = args.args[1:]
    defaults: list[ast.expr | None] = [None] * (len(positional) - len(args.defaults))
    defaults += args.defaults
    out = []
    pairs = [*zip(positional, defaults, strict=True)]
    pairs += zip(args.kwonlyargs, args.kw_defaults, strict=True)
    for arg, default in pairs:
        if arg.arg in drop:
            continue
        text = f"{arg.arg}: {ast.unparse(arg.annotation)}" if arg.annotation else arg.arg
        if default is not None:
            text += f" = {ast.unparse(default)}"
        out.append((text, arg.arg, arg in args.kwonlyargs))
    return out


def _signature(method: Method, drop: tuple[str, ...], ignore: str = "") -> str:
    """``def name(self, ...) -> R:`` without ``drop`` (ruff wraps it); ``ignore`` is a
    comment for the line mypy reports an override on."""
    keyword = "async def" if isinstance(method, ast.AsyncFunctionDef) else "def"
    returns = ast.unparse(method.returns) if method.returns else "None"
    parameters, star = ["self"], False
    for text, _name, keyword_only in _parameters(method, drop):
        if keyword_only and not star:
            parameters.append("*")
            star = True
        parameters.append(text)
    if ignore and len(parameters) > 1:
        listed = ", ".join(parameters)
        return f"{keyword} {method.name}({ignore}\n        {listed}\n    ) -> {returns}:"
    return f"{keyword} {method.name}({', '.join(parameters)}) -> {returns}:{ignore}"


def _call(method: Method, name: str, ids: str, drop: tuple[str, ...], extra: str = "") -> str:
    """The call of the manager's ``name`` forwarding the bound method's own parameters."""
    arguments = [ids, *([extra] if extra else [])]
    for _text, parameter, keyword_only in _parameters(method, drop):
        arguments.append(f"{parameter}={parameter}" if keyword_only else parameter)
    awaited = "await " if isinstance(method, ast.AsyncFunctionDef) else ""
    returns = ast.unparse(method.returns) if method.returns else "None"
    returned = "" if returns == "None" else "return "
    return f"{returned}{awaited}{{target}}.{name}({', '.join(arguments)})"


def _renamed(method: Method, name: str) -> Method:
    """``method`` under the bound model's ``name`` (its parameters and return unchanged)."""
    return type(method)(
        name=name, args=method.args, body=[], decorator_list=[], returns=method.returns
    )


def _protocol(methods: dict[str, Method], names: list[str]) -> str:
    return "\n\n".join(f"    {_signature(methods[name], ())} ..." for name in names)


def _forwarder(
    method: Method,
    bound: str,
    doc: str,
    drop: tuple[str, ...],
    ids: str,
    *,
    ignore: str,
    target: str,
    prelude: str = "",
    extra: str = "",
) -> str:
    """``bound``: the manager's ``method`` minus ``drop``, called on ``target`` with ``ids``
    (and ``extra``) in place of the dropped parameters, after ``prelude``."""
    clone = _renamed(method, bound)
    call = _call(clone, method.name, ids, drop, extra)
    return (
        f'    {_signature(clone, drop, ignore)}\n        """{doc}"""\n'
        f"{prelude}        {call.format(target=target)}"
    )


def _service_forwarders(methods: dict[str, Method], *, target: str, ignore: str, name: str) -> str:
    """Each bound service method: the manager's, minus the deployment and service."""
    return "\n\n".join(
        _forwarder(methods[manager], bound, doc.format(S=name), SERVICE_IDS,
                   "self.deployment_id, self.service_id", ignore=ignore, target=target)
        for bound, (manager, doc) in SERVICE_CALLS.items()
    )  # fmt: skip


def _endpoint_forwarders(methods: dict[str, Method], *, target: str, ignore: str, name: str) -> str:
    """Each bound endpoint method: the manager's, minus the deployment and endpoint;
    ``predict`` passes the endpoint's own route."""
    prelude = f"        endpoints, deployment_id = {target}\n"
    out = []
    for bound, (manager, doc) in ENDPOINT_CALLS.items():
        own = bound == "predict"  # the route in place of the endpoint's id
        ids = "deployment_id" if own else "deployment_id, self.endpoint_id"
        extra = "endpoint=self._route()" if own else ""
        out.append(
            _forwarder(
                methods[manager], bound, doc.format(E=name), ENDPOINT_IDS, ids,
                ignore=ignore, target="endpoints", prelude=prelude, extra=extra,
            )
        )  # fmt: skip
    return "\n\n".join(out)


HEADER = (
    "# Generated from the async managers' signatures by .ci/bound.py: "
    "do not edit (make generate).\n"
)

TEMPLATES = Path(__file__).resolve().parent / "templates"


def _read(relative: str) -> str:
    return (PACKAGE / relative).read_text()


def render(unasync: Callable[[str], str], read: Callable[[str], str] = _read) -> dict[str, str]:
    """``{path under abeja/services: text}`` of both bound modules (unformatted);
    ``unasync`` turns async text into sync (the substitutions of ``unasync.py``); ``read``
    gives a manager module's text by its path."""
    services = _methods(
        read,
        ("_managers/_async_service_waits.py", "AsyncServiceWaits"),
        ("_managers/_async_services.py", "AsyncServices"),
    )
    endpoints = _methods(read, ("_managers/_async_endpoints.py", "AsyncEndpoints"))
    service_names = [manager for manager, _doc in SERVICE_CALLS.values()]
    endpoint_names = [manager for manager, _doc in ENDPOINT_CALLS.values()]
    parts = {
        "service_protocol": _protocol(services, service_names),
        "endpoint_protocol": _protocol(endpoints, endpoint_names),
    }
    ignore = "  # type: ignore[override]"
    parts_async = {
        **parts,
        "service_forwarders": _service_forwarders(
            services, target="self._services_async()", ignore=ignore, name="AsyncService"
        ),
        "endpoint_forwarders": _endpoint_forwarders(
            endpoints, target="self._endpoints_async()", ignore=ignore, name="AsyncEndpoint"
        ),
    }
    # The sync names come from ``unasync`` (AsyncService -> Service).
    parts_sync = {
        **parts,
        "service_forwarders": _service_forwarders(
            services, target="self._bound()", ignore="", name="AsyncService"
        ),
        "endpoint_forwarders": _endpoint_forwarders(
            endpoints, target="self._bound()", ignore="", name="AsyncEndpoint"
        ),
    }
    return {
        "_managers/_async_bound.py": HEADER
        + (TEMPLATES / "async_bound.py.txt").read_text().format(**parts_async),
        "_managers/_bound.py": HEADER
        + unasync((TEMPLATES / "bound.py.txt").read_text().format(**parts_sync)),
    }
