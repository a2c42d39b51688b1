"""The project's layout, read from its imports (with `ast`, nothing imported):
no cycle among its modules, services and selectors that know nothing of
HTTP, and a pipeline free of Django.

Every import counts, at the top of a module or inside a function (a late
import only hides a cycle); those under `if TYPE_CHECKING:` do not, since
they never run."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

pytestmark = pytest.mark.first_pass

ROOT = Path(__file__).resolve().parents[2]
APPS = ("jobs", "credits", "novelproc")


def module_name(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def project_modules() -> dict[str, Path]:
    return {module_name(path): path for app in APPS for path in sorted((ROOT / app).rglob("*.py"))}


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imported_names(path: Path) -> set[str]:
    """Every dotted name the module imports, and for `from a import b` both `a` and `a.b`."""
    names: set[str] = set()
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rpartition(".")[0]

    def visit(node: ast.AST) -> None:
        if isinstance(node, ast.If) and is_type_checking(node):
            for child in node.orelse:
                visit(child)
            return
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, base] if base else anchor)
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
        for child in ast.iter_child_nodes(node):
            visit(child)

    visit(ast.parse(path.read_text(encoding="utf-8"), filename=str(path)))
    return names


def import_graph() -> dict[str, set[str]]:
    """Module → the project modules it imports (a package's `__init__` only when named itself)."""
    modules = project_modules()
    return {name: {n for n in imported_names(path) if n in modules and n != name} for name, path in modules.items()}


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def connect(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in sorted(graph[node]):
            if target not in index:
                connect(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            connect(node)
    return found


def test_the_walk_sees_the_imports_it_must_judge():
    graph = import_graph()

    assert {"jobs.services", "jobs.selectors", "jobs.events", "jobs.pipeline.text"} <= set(graph)
    assert "jobs.models" in graph["jobs.services"] and "jobs.selectors" in graph["jobs.services"]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]


def test_no_module_imports_another_in_a_cycle():
    assert cycles(import_graph()) == []


def test_services_and_selectors_know_nothing_of_http():
    for module in ("jobs.services", "jobs.selectors", "credits.services", "credits.selectors"):
        names = imported_names(project_modules()[module])
        web = sorted(n for n in names if n.startswith(("django.http", "rest_framework", "django.shortcuts")))
        assert web == [], f"{module} imports {web}"


def test_the_pipeline_imports_no_django_and_no_app_module():
    for module, path in project_modules().items():
        if not module.startswith("jobs.pipeline"):
            continue
        names = imported_names(path)
        outside = sorted(
            n
            for n in names
            if n.split(".")[0] in {"django", "rest_framework", "channels", "django_q", *APPS}
            and not n.startswith(("jobs.pipeline", "jobs.types"))
            and n != "jobs"
        )
        assert outside == [], f"{module} imports {outside}"
