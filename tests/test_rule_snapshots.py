"""The text report of each rule's documented example, as a reviewed snapshot."""

from __future__ import annotations

from pathlib import Path

import pytest
from syrupy.assertion import SnapshotAssertion
from test_lint_rules import DOCUMENTED, prepare

from modelfile.linter import LintConfig, lint_bytes
from modelfile.linter.docs import examples
from modelfile.linter.report import render


@pytest.mark.parametrize("rule", DOCUMENTED, ids=lambda r: r.code)
def test_rule_report(rule: type, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, snapshot: SnapshotAssertion) -> None:
    monkeypatch.chdir(tmp_path)
    prepare(rule, tmp_path)
    bad, _ = examples(rule)
    assert bad is not None
    found = [
        d for d in lint_bytes(bad.encode(), path="Modelfile", config=LintConfig(select=("ALL",))) if d.code == rule.code
    ]
    assert render("text", found, files=1) == snapshot
