"""The shape of helpers/lab and helpers/live: small modules, small classes, no import cycles.

Measured on the real files with ``ast``: a module of at most 300 lines, a class of at
most 250 (from its ``class`` line to its last line, docstring included), no cycle among
the modules' import-time imports, ipywidgets imported by one lab module only (``_view``)
and threads started by one (``_worker``). A failure names the module or class and its
size: split it by what its parts do, not in halves (docs/design.md).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("helpers/lab", "helpers/live")
MODULE_LINES, CLASS_LINES = 300, 250
WIDGET_MODULES = {"helpers/lab/_view.py"}  # the only ipywidgets import in the lab
THREAD_MODULES = {"helpers/lab/_worker.py"}  # the only module that starts a thread

FILES = sorted(path for package in PACKAGES for path in (ROOT / package).glob("*.py"))


def name_of(path: Path) -> str:
    return path.relative_to(ROOT).as_posix()


def tree_of(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def dotted(path: Path) -> str:
    parts = path.relative_to(ROOT).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def import_time_imports(path: Path) -> set[str]:
    """The helpers modules ``path`` imports when it is imported (not inside functions)."""
    package = dotted(path) if path.name == "__init__.py" else dotted(path).rpartition(".")[0]
    found: set[str] = set()
    statements = list(tree_of(path).body)
    while statements:
        node = statements.pop()
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            statements += node.orelse  # its body is read by type checkers only
        elif isinstance(node, (ast.If, ast.Try)):  # module-level blocks run at import
            statements += node.body + node.orelse + getattr(node, "finalbody", [])
            statements += [s for h in getattr(node, "handlers", []) for s in h.body]
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                base = f"{anchor}.{base}" if base else anchor
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("helpers.")}


@pytest.mark.parametrize("path", FILES, ids=name_of)
def test_every_module_and_class_is_under_its_bar(path):
    name = name_of(path)
    lines = len(path.read_text(encoding="utf-8").splitlines())
    over = [f"{name} has {lines} lines (the bar: {MODULE_LINES})"] if lines > MODULE_LINES else []
    for node in ast.walk(tree_of(path)):
        size = node.end_lineno - node.lineno + 1 if isinstance(node, ast.ClassDef) else 0
        if size > CLASS_LINES:
            over.append(f"class {node.name} in {name} has {size} lines (the bar: {CLASS_LINES})")
    assert not over, "; ".join(over)


def test_the_packages_import_no_module_in_a_cycle():
    modules = {dotted(path): path for path in FILES}
    graph = {
        name: {m for m in import_time_imports(path) if m in modules and m != name}
        for name, path in modules.items()
    }
    done: set[str] = set()

    def visit(name: str, trail: list[str]) -> None:
        if name in trail:
            cycle = trail[trail.index(name) :] + [name]
            pytest.fail("an import cycle: " + " -> ".join(cycle))
        if name not in done:
            for imported in sorted(graph[name]):
                visit(imported, [*trail, name])
            done.add(name)

    for name in sorted(graph):
        visit(name, [])


def test_one_lab_module_imports_ipywidgets_and_one_starts_threads():
    widgets, threads = set(), set()
    for path in FILES:
        for node in ast.walk(tree_of(path)):
            names = []
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            if any(n == "ipywidgets" or n.startswith("ipywidgets.") for n in names):
                widgets.add(name_of(path))
            called = node.func if isinstance(node, ast.Call) else None
            if isinstance(called, (ast.Attribute, ast.Name)):
                if getattr(called, "attr", getattr(called, "id", None)) == "Thread":
                    threads.add(name_of(path))
    assert widgets == WIDGET_MODULES, f"modules that import ipywidgets: {sorted(widgets)}"
    assert threads == THREAD_MODULES, f"modules that start a thread: {sorted(threads)}"
