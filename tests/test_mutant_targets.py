"""scripts/mutants.py stays pointed at the rules it mutates: each mutant's original line is found
exactly once in its file, so a refactor that moves a rule fails here, not when someone next runs
`make mutants`."""

import importlib.util
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("mutants", ROOT / "scripts" / "mutants.py")
mutants = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(mutants)


@pytest.mark.parametrize("mutant", mutants.MUTANTS, ids=lambda m: m.name)
def test_each_mutant_finds_its_original_once_and_its_tests_exist(mutant):
    assert (ROOT / mutant.file).read_text().count(mutant.original) == 1, f"{mutant.file}: {mutant.original!r}"
    assert mutant.original != mutant.replacement
    for test in mutant.tests:
        assert (ROOT / test).exists(), test
