"""The package's import graph: no circles, and no import up the layers (lazy imports inside functions count).

The layers read as the pipeline, lowest first. A module may import its own layer and those below it;
within a layer, the imports must not form a circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"
LAYERS = [
    ("errors", "runtime", "resources", "config"),
    ("text",),
    ("corpus",),
    ("index",),
    ("retrieval",),
    ("llm",),
    ("prompts",),
    ("scoring",),
    ("attribution",),
    ("workspace",),
    ("briefs",),
    ("evaluation",),
    ("web", "cli"),
]
RANK = {name: i for i, layer in enumerate(LAYERS) for name in layer}


def modules(root: Path = SRC) -> dict[str, Path]:
    out = {}
    for path in (root / "briefkit").rglob("*.py"):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        out[".".join(parts)] = path
    return out


def import_graph(root: Path = SRC) -> dict[str, set[str]]:
    """Each briefkit module and the briefkit modules it imports, anywhere in its code."""
    mods = modules(root)
    graph: dict[str, set[str]] = {m: set() for m in mods}
    for name, path in mods.items():
        package = name.split(".") if path.name == "__init__.py" else name.split(".")[:-1]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom):
                base = package[: len(package) - node.level + 1] if node.level else []
                target = ".".join(base + ([node.module] if node.module else []))
                wanted = [target] + [f"{target}.{a.name}" for a in node.names]
            elif isinstance(node, ast.Import):
                wanted = [a.name for a in node.names]
            else:
                continue
            for w in wanted:
                while w and w not in mods:
                    w = w.rpartition(".")[0]
                if w.startswith("briefkit.") and w != name:
                    graph[name].add(w)
    return graph


def rank(module: str) -> int | None:
    parts = module.split(".")
    return RANK.get(parts[1]) if len(parts) > 1 else None


def up_imports(graph: dict[str, set[str]]) -> list[str]:
    return sorted(f"{m} -> {t}" for m, targets in graph.items() for t in targets
                  if rank(m) is not None and rank(t) is not None and rank(t) > rank(m))


def circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected groups of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in graph[v]:
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_every_top_level_part_has_a_layer():
    tops = {m.split(".")[1] for m in modules() if m.count(".") >= 1}
    assert tops - set(RANK) == set(), "give each new top-level module or package a layer in LAYERS"


def test_no_import_runs_up_the_layers():
    assert up_imports(import_graph()) == []


def test_no_import_circles():
    assert circles(import_graph()) == []


def test_the_check_sees_a_back_arrow_and_a_circle(tmp_path):
    """The checks themselves fail on a package with an upward import and a circle."""
    pkg = tmp_path / "briefkit"
    (pkg / "text").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "text" / "__init__.py").write_text("")
    (pkg / "text" / "a.py").write_text("def f():\n    from ..workspace import W\n")  # lazy, still counted
    (pkg / "text" / "b.py").write_text("from . import c\n")
    (pkg / "text" / "c.py").write_text("from .b import x\n")
    (pkg / "workspace.py").write_text("W = 1\n")
    graph = import_graph(tmp_path)
    assert up_imports(graph) == ["briefkit.text.a -> briefkit.workspace"]
    assert circles(graph) == [["briefkit.text.b", "briefkit.text.c"]]


def test_the_library_entry_points_import_from_the_top_without_heavy_libraries():
    import subprocess
    import sys

    child = ("import sys, briefkit\n"
             "from briefkit import Settings, Workspace, ask, summarise\n"
             "assert callable(summarise) and callable(ask) and Workspace and Settings\n"
             "print(sorted(m for m in ('torch', 'transformers', 'faiss') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", child], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
