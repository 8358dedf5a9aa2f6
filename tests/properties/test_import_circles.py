"""No module of the library imports one that imports it back, however far round: read from the
code's own import statements, those inside functions included (they run too, only later), and
those under ``if TYPE_CHECKING:`` too: a type that needs a higher floor is an upward arrow."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import ocp_twilio

PACKAGE = Path(ocp_twilio.__file__).parent


def test_no_module_imports_itself_back() -> None:
    graph = import_graph()
    assert len(graph) >= 80
    assert "ocp_twilio.cli.call_command" in graph["ocp_twilio.cli"]  # the graph sees imports
    assert circles(graph) == []


def import_graph() -> dict[str, set[str]]:
    """Each module of the package -> the modules of the package it imports."""
    paths = {_module_name(path): path for path in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {}
    for module, path in paths.items():
        package = module if path.name == "__init__.py" else module.rpartition(".")[0]
        imported: set[str] = set()
        for node in _imports(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                imported.update(alias.name for alias in node.names)
                continue
            source = _absolute(package, node)
            for alias in node.names:  # "from . import x" imports the module x, if there is one
                imported.add(
                    f"{source}.{alias.name}" if f"{source}.{alias.name}" in paths else source
                )
        graph[module] = {name for name in imported if name in paths and name != module}
    return graph


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The groups of modules that reach each other (strongly connected, of two or more)."""
    reach = {module: _reachable(graph, module) for module in graph}
    groups = {
        tuple(sorted({module} | {other for other in reach[module] if module in reach[other]}))
        for module in graph
        if module in reach[module]
    }
    return sorted(list(group) for group in groups)


def _reachable(graph: dict[str, set[str]], start: str) -> set[str]:
    seen: set[str] = set()
    todo = list(graph[start])
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo.extend(graph[module])
    return seen


def _imports(node: ast.AST) -> Iterator[ast.Import | ast.ImportFrom]:
    for child in ast.iter_child_nodes(node):
        if isinstance(child, (ast.Import, ast.ImportFrom)):
            yield child
        else:
            yield from _imports(child)


def _absolute(package: str, node: ast.ImportFrom) -> str:
    """The module a ``from ... import`` names, written from ``package``."""
    if not node.level:
        return str(node.module)
    parts = package.split(".")
    base = parts[: len(parts) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _module_name(path: Path) -> str:
    parts = ["ocp_twilio", *path.relative_to(PACKAGE).with_suffix("").parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
