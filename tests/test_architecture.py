"""The house rules of DESIGN.md, read from the source: who imports whom, private names, module size.

Imports are read with `ast` from every module of app/, function-level imports included, so a
loop hidden inside a function body is found as surely as one at the top of a file.
"""
from __future__ import annotations

import ast
from pathlib import Path

import pytest

APP = Path(__file__).resolve().parent.parent / "app"

# Not areas: infrastructure every area may use (audit included: every area records events, it
# imports none), and the top level that composes the areas.
INFRASTRUCTURE = {"extensions", "config", "time", "enums", "live", "jobs", "web", "audit", "cache", "mail"}
TOP_LEVEL = {"__init__", "cli", "demo", "serving", "models"}
BOUNDARY = {"partner_center", "sandbox"}  # import nothing else of app/
MAX_LINES = 600


def _modules():
    for path in sorted(APP.rglob("*.py")):
        yield path, ".".join(("app", *path.relative_to(APP).with_suffix("").parts)).removesuffix(".__init__")


def _unit(module: str) -> str:
    """app.orders.jobs -> orders; app.cli -> cli; app -> __init__."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def _imports(path: Path, module: str):
    """(imported module, names) for every `import` and `from ... import` in the file."""
    package = module if path.name == "__init__.py" else module.rsplit(".", 1)[0]
    for node in _runtime_nodes(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, []
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[: len(anchor) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            names = [alias.name for alias in node.names]
            yield base, names
            for name in names:  # `from app import live` imports the module app.live
                yield f"{base}.{name}", []


def _runtime_nodes(tree):
    """Every node except those under `if TYPE_CHECKING:` (imports for annotations never run)."""
    stack = [tree]
    while stack:
        node = stack.pop()
        yield node
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and getattr(child.test, "id", None) == "TYPE_CHECKING":
                stack.extend(child.orelse)
                continue
            stack.append(child)


def _edges():
    """unit -> {unit: [where]} between the units of app/ (areas, infrastructure, top level)."""
    edges: dict[str, dict[str, list[str]]] = {}
    for path, module in _modules():
        source = _unit(module)
        for imported, _ in _imports(path, module):
            if not imported.startswith("app.") or imported.count(".") < 1:
                continue
            target = _unit(imported)
            if target != source and (APP / target).exists() or (APP / f"{target}.py").exists():
                if target != source:
                    edges.setdefault(source, {}).setdefault(target, []).append(str(path.relative_to(APP.parent)))
    return edges


def test_partner_center_and_the_sandbox_import_nothing_else_of_app():
    edges = _edges()
    leaks = [f"{unit} imports app.{target} ({', '.join(sorted(set(where)))})"
             for unit in BOUNDARY for target, where in edges.get(unit, {}).items()]
    assert not leaks, ("app/partner_center and app/sandbox stand alone (the sandbox is a second application, the "
                       "client speaks only Microsoft's contract): pass what they need in instead.\n" + "\n".join(leaks))


def _areas(edges):
    return {unit for unit in edges} | {t for targets in edges.values() for t in targets}


def test_areas_form_no_loop():
    edges = _edges()
    areas = _areas(edges) - INFRASTRUCTURE - TOP_LEVEL
    graph = {a: {t for t in edges.get(a, {}) if t in areas} for a in areas}
    loops = []

    def visit(node, path):
        for nxt in sorted(graph[node]):
            if nxt in path:
                loop = path[path.index(nxt):] + [nxt]
                loops.append(" -> ".join(loop) + "  (" + "; ".join(
                    f"{a}->{b}: {sorted(set(edges[a][b]))[0]}" for a, b in zip(loop, loop[1:])) + ")")
            elif len(path) < len(graph):
                visit(nxt, path + [nxt])

    for area in sorted(graph):
        visit(area, [area])
    assert not loops, ("Dependencies between areas point one way (DESIGN.md: Layout). Move the piece that closes "
                       "each loop to the lower area, or invert it with a registry:\n" + "\n".join(sorted(set(loops))))


def test_infrastructure_imports_no_area():
    edges = _edges()
    areas = _areas(edges) - INFRASTRUCTURE - TOP_LEVEL - BOUNDARY
    wrong = [f"{unit} imports {target} ({sorted(set(where))[0]})" for unit in INFRASTRUCTURE
             for target, where in edges.get(unit, {}).items() if target in areas]
    assert not wrong, "Infrastructure (web, jobs, live, ...) serves every area and imports none:\n" + "\n".join(wrong)


def test_orders_never_import_subscriptions():
    where = _edges().get("orders", {}).get("subscriptions")
    assert not where, f"subscriptions may use orders, never the reverse: {sorted(set(where))}"


def test_no_area_imports_another_areas_private_names():
    wrong = []
    for path, module in _modules():
        source = _unit(module)
        for imported, names in _imports(path, module):
            if imported.startswith("app.") and _unit(imported) != source:
                wrong += [f"{path.relative_to(APP.parent)}: {imported}.{name}" for name in names
                          if name.startswith("_") and not name.startswith("__")]
    assert not wrong, "A name starting with _ is its area's own: make it public or move the code.\n" + "\n".join(wrong)


@pytest.mark.parametrize("path", [p for p, _ in _modules()], ids=lambda p: str(p.relative_to(APP.parent)))
def test_no_module_over_about_600_lines(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_LINES, f"{path.relative_to(APP.parent)} has {lines} lines: split it by subject."
