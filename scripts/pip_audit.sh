#!/usr/bin/env bash
# Dependency advisories with pip-audit, read from its JSON report so that "could not be
# audited" is never mistaken for "clean".
#
# pip-audit asks PyPI's JSON API (or OSV) about every resolved package. When that service
# cannot be reached, it marks each package "Dependency not found on PyPI and could not be
# audited", prints "No known vulnerabilities found" and exits 0. This script prints how many
# packages were really audited and how many were skipped, lists every vulnerability found, and
#   exits 1 when a vulnerability is found, or when pip-audit fails without a report;
#   exits 1 when a package was skipped too, if PIP_AUDIT_STRICT=1 (CI with network access);
#   exits 0 otherwise (skips are printed, not failed: offline machines cannot audit).
#
# usage: scripts/pip_audit.sh [pip-audit arguments]
#        (default: -r requirements/base.txt -r requirements/dev.txt)
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $# -eq 0 ]]; then
    set -- -r requirements/base.txt -r requirements/dev.txt
fi

report=$(mktemp)
errors=$(mktemp)
trap 'rm -f "$report" "$errors"' EXIT

status=0
pip-audit "$@" --progress-spinner off --format json --output "$report" 2>"$errors" || status=$?

python - "$report" "$errors" "$status" "${PIP_AUDIT_STRICT:-0}" <<'PY'
import json
import sys

report_path, errors_path, status, strict = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4] == "1"
errors = open(errors_path, encoding="utf-8", errors="replace").read().strip()

try:
    with open(report_path, encoding="utf-8") as f:
        dependencies = json.load(f)["dependencies"]
except (OSError, ValueError, KeyError, TypeError):
    print("\n".join(errors.splitlines()[-20:]), file=sys.stderr)
    print(f"pip-audit: FAILED (exit {status}) without a report: nothing was audited", file=sys.stderr)
    sys.exit(1)

skipped = [d for d in dependencies if "skip_reason" in d]
audited = [d for d in dependencies if "skip_reason" not in d]
vulnerable = [d for d in audited if d.get("vulns")]
vulns = sum(len(d["vulns"]) for d in vulnerable)

for dep in vulnerable:
    for vuln in dep["vulns"]:
        fixes = ", ".join(vuln.get("fix_versions") or []) or "none"
        aliases = ", ".join(vuln.get("aliases") or [])
        print(f"  VULNERABLE {dep['name']} {dep.get('version', '?')}: {vuln['id']}"
              + (f" ({aliases})" if aliases else "") + f", fixed in: {fixes}")

if skipped and len(skipped) == len(dependencies):
    why = "advisory service unreachable"
elif skipped:
    # Some were audited, so the service answered: these are packages it does not know
    # (local or private ones) or could not resolve.
    why = "not auditable: " + ", ".join(sorted(d["name"] for d in skipped))
else:
    why = "none"
line = f"pip-audit: {len(audited)} of {len(dependencies)} packages audited, {len(skipped)} skipped ({why})"
line += f"; {vulns} known vulnerabilities in {len(vulnerable)} packages" if audited else "; NOT AUDITED, not clean"
print(line)

if vulnerable:
    sys.exit(1)
if status not in (0, 1):  # 1 is pip-audit's "vulnerabilities found", handled above from the report
    print("\n".join(errors.splitlines()[-20:]), file=sys.stderr)
    print(f"pip-audit: FAILED (exit {status})", file=sys.stderr)
    sys.exit(1)
if status == 1:
    print("pip-audit: exit 1 but no vulnerability in its report:", file=sys.stderr)
    print("\n".join(errors.splitlines()[-20:]), file=sys.stderr)
    sys.exit(1)
if skipped and strict:
    print("pip-audit: PIP_AUDIT_STRICT=1 and packages were skipped", file=sys.stderr)
    sys.exit(1)
PY
