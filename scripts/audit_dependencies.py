"""Audit the pinned dependencies for known vulnerabilities with pip-audit, and say plainly what was not audited.

Fails (exit 1) for any known vulnerability not accepted in security/pip-audit-ignore.txt.
When no vulnerability database can be reached (a machine with no internet), pip-audit skips
every package and would print "No known vulnerabilities found": that is not a pass. One request
first asks the database about one package (a few seconds at most); when it gives no answer the
script prints NOT AUDITED at once instead of letting pip-audit spend most of a minute failing,
and exits 0, unless AUDIT_REQUIRED=1 (set it in CI with internet access), when being unable to
audit is itself a failure.
"""

import json
import os
import subprocess  # nosec B404
import sys
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE_FILE = ROOT / "security" / "pip-audit-ignore.txt"


def accepted_ids() -> list[str]:
    ids = []
    for line in IGNORE_FILE.read_text().splitlines():
        entry = line.split("#", 1)[0].strip()
        if entry:
            ids.append(entry.split()[0])
    return ids


#: What pip-audit asks by default (the PyPI JSON API's "vulnerabilities"), probed with one package.
PROBE_URL = "https://pypi.org/pypi/flask/3.1.3/json"


def advisory_database_answers(timeout: float = 8) -> bool:
    """True when the vulnerability service answers a known package with its vulnerability list."""
    try:
        with urllib.request.urlopen(PROBE_URL, timeout=timeout) as response:  # noqa: S310  # nosec B310
            return "vulnerabilities" in json.load(response)
    except (OSError, ValueError):
        return False


def main() -> int:
    if not advisory_database_answers():
        packages = sum(
            "==" in line for name in ("requirements.txt", "requirements-test.txt") for line in (ROOT / name).open()
        )
        print(
            f"NOT AUDITED: no vulnerability database answers from this machine ({PROBE_URL} gave no "
            f"vulnerability list), so none of the pinned packages ({packages} direct, with their dependencies) "
            "was checked; this is not a pass."
        )
        return 1 if os.environ.get("AUDIT_REQUIRED") == "1" else 0
    command = [
        str(ROOT / ".venv" / "bin" / "pip-audit"),
        "--requirement",
        str(ROOT / "requirements-test.txt"),
        "--format",
        "json",
        "--progress-spinner",
        "off",
        "--timeout",
        "20",
    ]
    for vuln_id in accepted_ids():
        command += ["--ignore-vuln", vuln_id]
    done = subprocess.run(command, capture_output=True, text=True, timeout=600)  # noqa: S603  # nosec B603
    try:
        report = json.loads(done.stdout)
    except json.JSONDecodeError:
        print(done.stdout, done.stderr, sep="\n", file=sys.stderr)
        print("pip-audit: FAILED to run (see above)", file=sys.stderr)
        return 1
    dependencies = report.get("dependencies", [])
    findings = [(d, v) for d in dependencies for v in d.get("vulns", [])]
    skipped = [d for d in dependencies if d.get("skip_reason")]
    audited = len(dependencies) - len(skipped)
    for dep, vuln in findings:
        fixes = ", ".join(vuln.get("fix_versions", [])) or "no fix yet"
        print(f"VULNERABLE {dep['name']} {dep['version']}: {vuln['id']} (fixed in {fixes})")
    print(
        f"pip-audit: {len(dependencies)} packages, {audited} audited, {len(skipped)} not audited, "
        f"{len(findings)} known vulnerabilities, {len(accepted_ids())} accepted"
    )
    if findings:
        return 1
    if skipped:
        reasons = sorted({d["skip_reason"].split(":")[0] for d in skipped})
        print(
            f"NOT AUDITED: {len(skipped)} packages could not be checked ({'; '.join(reasons)}). "
            "No vulnerability database is reachable from this machine; this is not a pass."
        )
        if os.environ.get("AUDIT_REQUIRED") == "1":
            return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
