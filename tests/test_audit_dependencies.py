import json
import subprocess
import sys
from pathlib import Path

import pytest

from scripts import audit_dependencies


def _fake_report(monkeypatch, report: dict) -> None:
    def run(*args, **kwargs):
        return subprocess.CompletedProcess(args, 0, stdout=json.dumps(report), stderr="")

    monkeypatch.setattr(audit_dependencies.subprocess, "run", run)


def test_an_advisory_fails_unless_listed(monkeypatch, tmp_path, capsys):
    report = {
        "dependencies": [
            {
                "name": "django",
                "version": "5.2.0",
                "vulns": [{"id": "PYSEC-1", "aliases": ["CVE-1"], "fix_versions": ["5.2.1"]}],
            },
            {"name": "requests", "version": "2.0", "vulns": []},
        ]
    }
    _fake_report(monkeypatch, report)
    ignore = tmp_path / "ignore.txt"
    monkeypatch.setattr(audit_dependencies, "IGNORE_FILE", ignore)
    assert audit_dependencies.main() == 1
    assert "ADVISORY django 5.2.0: PYSEC-1" in capsys.readouterr().out
    ignore.write_text("CVE-1 not reachable: we never call the affected view\n")
    assert audit_dependencies.main() == 0
    ignore.write_text("CVE-1\n")
    with pytest.raises(SystemExit):
        audit_dependencies.main()


def test_unreachable_advisory_source_is_said_plainly(monkeypatch, capsys, tmp_path):
    monkeypatch.setattr(audit_dependencies, "IGNORE_FILE", tmp_path / "none.txt")
    _fake_report(
        monkeypatch, {"dependencies": [{"name": "django", "version": "5.2", "skip_reason": "not found"}]}
    )
    assert audit_dependencies.main() == 0
    assert "0 of 1 packages checked" in capsys.readouterr().out


def test_ci_runs_the_audit():
    assert (
        "scripts/audit_dependencies.py"
        in (Path(__file__).resolve().parent.parent / ".ci" / "run").read_text()
    )
    assert sys.executable
