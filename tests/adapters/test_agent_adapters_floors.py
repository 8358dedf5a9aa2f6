"""The adapters and the agent import no circle: adapters are typed against ToolCaller (what they
call on an agent), and the agent reaches the adapters only inside tools_for."""

from __future__ import annotations

import ast
from pathlib import Path

import ocp_twilio

PACKAGE = Path(ocp_twilio.__file__).parent


def imports_in(nodes: list[ast.AST]) -> set[str]:
    """The modules imported among ``nodes`` (relative ones with their dots)."""
    found: set[str] = set()
    for node in nodes:
        if isinstance(node, ast.ImportFrom):
            found.add("." * node.level + (node.module or ""))
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"))


def test_no_adapter_imports_the_agent() -> None:
    adapters = sorted((PACKAGE / "adapters").rglob("*.py"))
    root = PACKAGE / "adapters"
    imported = {
        p.relative_to(root).as_posix(): imports_in(list(ast.walk(parsed(p)))) for p in adapters
    }
    assert len(imported) > 10
    assert {name for name, modules in imported.items() if "_agent" in str(modules)} == set()
    typed = {name for name, modules in imported.items() if {".._caller", "..._caller"} & modules}
    assert {"_calls.py", "openai.py", "anthropic.py", "mcp/server.py", "mcp/http.py"} <= typed


def test_the_agent_imports_the_adapters_only_for_types_and_inside_tools_for() -> None:
    tree = parsed(PACKAGE / "_agent.py")
    assert ".adapters" in imports_in(list(ast.walk(tree)))
    module_level = [
        node
        for statement in tree.body
        if not isinstance(statement, ast.ClassDef) and not _is_type_checking_block(statement)
        for node in ast.walk(statement)
    ]
    assert ".adapters" not in imports_in(module_level)
    [agent] = [s for s in tree.body if isinstance(s, ast.ClassDef) and s.name == "OCPAgent"]
    importing = [
        method.name
        for method in agent.body
        if isinstance(method, (ast.FunctionDef, ast.AsyncFunctionDef))
        and ".adapters" in imports_in(list(ast.walk(method)))
    ]
    assert importing == ["tools_for"]


def _is_type_checking_block(node: ast.stmt) -> bool:
    return isinstance(node, ast.If) and ast.unparse(node.test) == "TYPE_CHECKING"
