"""The map of the code holds: engine/ is grouped by area, lower layers import nothing above them, no import
circle exists, and the domain knows nothing of the web. Imports are read from the source (run-time imports
only: those under `if TYPE_CHECKING:` name types for the checker and load nothing)."""

from __future__ import annotations

import ast
from pathlib import Path

from engine.config import PROJECT_ROOT

KERNEL = {"engine.errors", "engine.text", "engine.config", "engine.children"}  # shared by every area, importing no area
COMPOSITION = {"engine.schema", "engine.runtime"}  # wire the areas together; only entry points import them
# Bottom up: an area imports only areas before it in this list (docs/architecture.md draws the map).
AREAS = ["store", "time", "signing", "people", "procedures", "dossiers", "work", "sync", "payments", "scheduling",
         "reporting", "reform"]


def _modules() -> dict[str, Path]:
    found = {}
    for top in ("engine", "api", "connectors"):
        for path in (PROJECT_ROOT / top).rglob("*.py"):
            if "migrations" in path.parts:  # Alembic's scripts, run by Alembic, not imported
                continue
            parts = list(path.relative_to(PROJECT_ROOT).with_suffix("").parts)
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join(parts)] = path
    return found


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only = {id(node) for block in ast.walk(tree)
                   if isinstance(block, ast.If) and "TYPE_CHECKING" in ast.unparse(block.test)
                   for node in ast.walk(block)}
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            for alias in node.names:
                found.add(f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES else module)
        elif isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
    return found


GRAPH = {name: _imports(name, path) for name, path in MODULES.items()}


def _area(module: str) -> str:
    parts = module.split(".")
    return ".".join(parts[:2]) if parts[0] == "engine" and len(parts) > 1 else parts[0]


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one member (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in graph.get(v, ()):
            if w not in graph:
                continue
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

    for v in graph:
        if v not in index:
            visit(v)
    return found


def test_engine_is_grouped_by_area_and_each_area_says_what_it_owns() -> None:
    packages = sorted(p.parent.name for p in (PROJECT_ROOT / "engine").glob("*/__init__.py"))
    assert packages == sorted(AREAS)
    for area in AREAS:
        doc = ast.get_docstring(ast.parse((PROJECT_ROOT / "engine" / area / "__init__.py").read_text("utf-8")))
        assert doc and "\n" not in doc.strip(), f"engine/{area}/__init__.py needs a one-line docstring"
    loose = {p.stem for p in (PROJECT_ROOT / "engine").glob("*.py")} - {"__init__"}
    assert {f"engine.{name}" for name in loose} <= KERNEL | COMPOSITION, "a module outside any area"


def test_no_import_circle_between_modules() -> None:
    assert _cycles(GRAPH) == []


def test_no_import_circle_between_areas() -> None:
    areas: dict[str, set[str]] = {}
    for module, imported in GRAPH.items():
        if module.startswith("engine."):
            areas.setdefault(_area(module), set()).update(_area(i) for i in imported if i.startswith("engine."))
    for area, targets in areas.items():
        targets.discard(area)
    assert _cycles(areas) == []


def test_each_area_imports_only_areas_below_it() -> None:
    rank = {f"engine.{area}": n for n, area in enumerate(AREAS)}
    for module, imported in GRAPH.items():
        if _area(module) not in rank:
            continue
        above = {i for i in imported if _area(i) in rank and rank[_area(i)] > rank[_area(module)]}
        assert not above, f"{module} imports {sorted(above)}, above its area"
        assert not {i for i in imported if i.startswith("engine.") and _area(i) not in rank} - KERNEL, module


def test_areas_do_not_import_the_composition_root_and_the_domain_knows_no_web() -> None:
    for module, imported in GRAPH.items():
        if not module.startswith("engine.") or module in COMPOSITION:
            continue
        assert not imported & COMPOSITION, f"{module} imports {sorted(imported & COMPOSITION)}"
        web = {i for i in imported if i.split(".")[0] in ("api", "flask", "werkzeug", "flask_babel")}
        assert not web, f"{module} imports {sorted(web)}"


def test_the_kernel_imports_no_area() -> None:
    for module in KERNEL:
        assert not {i for i in GRAPH[module] if i.startswith("engine.")}, module


def test_connectors_import_nothing_of_motcua_and_the_engine_no_connector() -> None:
    """A connector talks to one far system and knows no Motcua code; the entry points (api/) hand its functions to
    the engine, which never imports a connector."""
    for module, imported in GRAPH.items():
        if module.startswith("connectors"):
            assert not {i for i in imported if i.split(".")[0] in ("engine", "api")}, module
        if module.startswith("engine."):
            assert not {i for i in imported if i.split(".")[0] == "connectors"}, module
    plugins = sorted(p.parent.name for p in (PROJECT_ROOT / "connectors").glob("*/plugin.py"))
    from connectors.registry import PLUGINS

    assert plugins == sorted(PLUGINS), "every connector sub-package has a plugin.py listed in the registry"
