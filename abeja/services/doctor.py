"""``python -m abeja.services.doctor``: is this installation whole, beside abeja-sdk or not?

abeja-sdk and abeja-services both ship ``abeja/services/__init__.py`` and
``abeja/exceptions/__init__.py`` (and ``abeja/services/api/``): whichever was installed
last owns them, and uninstalling either removes them. This check says which state the
environment is in and the one command that repairs it. It imports nothing that could be
missing, so it runs in every state.
"""

from __future__ import annotations

import importlib
import importlib.metadata
import sys
from dataclasses import dataclass

REPAIR = "pip install --force-reinstall --no-deps abeja-services"
REPAIR_SDK = "pip install --force-reinstall --no-deps abeja-sdk==<its version>"


@dataclass
class Finding:
    """One thing checked: whether it is as it should be, and what to do if not."""

    ok: bool
    what: str
    repair: str | None = None


def _version(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def _ours(module: str, name: str, origin: str) -> bool:
    try:
        value = getattr(importlib.import_module(module), name)
    except Exception:  # noqa: BLE001 - any failure means it is not ours
        return False
    return str(getattr(value, "__module__", "")).startswith(origin)


def check() -> list[Finding]:
    """Every finding about the shared ``abeja`` tree."""
    sdk = _version("abeja-sdk")
    findings = [
        Finding(True, f"abeja-services {_version('abeja-services') or '(not installed)'}"),
        Finding(True, f"abeja-sdk {sdk or '(not installed)'}"),
    ]
    for module, name, origin in (
        ("abeja.services", "ServiceClient", "abeja.services._client"),
        ("abeja.services", "APIClient", "abeja.services._compat"),
        ("abeja.exceptions", "InvalidResponseError", "abeja.services.errors"),
        ("abeja.exceptions", "HttpError", "abeja.services.errors"),
    ):
        ok = _ours(module, name, origin)
        findings.append(
            Finding(
                ok,
                f"{module}.{name} is abeja-services'" if ok else f"{module}.{name} is not ours",
                None if ok else REPAIR,
            )
        )
    if sdk is not None:
        try:
            importlib.import_module("abeja").tracking  # noqa: B018 - abeja-sdk's own package
            findings.append(Finding(True, "abeja-sdk's abeja package imports"))
        except Exception as error:  # noqa: BLE001 - reported
            findings.append(Finding(False, f"abeja-sdk's abeja package fails: {error}", REPAIR_SDK))
    return findings


def problem() -> str | None:
    """A one-paragraph explanation with the repair command, or None when all is well."""
    broken = [f for f in check() if not f.ok]
    if not broken:
        return None
    repairs = sorted({f.repair for f in broken if f.repair})
    return (
        "abeja-services is not whole in this environment ("
        + "; ".join(f.what for f in broken)
        + "). abeja-sdk and abeja-services share files under abeja/; installing or "
        "uninstalling one replaces or removes the other's copy. Repair with: "
        + " and ".join(repairs)
    )


def main() -> int:
    """Print the findings; exit 1 when something needs repair."""
    findings = check()
    for finding in findings:
        print(("ok    " if finding.ok else "BROKEN") + f" {finding.what}")
    text = problem()
    if text:
        print("\n" + text, file=sys.stderr)
        return 1
    print("\nall good")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
