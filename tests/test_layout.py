"""The package layout is the architecture (docs/architecture.md): no import cycles, and the
content layer knows nothing of the web.

The graph is read from the source (``ast``), so the test sees every import a module makes,
including those inside functions: an import moved into a function to dodge a cycle is still
a cycle here. Imports under ``if TYPE_CHECKING:`` are type hints only and are left out.
"""

from __future__ import annotations

import ast
from pathlib import Path

from .conftest import REPO

SRC = REPO / "src"
PACKAGE = SRC / "qalam"


def _module_name(path: Path) -> str:
    rel = path.relative_to(SRC).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def _resolve(module: str, is_package: bool, node: ast.ImportFrom) -> str:
    if node.level == 0:
        return node.module or ""
    base = module.split(".") if is_package else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def _type_checking_lines(tree: ast.AST) -> set[int]:
    lines: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test):
            for child in node.body:
                lines.update(range(child.lineno, (child.end_lineno or child.lineno) + 1))
    return lines


def import_graph() -> dict[str, set[str]]:
    modules = {_module_name(p): p for p in PACKAGE.rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        tree = ast.parse(path.read_text(encoding="utf-8"))
        hints = _type_checking_lines(tree)
        is_package = path.name == "__init__.py"
        for node in ast.walk(tree):
            if getattr(node, "lineno", None) in hints:
                continue
            targets: list[str] = []
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = _resolve(name, is_package, node)
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            for target in targets:
                while target and target not in modules:
                    target = target.rpartition(".")[0]
                if target and target != name and target.startswith("qalam"):
                    graph[name].add(target)
    return graph


def _package(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if len(parts) > 1 else module


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(v: str) -> None:
        index[v] = low[v] = counter[0]
        counter[0] += 1
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            component = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                component.append(w)
                if w == v:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return found


def test_no_import_cycles_inside_content():
    graph = import_graph()
    content = {m: {t for t in ts if t.startswith("qalam.content")} for m, ts in graph.items()
               if m.startswith("qalam.content")}
    assert _cycles(content) == []


def test_content_lang_and_search_never_import_the_web_layers():
    graph = import_graph()
    web_side = ("qalam.web", "qalam.serve", "qalam.build", "qalam.news", "qalam.render", "qalam.cli")
    wrong = sorted((m, t) for m, ts in graph.items() if m.startswith(("qalam.content", "qalam.lang"))
                   for t in ts if t.startswith(web_side))
    assert wrong == []


def test_newsroom_is_pure_python():
    """The newsroom's rules never depend on the web layer or Django (the API and the editor use it)."""
    graph = import_graph()
    wrong = sorted((m, t) for m, ts in graph.items() if m.startswith("qalam.newsroom")
                   for t in ts if t.startswith(("qalam.web", "qalam.serve", "qalam.build", "qalam.cli")))
    for path in (PACKAGE / "newsroom").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            wrong += [(path.name, n) for n in names if n.split(".")[0] == "django"]
    assert wrong == []


def test_no_module_imports_itself_back():
    """No cycle between any two modules of Qalam, however long."""
    assert _cycles(import_graph()) == []


def test_package_graph_has_no_cycles():
    """Between packages (content, lang, search, render, news, build, serve, web, cli ...)."""
    graph = import_graph()
    packages: dict[str, set[str]] = {}
    for m, ts in graph.items():
        packages.setdefault(_package(m), set()).update(_package(t) for t in ts if _package(t) != _package(m))
    assert _cycles(packages) == []
