"""The fixed clock: no module reads the real date except core.clock, and the suite runs on its own day."""

import ast
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from core import clock
from tests.conftest import TEST_TODAY

ROOT = Path(__file__).resolve().parents[1]
#: Packages whose code may not read the real clock (bench/ and scripts/ report real times on purpose).
CHECKED = ("core", "partnership", "spoc", "plans", "training", "channel_panel", "board", "compliance", "tests")
#: (object, attribute) calls that read the real date or time.
REAL_CLOCK = {("date", "today"), ("datetime", "now"), ("datetime", "utcnow"), ("datetime", "today")}


def real_clock_calls(path: Path, root: Path = ROOT) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            target = node.func.value
            name = target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", None)
            if (name, node.func.attr) in REAL_CLOCK:
                found.append(f"{path.relative_to(root)}:{node.lineno} calls {name}.{node.func.attr}()")
    return found


def test_only_core_clock_reads_the_real_date():
    offenders = []
    for package in CHECKED:
        for path in sorted((ROOT / package).rglob("*.py")) if (ROOT / package).is_dir() else []:
            if path != ROOT / "core" / "clock.py":
                offenders += real_clock_calls(path)
    assert offenders == [], "use core.clock.today() / clock.now():\n" + "\n".join(offenders)


def test_the_check_finds_a_real_clock_call(tmp_path):
    sample = tmp_path / "sample.py"
    sample.write_text("import datetime as dt\nfrom datetime import date\nx = date.today()\ny = dt.datetime.now()\n")
    assert real_clock_calls(sample, root=tmp_path) == [
        "sample.py:3 calls date.today()",
        "sample.py:4 calls datetime.now()",
    ]


def test_the_suite_runs_on_its_fixed_day():
    assert clock.today() == TEST_TODAY
    started = datetime(2026, 11, 16, 9, tzinfo=UTC)
    assert started <= clock.now() < started + timedelta(hours=1)


def test_without_a_fixed_day_the_clock_is_real(monkeypatch):
    monkeypatch.delenv("APP_TODAY")
    assert abs(clock.now().timestamp() - time.time()) < 5
    assert clock.today().year >= 2026
