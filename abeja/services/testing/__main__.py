"""``python -m abeja.services.testing``: serve the Service API emulator on a port."""

from __future__ import annotations

import argparse
import math
import os
import shlex
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from .._api._validation import check_path_id
from ._api._control import SECRET_HEADER

if TYPE_CHECKING:
    from ._emulator import ServiceEmulator


def _handler(spec: str) -> str:
    module_name, _, attribute = spec.partition(":")
    if not module_name or not attribute or ":" in attribute:
        raise argparse.ArgumentTypeError(f"--handler takes module:function, got {spec!r}")
    return spec


def _deployment(spec: str) -> tuple[str, list[str]]:
    deployment_id, _, versions = spec.partition("=")
    usage = f"--deployment takes DEPLOYMENT_ID=VERSION_ID[,VERSION_ID...], got {spec!r}"
    if not deployment_id or not versions:
        raise argparse.ArgumentTypeError(usage)
    try:
        check_path_id("deployment_id", deployment_id)
        ids = [check_path_id("version_id", v) for v in versions.split(",") if v]
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"{usage}: {error}") from None
    return deployment_id, ids


def _bounded(kind: type[int] | type[float], low: float, high: float) -> Any:
    """An argparse type: a finite number from ``low`` to ``high`` (a usage error otherwise)."""

    def parse(text: str) -> int | float:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
        if not math.isfinite(value) or not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{text!r} is not from {low:g} to {high:g}")
        return value

    return parse


_EXAMPLES = """examples:
  %(prog)s --port 8080
      the demo deployment on port 8080
  %(prog)s --port 0 --ready-delay 0
      any free port; services READY at once
  %(prog)s --handler predict:handler
      every seeded version served by ./predict.py's handler
  %(prog)s --deployment 2222222222222=ver-a,ver-b --runtime abejaruntime
      a deployment of your own, each instance the platform's real runtime
"""


def _add_memory_and_runtime(parser: argparse.ArgumentParser) -> None:
    """The options of what the request log keeps and of how handlers run."""
    parser.add_argument(
        "--keep-requests",
        type=_bounded(int, 0, 10_000_000),
        default=10_000,
        metavar="N",
        help="the request log (GET /_emulator/requests) keeps the last N requests; the "
        "counters count them all (default: %(default)s)",
    )
    parser.add_argument(
        "--keep-bytes",
        type=_bounded(int, 0, 1 << 40),
        default=64 << 20,
        metavar="BYTES",
        help="the request log keeps request and answer bodies up to this many bytes in all,"
        " dropping the oldest first (default: %(default)s, 64 MiB): memory stays bounded",
    )
    parser.add_argument(
        "--runtime",
        choices=("in-process", "abejaruntime"),
        default="in-process",
        help="call handlers in this process (default), or run each service instance as"
        " the platform's real runtime process (needs abejaruntime)",
    )


def build_parser(prog: str = "abeja-service-emulator") -> argparse.ArgumentParser:
    """The command line's options (``prog``: the command as it was typed)."""
    parser = argparse.ArgumentParser(
        prog=prog,
        description="Serve a local emulator of the ABEJA Platform Service API.",
        epilog=_EXAMPLES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on")
    parser.add_argument(
        "--port", type=_bounded(int, 0, 65535), default=8080, help="port (0: any free port)"
    )
    parser.add_argument(
        "--ready-delay",
        type=_bounded(float, 0, 86_400),
        default=1.0,
        help="seconds a service stays IN_PROGRESS",
    )
    parser.add_argument(
        "--log-page-size", type=_bounded(int, 1, 10_000), default=50, help="log events per page"
    )
    parser.add_argument("--auth-token", default=None, help="the Bearer token to accept")
    parser.add_argument(
        "--control-secret",
        default=os.environ.get("ABEJA_EMULATOR_SECRET") or None,
        help="the secret control requests must send (default: $ABEJA_EMULATOR_SECRET, or a "
        "random one, printed)",
    )
    parser.add_argument(
        "--deployment",
        action="append",
        type=_deployment,
        default=[],
        metavar="DEPLOYMENT_ID=VERSION_ID[,...]",
        help="seed a deployment with versions (repeatable)",
    )
    parser.add_argument(
        "--handler",
        type=_handler,
        default=None,
        metavar="MODULE:FUNCTION",
        help="the model handler for every seeded version, imported from the current"
        " directory (default: the demo handler)",
    )
    _add_memory_and_runtime(parser)
    return parser


def main(argv: Sequence[str] | None = None, *, prog: str = "abeja-service-emulator") -> int:
    """Run the emulator until interrupted; prints the environment that points clients here."""
    parser = build_parser(prog)
    args = parser.parse_args(argv)
    args.prog = prog
    # The handler is not imported here: as on the platform, each service's instance imports
    # it in the service's environment when it starts (a failure fails that service).
    try:
        emulator = _emulator(args)
    except (RuntimeError, ValueError) as error:
        print(f"{prog}: {error}", file=sys.stderr)
        return 2
    return _serve(emulator, args)


def _emulator(args: argparse.Namespace) -> ServiceEmulator:
    from ._emulator import DEFAULT_AUTH_TOKEN, ServiceEmulator

    emulator = ServiceEmulator(
        host=args.host,
        port=args.port,
        ready_delay=args.ready_delay,
        log_page_size=args.log_page_size,
        auth_token=args.auth_token or DEFAULT_AUTH_TOKEN,
        seed=not args.deployment,
        runtime=args.runtime,
        control_secret=args.control_secret,
    )
    emulator._app.recorder.keep_requests = args.keep_requests
    emulator._app.recorder.keep_bytes = args.keep_bytes
    source = os.getcwd()
    if args.handler is not None and not args.deployment:
        emulator.add_deployment(
            emulator.deployment_id, {emulator.version_id: args.handler}, source=source
        )
    for deployment_id, versions in args.deployment:
        emulator.add_deployment(deployment_id, dict.fromkeys(versions, args.handler), source=source)
    return emulator


def _serve(emulator: ServiceEmulator, args: argparse.Namespace) -> int:
    try:
        emulator.start()
    except OSError as error:
        reason = error.strerror or error
        print(
            f"{args.prog}: cannot listen on {args.host}:{args.port}: {reason}",
            file=sys.stderr,
        )
        return 2
    print(f"ABEJA Service API emulator on {emulator.url}", flush=True)
    for name, value in emulator.env().items():
        print(f"export {name}={shlex.quote(value)}", flush=True)
    print(
        "# abeja-sdk 2.3.6 predicts through a proxy (its prediction host is"
        " <organization>.<API host>); in its process only, also:",
        flush=True,
    )
    extra = {k: v for k, v in emulator.abeja_sdk_env().items() if k not in emulator.env()}
    for name, value in extra.items():
        print(f"#   export {name}={shlex.quote(value)}", flush=True)
    print("# abejacli 2.2.8 (the `abeja` command), in its process only:", flush=True)
    for name, value in emulator.abejacli_env().items():
        print(f"#   export {name}={shlex.quote(value)}", flush=True)
    print(
        f"# control plane (/_emulator/...): send {SECRET_HEADER}: {emulator.control_secret}"
        " with Content-Type: application/json",
        flush=True,
    )
    deployments = args.deployment or [(emulator.deployment_id, [emulator.version_id])]
    for deployment_id, versions in deployments:
        print(f"# deployment {deployment_id}: versions {', '.join(versions)}", flush=True)
    try:
        emulator.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
