"""`make house`: the shape of the package, measured, beside the targets of issue 34.

- modules per folder (target: at most 15);
- modules over 400 lines and functions over 60 lines (target: none);
- import circles between the package's modules, ``TYPE_CHECKING`` imports included
  (target: none);
- pairs of hand-written modules sharing runs of 6 or more lines, the same text once
  stripped (target: at most 12; a file whose first lines say ``generated`` and
  ``do not edit`` is not counted).

It prints the figures and the worst offenders; it does not fail (the targets are not all
met yet, and the figures are the point).
"""

from __future__ import annotations

import ast
import itertools
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "abeja"
RUN = 6


def _modules() -> dict[str, Path]:
    found = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(ROOT).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        found[name] = path
    return found


def _type_only(tree: ast.Module) -> set[int]:
    """The ids of the import nodes under ``if TYPE_CHECKING:`` (never run)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and ast.unparse(node.test).endswith("TYPE_CHECKING"):
            found.update(id(inner) for child in node.body for inner in ast.walk(child))
    return found


def _imports(name: str, path: Path, known: set[str], *, run_only: bool = False) -> set[str]:
    """The package's modules ``name`` imports (relative imports resolved); ``run_only``:
    those imported when the code runs (``TYPE_CHECKING`` blocks left out)."""
    tree = ast.parse(path.read_text())
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    targets: set[str] = set()
    skipped = _type_only(tree) if run_only else set()
    for node in ast.walk(tree):
        if id(node) in skipped:
            continue
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[: len(parent) - node.level + 1]
                base = ".".join([*parent, base] if base else parent)
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    return {t for t in targets if t in known and t != name}


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    components: list[list[str]] = []
    counter = itertools.count()
    sys.setrecursionlimit(10_000)

    def visit(node: str) -> None:
        index[node] = low[node] = next(counter)
        stack.append(node)
        on_stack.add(node)
        for target in graph[node]:
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                top = stack.pop()
                on_stack.discard(top)
                component.append(top)
                if top == node:
                    break
            if len(component) > 1:
                components.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    return components


def _generated(path: Path) -> bool:
    head = "\n".join(path.read_text().splitlines()[:5]).lower()
    return "generated" in head and "do not edit" in head


def _repeated_pairs(paths: list[Path]) -> dict[tuple[str, str], int]:
    """Pairs of files sharing runs of ``RUN`` stripped lines, and how many runs each."""
    seen: dict[tuple[str, ...], set[str]] = defaultdict(set)
    for path in paths:
        lines = [line.strip() for line in path.read_text().splitlines()]
        lines = [line for line in lines if line and not line.startswith("#")]
        for start in range(len(lines) - RUN + 1):
            window = tuple(lines[start : start + RUN])
            if sum(len(line) for line in window) > 80:  # not a run of brackets
                seen[window].add(str(path.relative_to(ROOT)))
    pairs: dict[tuple[str, str], int] = defaultdict(int)
    for files in seen.values():
        for pair in itertools.combinations(sorted(files), 2):
            pairs[pair] += 1
    return pairs


def _long_functions(path: Path) -> list[tuple[str, int]]:
    tree = ast.parse(path.read_text())
    return [
        (node.name, (node.end_lineno or node.lineno) - node.lineno + 1)
        for node in ast.walk(tree)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef))
        and (node.end_lineno or node.lineno) - node.lineno + 1 > 60
    ]


def _graph(modules: dict[str, Path], *, run_only: bool = False) -> dict[str, set[str]]:
    graph = {
        name: _imports(name, path, set(modules), run_only=run_only)
        for name, path in modules.items()
    }
    # A package's __init__ importing its own modules is no circle of the code's layers.
    for name in graph:
        graph[name] = {t for t in graph[name] if not name.startswith(t + ".")}
    return graph


def main() -> None:
    modules = _modules()
    folders: dict[Path, int] = defaultdict(int)
    for path in modules.values():
        folders[path.parent] += 1
    fullest = max(folders.items(), key=lambda item: item[1])
    long_modules = sorted(
        ((len(p.read_text().splitlines()), str(p.relative_to(ROOT))) for p in modules.values()),
        reverse=True,
    )
    over_400 = [(n, p) for n, p in long_modules if n > 400]
    long_functions = sorted(
        ((length, f"{p.relative_to(ROOT)}:{name}") for p in modules.values()
         for name, length in _long_functions(p)),
        reverse=True,
    )  # fmt: skip
    cycles = _cycles(_graph(modules))
    run_cycles = _cycles(_graph(modules, run_only=True))
    hand_written = [p for p in modules.values() if not _generated(p)]
    pairs = _repeated_pairs(hand_written)

    print(f"modules: {len(modules)} in {len(folders)} folders; the fullest: "
          f"{fullest[0].relative_to(ROOT)} with {fullest[1]} (target <= 15)")  # fmt: skip
    print(f"modules over 400 lines: {len(over_400)} (target 0)")
    for lines, path in over_400[:5]:
        print(f"  {lines:5} {path}")
    print(f"functions over 60 lines: {len(long_functions)} (target 0)")
    for length, where in long_functions[:5]:
        print(f"  {length:5} {where}")
    print(f"import circles (TYPE_CHECKING included): {len(cycles)} (target 0)")
    for cycle in cycles:
        print(f"  {len(cycle)} modules: {', '.join(cycle[:6])}{' ...' if len(cycle) > 6 else ''}")
    print(f"  of them when the code runs (TYPE_CHECKING left out): {len(run_cycles)}")
    print(f"pairs of hand-written modules sharing runs of {RUN}+ lines: {len(pairs)} "
          "(target <= 12)")  # fmt: skip
    for (first, second), runs in sorted(pairs.items(), key=lambda item: -item[1])[:8]:
        print(f"  {runs:4} runs  {first}  {second}")


if __name__ == "__main__":
    main()
