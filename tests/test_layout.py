"""The layout shows the pipeline, and stays that way: read from the code's own imports.

Each stage folder of ``engine/`` may import only the stages listed before it (and the root's
``errors`` and ``version``; the last, ``cli``, also the public API in ``engine/__init__.py``); no module imports itself back through a cycle; no module is over
400 lines and no function over 40; at most six modules sit at the root (today three).
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ENGINE = Path(__file__).resolve().parent.parent / "engine"
STAGES = ["spec", "target", "inspect", "ledger", "auditing", "changes", "render", "diff", "offline", "planning", "applying", "fleet", "report", "demo", "cli"]
BASE = {"engine.errors", "engine.version"}  # what every stage may import from the root
ROOT = {"__init__.py", "errors.py", "version.py"}


def modules() -> dict[str, Path]:
    out = {}
    for path in ENGINE.rglob("*.py"):
        parts = ("engine",) + path.relative_to(ENGINE).with_suffix("").parts
        out[".".join(parts[:-1] if parts[-1] == "__init__" else parts)] = path
    return out


MODULES = modules()


def imports(name: str) -> set[str]:
    """The engine modules ``name`` imports, at module level or inside functions."""
    path = MODULES[name]
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.ImportFrom) and node.level:
            base = package.split(".")[: len(package.split(".")) - (node.level - 1)]
            module = ".".join(base + ([node.module] if node.module else []))
        elif isinstance(node, ast.ImportFrom):
            module = node.module or ""
        else:
            continue
        for alias in node.names:
            found.add(f"{module}.{alias.name}" if f"{module}.{alias.name}" in MODULES else module)
    return {m for m in found if m in MODULES and m != name}


def stage(name: str) -> str | None:
    parts = name.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in STAGES else None


def test_every_stage_folder_is_there_and_says_what_it_takes_and_gives():
    folders = sorted(p.name for p in ENGINE.iterdir() if p.is_dir() and (p / "__init__.py").exists())
    assert folders == sorted(STAGES)
    for folder in STAGES:
        doc = ast.get_docstring(ast.parse((ENGINE / folder / "__init__.py").read_text(encoding="utf-8")))
        assert doc and len(doc) > 80, f"engine/{folder}/__init__.py needs a docstring saying what the stage takes and gives"


def test_at_most_six_modules_stay_at_the_root():
    root = {p.name for p in ENGINE.glob("*.py")}
    assert root == ROOT and len(root) <= 6


@pytest.mark.parametrize("name", sorted(m for m in MODULES if stage(m)))
def test_a_stage_imports_only_the_stages_before_it(name):
    mine = STAGES.index(stage(name))
    allowed = BASE | ({"engine"} if stage(name) == "cli" else set())  # the command line sits on the public API
    for dep in sorted(imports(name) - allowed):
        theirs = stage(dep)
        assert theirs is not None, f"{name} imports {dep}, which is above every stage"
        assert STAGES.index(theirs) <= mine, f"{name} ({stage(name)}) imports {dep} from a later stage ({theirs})"


def test_no_import_cycles():
    graph = {m: imports(m) for m in MODULES}
    done: set[str] = set()

    def visit(node: str, path: list[str]) -> None:
        if node in path:
            cycle = path[path.index(node):] + [node]
            # a package importing its own submodules is how it re-exports them, not a cycle
            if not all(b.startswith(a + ".") or a.startswith(b + ".") for a, b in zip(cycle, cycle[1:])):
                raise AssertionError("import cycle: " + " -> ".join(cycle))
            return
        if node in done:
            return
        for dep in sorted(graph[node]):
            visit(dep, path + [node])
        done.add(node)

    for module in sorted(graph):
        visit(module, [])


def test_no_module_over_400_lines_and_no_function_over_40():
    long = []
    for name, path in sorted(MODULES.items()):
        text = path.read_text(encoding="utf-8")
        if len(text.splitlines()) > 400:
            long.append(f"{name}: {len(text.splitlines())} lines")
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno >= 40:
                long.append(f"{name}.{node.name}: {node.end_lineno - node.lineno + 1} lines")
    assert long == []


def test_the_checks_here_can_fail():
    """The direction rule sees an upward import: the planning stage reading the report stage would fail."""
    assert stage("engine.planning.planner") == "planning" and STAGES.index("report") > STAGES.index("planning")
    assert "engine.planning.planfile" in imports("engine.planning.planner")
    assert "engine.changes.lint" in imports("engine")  # the public API wires the stages together
