"""The packages import only downward: core -> partnership -> spoc, plans, training, channel_panel ->
board, region -> compliance. The kernel (core) imports no domain at all, and no two packages import each
other (peers may import one way). Read from every module's source with ast, imports inside
functions included; the app factory composes the domains by name (config.PACKAGES), not by import.
"""

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
#: Each package's layer, lowest first.
LAYER = {
    "core": 0,
    "partnership": 1,
    "spoc": 2,
    "plans": 2,
    "training": 2,
    "channel_panel": 2,
    "board": 3,
    "region": 3,
    "compliance": 4,
}


def imports_of(path: Path) -> list[tuple[int, str]]:
    """(line, top-level package) for every absolute import in a module."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.append((node.lineno, node.module))
        elif isinstance(node, ast.Import):
            found += [(node.lineno, alias.name) for alias in node.names]
    return found


def layering_problems(root: Path) -> list[str]:
    """Every upward import and every pair of packages that import each other, as text."""
    problems, edges = [], {}
    for package, level in LAYER.items():
        for path in sorted((root / package).rglob("*.py")):
            for line, module in imports_of(path):
                target = module.split(".")[0]
                if target not in LAYER or target == package:
                    continue
                edges.setdefault(package, {}).setdefault(target, f"{path.relative_to(root)}:{line} imports {module}")
                if package == "core" or LAYER[target] > level:
                    problems.append(f"upward: {path.relative_to(root)}:{line} imports {module}")
    for a, targets in sorted(edges.items()):
        for b, where in sorted(targets.items()):
            if a < b and a in edges.get(b, {}):
                problems.append(f"cycle: {a} <-> {b} ({where}; {edges[b][a]})")
    return problems


def test_packages_import_only_downward_and_never_each_other():
    problems = layering_problems(ROOT)
    assert problems == [], "\n".join(problems)


@pytest.mark.parametrize(
    ("where", "line", "expected"),
    [
        ("core/extra.py", "from plans.models import Plan\n", "upward: core/extra.py:1 imports plans.models"),
        ("plans/extra.py", "import board.services\n", "upward: plans/extra.py:1 imports board.services"),
        (
            "training/extra.py",
            "def f():\n    from compliance import checks\n",
            "upward: training/extra.py:2 imports compliance",
        ),
    ],
)
def test_an_upward_import_is_found_even_inside_a_function(tmp_path, where, line, expected):
    for package in LAYER:
        (tmp_path / package).mkdir()
    (tmp_path / where).write_text(line)
    assert layering_problems(tmp_path) == [expected]


def test_two_peers_importing_each_other_is_a_cycle(tmp_path):
    for package in LAYER:
        (tmp_path / package).mkdir()
    (tmp_path / "plans" / "a.py").write_text("from spoc.models import SpocAssignment\n")
    (tmp_path / "spoc" / "b.py").write_text("from plans import services\n")
    assert layering_problems(tmp_path) == [
        "cycle: plans <-> spoc (plans/a.py:1 imports spoc.models; spoc/b.py:1 imports plans)"
    ]
