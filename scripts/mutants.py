"""One-line mutations of the important rules: does the suite notice when each rule is broken?

For each mutant: copy the repository's tracked files (as they are in the working tree) to a
temporary folder with links to .venv and node_modules, make the one replacement (refusing
unless the original text is found exactly once), and run pytest on the mutant's few test
files on SQLite. CAUGHT means the tests failed; SURVIVED means they passed with the rule
broken, so a test is missing. The same tests are first run once unmutated: a failure there
would make every mutant look caught.

    .venv/bin/python scripts/mutants.py            every mutant
    .venv/bin/python scripts/mutants.py retention  those whose name contains "retention"

Exits 1 if any mutant survived or could not be run. Not part of `make test` (`make mutants`).
"""

import os
import shutil
import subprocess  # nosec B404
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINKED = (".venv", "node_modules")
TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Mutant:
    name: str
    file: str
    original: str
    replacement: str
    tests: tuple[str, ...]


CHANNEL_SERVICES = ("tests/channel_panel/test_services.py",)
COVERAGE = ("tests/training/test_coverage.py",)

MUTANTS = [
    Mutant(
        "6-month post-closure review a month late",
        "channel_panel/services.py",
        "due_on=review_due_on(closed_on, months))",
        "due_on=review_due_on(closed_on, months + (months == 6)))",
        CHANNEL_SERVICES,
    ),
    Mutant(
        "12-month post-closure review a month late",
        "channel_panel/services.py",
        "due_on=review_due_on(closed_on, months))",
        "due_on=review_due_on(closed_on, months + (months == 12)))",
        CHANNEL_SERVICES,
    ),
    Mutant(
        "review date a day after the calendar months",
        "channel_panel/dates.py",
        "    return add_months(closed_on, months)",
        "    return add_months(closed_on, months) + timedelta(days=1)",
        ("tests/channel_panel/test_dates.py",),
    ),
    Mutant(
        "retention: material kept on its retention day",
        "channel_panel/retention.py",
        "if due_on > today:",
        "if due_on >= today:",
        ("tests/channel_panel/test_retention.py",),
    ),
    Mutant(
        "WRAP still valid on its expiry day (trend)",
        "training/coverage.py",
        "Completion.expires_on > day,",
        "Completion.expires_on >= day,",
        COVERAGE,
    ),
    Mutant(
        "coverage not capped at 100% per organisation",
        "training/coverage.py",
        "trained = sum(min(r.trained, r.headcount) for r in with_headcount)",
        "trained = sum(r.trained for r in with_headcount)",
        COVERAGE,
    ),
    Mutant(
        "stale headcount after 367 days, not 366",
        "training/coverage.py",
        "STALE_HEADCOUNT_DAYS = 366",
        "STALE_HEADCOUNT_DAYS = 367",
        COVERAGE,
    ),
    Mutant(
        "a SPOC may write any area's rows",
        "core/permissions.py",
        "return area_id in user.lead_area_ids",
        "return True",
        ("tests/core/test_permissions.py", "tests/plans/test_views.py"),
    ),
    Mutant(
        "deputies may not edit their area's plan",
        "core/models.py",
        "return frozenset(a.area_id for a in self.spoc_assignments)",
        'return frozenset(a.area_id for a in self.spoc_assignments if a.capacity == "spoc")',
        ("tests/plans/test_views.py",),
    ),
    Mutant(
        "no reason needed for Red or Amber (service)",
        "plans/services.py",
        "if rag and Rag(rag).needs_reason and rag != row.rag and not reason.strip():",
        "if False:",
        ("tests/plans/test_services.py",),
    ),
    Mutant(
        "no reason needed for Red or Amber (form)",
        "plans/forms.py",
        'if changing_to_red_or_amber and not (field.data or "").strip():',
        "if False:",
        ("tests/plans/test_views.py",),
    ),
    Mutant(
        "due-soon Amber window 45 days, not 30",
        "plans/rules.py",
        "DUE_SOON_DAYS = 30",
        "DUE_SOON_DAYS = 45",
        ("tests/plans/test_services.py", "tests/plans/test_rules.py"),
    ),
    Mutant(
        "due-soon Amber window 29 days, not 30",
        "plans/rules.py",
        "DUE_SOON_DAYS = 30",
        "DUE_SOON_DAYS = 29",
        ("tests/plans/test_services.py", "tests/plans/test_rules.py"),
    ),
    Mutant(
        "sign-in lockout after 6 failures, not 5",
        "config.py",
        'LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 5)',
        'LOGIN_MAX_FAILURES = _int("LOGIN_MAX_FAILURES", 6)',
        ("tests/core/test_auth.py",),
    ),
    Mutant(
        "sign-in lockout one failure after the limit",
        "core/accounts.py",
        'reached = pair.count >= max_failures or overall.count >= config["LOGIN_ACCOUNT_MAX_FAILURES"]',
        'reached = pair.count > max_failures or overall.count >= config["LOGIN_ACCOUNT_MAX_FAILURES"]',
        ("tests/core/test_auth.py",),
    ),
]


