"""``mfc lint`` on the real-world corpus: an error at the right line for every file
Ollama rejects or fails to create, and no error on a file it accepts and creates."""

from __future__ import annotations

from typing import Any

import pytest
from vectors import corpus_dir, params

from modelfile.linter import Severity, lint

#: Where the fault of each file Ollama rejects is, as a person reading it would say.
#: (Ollama's own numbers agree except for 031, where it names the line after the
#: stray word; 030's unterminated quote is reported where it opens.)
REJECTED_AT = {"029": 38, "030": 14, "031": 18, "036": 15, "053": 2, "054": 4, "105": 5, "112": 1}


@pytest.mark.parametrize("entry", params("parser/corpus/EXPECTED.json", ident=lambda e: e["file"][:3]))
def test_lint_verdict_matches_ollama(entry: dict[str, Any]) -> None:
    folder = corpus_dir()
    assert folder is not None
    path = folder / entry["file"]
    errors = [d for d in lint(path) if d.severity is Severity.ERROR]
    number = entry["file"][:3]
    if entry["parse"] == "error":
        syntax = [d for d in errors if d.code.startswith("MF0")]
        assert syntax, errors
        assert syntax[0].line == REJECTED_AT[number]
    elif entry.get("create_request_errors"):
        lines = path.read_text(encoding="utf-8", errors="replace").splitlines()
        for message in entry["create_request_errors"]:
            matching = [d for d in errors if d.message == message]
            assert matching, f"no error says {message!r}: {errors}"
            name = matching[0].source_line or ""
            assert lines[matching[0].line - 1] == name and name.lstrip().startswith("PARAMETER")
    else:
        assert errors == []


def test_quoting_rules_quiet_on_the_corpus() -> None:
    """No real-world file writes several stops on a line or single-quoted values: the
    quoting rules (MF508, MF509) must not fire on any of them."""
    folder = corpus_dir()
    if folder is None:
        pytest.skip("no parser corpus")
    found = [
        (p.name, d.code) for p in sorted(folder.glob("*.Modelfile")) for d in lint(p) if d.code in {"MF508", "MF509"}
    ]
    assert found == []
