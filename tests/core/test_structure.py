"""The shape of the code, checked from its source (docs/ARCHITECTURE.md, "Shape")."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PACKAGE = ROOT / "relais"
MAX_FUNCTION_LINES = 80
# The demo seeders read as data tables: long on purpose.
LONG_FUNCTIONS_ALLOWED = ("relais/demo/",)


def _sources() -> Iterator[tuple[str, ast.Module]]:
    for path in sorted(PACKAGE.rglob("*.py")):
        if "migrations" in path.parts:
            continue
        yield path.relative_to(ROOT).as_posix(), ast.parse(path.read_text(), str(path))


def _module_name(relative: str) -> str:
    name = relative.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    if not is_package:
        base = base[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join([*base, node.module] if node.module else base)


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def _top_level_imports(tree: ast.Module) -> Iterator[ast.Import | ast.ImportFrom]:
    """Imports run when the module is loaded: at its top, in try/if blocks, not under
    `if TYPE_CHECKING` and not inside a function or a class body's methods."""
    pending: list[ast.stmt] = list(tree.body)
    while pending:
        node = pending.pop(0)
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node
        elif isinstance(node, ast.If) and not _is_type_checking(node):
            pending += node.body + node.orelse
        elif isinstance(node, ast.Try):
            pending += node.body + node.orelse + node.finalbody
            for handler in node.handlers:
                pending += handler.body


def import_graph() -> dict[str, set[str]]:
    """relais module → the relais modules it imports when it is loaded. `from a import b`
    counts as an import of a.b when a.b is a module, else of a; importing a.b.c also loads
    the packages a and a.b."""
    sources = dict(_sources())
    modules = {_module_name(rel): rel.endswith("__init__.py") for rel in sources}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for rel, tree in sources.items():
        name = _module_name(rel)
        for node in _top_level_imports(tree):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            else:
                base = _resolve(name, modules[name], node)
                targets = [
                    f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base
                    for a in node.names
                ]
            for target in targets:
                parts = target.split(".")
                for i in range(1, len(parts) + 1):
                    prefix = ".".join(parts[:i])
                    # A module's own packages are loaded before it: not an edge back.
                    if prefix in modules and not f"{name}.".startswith(f"{prefix}."):
                        graph[name].add(prefix)
    return graph


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph, as the list of its modules, or None."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph[node]):
            if state.get(nxt) == 1:
                return [*path[path.index(nxt) :], nxt]
            if nxt not in state and (found := visit(nxt)):
                return found
        path.pop()
        state[node] = 2
        return None

    for start in sorted(graph):
        if start not in state and (found := visit(start)):
            return found
    return None


def test_it_finds_a_cycle_when_there_is_one() -> None:
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert find_cycle(graph) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": set()}) is None


def test_it_has_no_import_cycle_between_modules() -> None:
    graph = import_graph()
    assert "relais.messaging.services.send" in graph["relais.messaging.services"]
    assert find_cycle(graph) is None, " → ".join(find_cycle(graph) or [])


def test_it_keeps_delivery_above_exports() -> None:
    """Delivery renders the fax with exports; exports never reach back into delivery."""
    graph = import_graph()
    exports_to_delivery = {
        (module, target)
        for module, targets in graph.items()
        if module.startswith("relais.exports")
        for target in targets
        if target.startswith("relais.delivery")
    }
    assert exports_to_delivery == set()


def _functions(tree: ast.Module) -> Iterator[ast.FunctionDef | ast.AsyncFunctionDef]:
    for node in ast.walk(tree):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node


def test_it_has_no_function_over_80_lines() -> None:
    long = [
        f"{rel}:{fn.lineno} {fn.name} ({(fn.end_lineno or fn.lineno) - fn.lineno + 1} lines)"
        for rel, tree in _sources()
        if not rel.startswith(LONG_FUNCTIONS_ALLOWED)
        for fn in _functions(tree)
        if (fn.end_lineno or fn.lineno) - fn.lineno + 1 > MAX_FUNCTION_LINES
    ]
    assert long == []


def test_it_stashes_nothing_in_an_objects_dict() -> None:
    """Data passed through an instance's __dict__ is invisible to readers and to mypy."""
    found = [
        f"{rel}:{node.lineno}"
        for rel, tree in _sources()
        for node in ast.walk(tree)
        if isinstance(node, ast.Attribute) and node.attr == "__dict__"
    ]
    assert found == []


def test_it_imports_inside_a_function_only_with_a_reason() -> None:
    """Imports sit at the top of modules, where they show how the layers depend on each
    other; one inside a function says why: a comment on its line or just above it (or above
    the run of imports it belongs to)."""
    unexplained = []
    for rel, tree in _sources():
        lines = (ROOT / rel).read_text().splitlines()
        explained: set[int] = set()
        inner = sorted(
            node.lineno
            for fn in _functions(tree)
            for node in ast.walk(fn)
            if isinstance(node, ast.Import | ast.ImportFrom)
        )
        for lineno in inner:
            above = lines[lineno - 2].strip() if lineno > 1 else ""
            if "#" in lines[lineno - 1] or above.startswith("#") or lineno - 1 in explained:
                explained.add(lineno)
            else:
                unexplained.append(f"{rel}:{lineno}")
    assert unexplained == []
