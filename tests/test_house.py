"""The package's shape holds what it has reached (`make house` prints the figures): no
folder over 15 modules, no module over 400 lines, no function over 60; the import circle
and the repeated code do not grow while they are worked down (ratchets, lowered as they
fall)."""

from __future__ import annotations

import importlib.util
from collections import Counter
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parent.parent


def _house() -> ModuleType:
    spec = importlib.util.spec_from_file_location("house", ROOT / ".ci" / "house.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


HOUSE = _house()
MODULES: dict[str, Path] = HOUSE._modules()


def test_no_folder_holds_more_than_15_modules() -> None:
    folders = Counter(path.parent for path in MODULES.values())
    assert max(folders.values()) <= 15, folders.most_common(3)


def test_no_module_is_over_400_lines() -> None:
    long = {
        name: n for name, path in MODULES.items() if (n := len(path.read_text().splitlines())) > 400
    }
    assert long == {}


def test_no_function_is_over_60_lines() -> None:
    long = {name: found for name, path in MODULES.items() if (found := HOUSE._long_functions(path))}
    assert long == {}


def test_the_import_circle_and_the_repeated_code_do_not_grow() -> None:
    circles = HOUSE._cycles(HOUSE._graph(MODULES))
    assert sum(len(circle) for circle in circles) <= 4, circles
    pairs = HOUSE._repeated_pairs([p for p in MODULES.values() if not HOUSE._generated(p)])
    assert len(pairs) <= 12, len(pairs)


def test_no_import_circle_when_the_code_runs() -> None:
    """The circle left is of types only (``TYPE_CHECKING``): nothing imported at run time
    goes round."""
    assert HOUSE._cycles(HOUSE._graph(MODULES, run_only=True)) == []
