"""CI: check the installed (pinned) dependencies against known advisories with pip-audit.

Any advisory fails the run unless `.ci/audit-ignore.txt` lists its id with a reason. When no advisory
source can be reached (pip-audit then skips every package), the run says so plainly instead of
reporting a clean result it never checked.
"""

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
IGNORE_FILE = ROOT / ".ci" / "audit-ignore.txt"


def ignored() -> dict[str, str]:
    reasons: dict[str, str] = {}
    if IGNORE_FILE.exists():
        for line in IGNORE_FILE.read_text().splitlines():
            line = line.strip()
            if not line or line.startswith("#"):
                continue
            advisory, _, reason = line.partition(" ")
            if not reason.strip():
                sys.exit(f"{IGNORE_FILE}: {advisory} is listed without a reason")
            reasons[advisory] = reason.strip()
    return reasons


def main() -> int:
    pip_audit = Path(sys.executable).parent / "pip-audit"
    result = subprocess.run(
        [str(pip_audit), "--skip-editable", "--progress-spinner", "off", "--format", "json"],
        capture_output=True,
        text=True,
        check=False,
    )
    try:
        report = json.loads(result.stdout)
    except ValueError:
        print(result.stdout, result.stderr, sep="\n")
        return 1
    allowed = ignored()
    dependencies = report.get("dependencies", [])
    skipped = [item for item in dependencies if item.get("skip_reason")]
    failing = []
    for item in dependencies:
        for vulnerability in item.get("vulns", []):
            ids = {vulnerability.get("id"), *vulnerability.get("aliases", [])}
            if ids & set(allowed):
                print(f"allowed: {item['name']} {item['version']} {vulnerability.get('id')}")
                continue
            fix = vulnerability.get("fix_versions")
            failing.append(f"{item['name']} {item['version']}: {vulnerability.get('id')} (fix: {fix})")
    audited = len(dependencies) - len(skipped)
    print(f"dependency audit: {audited} of {len(dependencies)} packages checked, {len(failing)} advisories")
    if skipped and not audited:
        print("WARNING: no advisory database was reachable from this machine; nothing could be checked.")
    for line in failing:
        print(f"ADVISORY {line}")
    return 1 if failing else 0


if __name__ == "__main__":
    sys.exit(main())