def copy_repository(into: Path) -> None:
    """The tracked files as they stand in the working tree, and links to the installed tools."""
    command = [shutil.which("git") or "git", "ls-files", "-z"]
    listing = subprocess.run(command, cwd=ROOT, check=True, capture_output=True).stdout  # noqa: S603  # nosec B603
    for name in filter(None, listing.decode().split("\0")):
        source = ROOT / name
        if not source.exists() and not source.is_symlink():
            continue  # deleted in the working tree
        target = into / name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target, follow_symlinks=False)
    for name in LINKED:
        if (ROOT / name).exists():
            (into / name).symlink_to((ROOT / name).resolve(), target_is_directory=True)


def apply(mutant: Mutant, folder: Path) -> None:
    path = folder / mutant.file
    text = path.read_text()
    found = text.count(mutant.original)
    if found != 1:
        raise SystemExit(f"{mutant.name}: {mutant.original!r} found {found} times in {mutant.file}, not once")
    path.write_text(text.replace(mutant.original, mutant.replacement))


def run_tests(folder: Path, tests: tuple[str, ...]) -> tuple[int | None, str]:
    """pytest's exit code (None on a timeout) and the end of its output."""
    env = {k: v for k, v in os.environ.items() if k not in ("TEST_DATABASE_URL", "DATABASE_URL")}
    command = [
        str(folder / ".venv" / "bin" / "python"),
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--basetemp={folder / '.pytest-tmp'}",
        *tests,
    ]
    try:
        done = subprocess.run(  # noqa: S603 - this venv's pytest on our own test paths  # nosec B603
            command, cwd=folder, env=env, capture_output=True, text=True, timeout=TIMEOUT_SECONDS
        )
    except subprocess.TimeoutExpired:
        return None, ""
    return done.returncode, "\n".join((done.stdout + done.stderr).strip().splitlines()[-15:])


def in_copy(mutant: Mutant | None, tests: tuple[str, ...]) -> tuple[int | None, str]:
    with tempfile.TemporaryDirectory(prefix="mutant-") as tmp:
        folder = Path(tmp)
        copy_repository(folder)
        if mutant is not None:
            apply(mutant, folder)
        return run_tests(folder, tests)


def main(args: list[str]) -> int:
    chosen = [m for m in MUTANTS if not args or any(a.lower() in m.name.lower() for a in args)]
    if not chosen:
        print(f"No mutant's name contains {' or '.join(args)}")
        return 2
    # Refuse early, before any test runs, if an original text has moved.
    for mutant in chosen:
        found = (ROOT / mutant.file).read_text().count(mutant.original)
        if found != 1:
            print(f"{mutant.name}: {mutant.original!r} found {found} times in {mutant.file}, not once")
            return 2
    started = time.monotonic()
    every_test = tuple(sorted({t for m in chosen for t in m.tests}))
    code, output = in_copy(None, every_test)
    if code != 0:
        print(f"The unmutated tests do not pass (exit {code}); a mutant result would mean nothing.\n{output}")
        return 2
    print(f"Unmutated: {len(every_test)} test files pass ({time.monotonic() - started:.0f} s)")

    results = []
    for mutant in chosen:
        began = time.monotonic()
        code, output = in_copy(mutant, mutant.tests)
        if code == 1:
            result = "CAUGHT"
        elif code is None:
            result = "CAUGHT"  # ran past the timeout: a hang is noticed too
        elif code == 0:
            result = "SURVIVED"
        else:
            result = "ERROR"  # pytest could not run the tests (exit 2 to 5)
        results.append(result)
        seconds = time.monotonic() - began
        print(f"{result:<9}{seconds:5.1f} s  {mutant.name}  ({mutant.file})", flush=True)
        if result == "SURVIVED":
            print(f"    {mutant.original!r} -> {mutant.replacement!r} passed {' '.join(mutant.tests)}")
        elif result == "ERROR":
            print(f"    pytest exit {code}:\n{output}")

    caught = results.count("CAUGHT")
    survived = results.count("SURVIVED")
    errors = results.count("ERROR")
    print(
        f"{len(results)} mutants: {caught} caught, {survived} survived, {errors} could not run, "
        f"in {time.monotonic() - started:.0f} s"
    )
    return 0 if caught == len(results) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
