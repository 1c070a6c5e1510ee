#!/usr/bin/env bash
# Static security checks: bandit on the application code, pip-audit on the pinned dependencies.
# Exceptions are justified in security/bandit.yaml and security/pip-audit-ignore.txt.
set -uo pipefail
cd "$(dirname "$0")/.."
echo "== bandit"
.venv/bin/bandit -q -c security/bandit.yaml -r . ; bandit_rc=$?
echo "== pip-audit"
.venv/bin/python scripts/audit_dependencies.py; audit_rc=$?
echo "== bandit: exit $bandit_rc; pip-audit: exit $audit_rc"
[ "$bandit_rc" -eq 0 ] && [ "$audit_rc" -eq 0 ]
