"""The house rules of the imports: no circle between modules, every arrow down the flow.

Layers, bottom to top: shared (config, models, validated, the package root) -> sources ->
store (with queries/, its named SQL) -> analysis -> reports -> jobs -> cli (-> __main__). A
module may import its own layer and the layers below it, never one above. Every import
counts: at the top of a module, inside a function (the lazy ones), and under TYPE_CHECKING
(a type is an arrow too).
"""

from __future__ import annotations

import ast
from collections.abc import Iterable
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
PACKAGE = "terskel"

# room (first name under terskel) -> layer; a module in a room not named here fails the test
LAYERS = {
    "": 0,  # terskel/__init__.py
    "config": 0,
    "models": 0,
    "validated": 0,  # pydantic's validation of config and templates, remembered
    "sources": 1,
    "store": 2,
    "queries": 2,  # the named SQL files over the store's views, and their catalog
    "analysis": 3,
    "reports": 4,
    "jobs": 5,
    "cli": 6,
    "__main__": 7,
}
LAYER_NAMES = ["shared", "sources", "store", "analysis", "reports", "jobs", "cli", "__main__"]


def modules(src: Path = SRC) -> dict[str, Path]:
    """Dotted name -> file of every module of the package (a package is its __init__)."""
    found = {}
    for path in sorted((src / PACKAGE).rglob("*.py")):
        parts = list(path.relative_to(src).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _owner(name: str, known: Iterable[str]) -> str | None:
    """The module an imported name lives in: itself, or the nearest package above it."""
    names = set(known)
    while name and name not in names:
        name = name.rpartition(".")[0]
    return name or None


def imports_of(name: str, path: Path, known: set[str]) -> set[str]:
    """Modules of the package that one module imports, anywhere in its body."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text("utf-8"), str(path))):
        if isinstance(node, ast.Import):
            found.update(filter(None, (_owner(a.name, known) for a in node.names)))
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            if base != PACKAGE and not base.startswith(PACKAGE + "."):
                continue
            for alias in node.names:  # `from terskel.store import faults` names a module
                target = _owner(f"{base}.{alias.name}", known)
                if target is not None:
                    found.add(target)
    found.discard(name)
    return found


def import_graph(src: Path = SRC) -> dict[str, set[str]]:
    """Module -> the package modules it imports."""
    found = modules(src)
    known = set(found)
    return {name: imports_of(name, path, known) for name, path in found.items()}


def layer_of(module: str) -> int | None:
    """The layer of a module, from its room; None for a room no layer names."""
    room = module.split(".")[1] if "." in module else ""
    return LAYERS.get(room)


def climbing_arrows(graph: dict[str, set[str]]) -> list[str]:
    """Every arrow from a lower layer to a higher one, said in words."""
    found = []
    for source in sorted(graph):
        for target in sorted(graph[source]):
            low, high = layer_of(source), layer_of(target)
            if low is not None and high is not None and high > low:
                found.append(
                    f"{source} -> {target}: {LAYER_NAMES[low]} imports {LAYER_NAMES[high]}"
                )
    return found


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Each import circle as a path a -> b -> ... -> a (one per strongly connected group)."""
    found = []
    for group in _strongly_connected(graph):
        if len(group) > 1:
            found.append(_cycle_in(group, graph))
    return sorted(found)


def _strongly_connected(graph: dict[str, set[str]]) -> list[set[str]]:
    """Tarjan's groups of modules that reach each other (iterative: no recursion limit)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups = []
    for root in sorted(graph):
        if root in index:
            continue
        work = [(root, iter(sorted(graph.get(root, ()))))]
        index[root] = low[root] = len(index)
        stack.append(root)
        on_stack.add(root)
        while work:
            node, targets = work[-1]
            target = next(targets, None)
            if target is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    group = set()
                    while True:
                        member = stack.pop()
                        on_stack.discard(member)
                        group.add(member)
                        if member == node:
                            break
                    groups.append(group)
            elif target not in index:
                index[target] = low[target] = len(index)
                stack.append(target)
                on_stack.add(target)
                work.append((target, iter(sorted(graph.get(target, ())))))
            elif target in on_stack:
                low[node] = min(low[node], index[target])
    return groups


def _cycle_in(group: set[str], graph: dict[str, set[str]]) -> list[str]:
    """A shortest circle through the first module of a group (breadth first)."""
    start = min(group)
    came_from: dict[str, str] = {}
    frontier = [start]
    while frontier:
        following = []
        for node in frontier:
            for target in sorted(graph[node] & group):
                if target == start:
                    path = [node]
                    while path[-1] != start:
                        path.append(came_from[path[-1]])
                    return [*reversed(path), start]
                if target not in came_from:
                    came_from[target] = node
                    following.append(target)
        frontier = following
    raise AssertionError(f"no circle in {sorted(group)}")  # a group of > 1 always has one


def test_every_module_has_a_layer() -> None:
    unplaced = [name for name in modules() if layer_of(name) is None]
    assert unplaced == [], f"modules in a room with no layer (add it to LAYERS): {unplaced}"


def test_no_arrow_climbs_the_flow() -> None:
    climbing = climbing_arrows(import_graph())
    assert climbing == [], "imports against the flow:\n" + "\n".join(climbing)


def test_no_import_circle() -> None:
    found = circles(import_graph())
    said = "\n".join(" -> ".join(circle) for circle in found)
    assert found == [], f"import circles:\n{said}"
