"""SARIF 2.1.0, for GitHub code scanning and other static-analysis dashboards."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.registry import BY_CODE

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
_LEVELS = {Severity.ERROR: "error", Severity.WARNING: "warning", Severity.INFO: "note"}


def _version() -> str:
    # imported here: package metadata costs every ``mfc lint`` ~20 ms, and only SARIF needs it
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mfc")
    except PackageNotFoundError:
        return "0+unknown"


def render(diagnostics: Sequence[Diagnostic], *, files: int, color: bool = False) -> str:
    codes = sorted({d.code for d in diagnostics})
    index = {code: i for i, code in enumerate(codes)}
    rules = [_rule(code) for code in codes]
    results = [_result(d, index[d.code]) for d in diagnostics]
    log = {
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [
            {
                "tool": {
                    "driver": {
                        "name": "mfc",
                        "informationUri": "https://github.com/mfc-dev/mfc",
                        "version": _version(),
                        "rules": rules,
                    }
                },
                "results": results,
            }
        ],
    }
    return json.dumps(log, indent=2, ensure_ascii=False) + "\n"


def _rule(code: str) -> dict[str, Any]:
    rule = BY_CODE.get(code)
    if rule is None:
        return {"id": code}
    return {
        "id": code,
        "name": rule.name,
        "shortDescription": {"text": rule.summary()},
        "fullDescription": {"text": (rule.__doc__ or "").strip()},
        "helpUri": f"https://github.com/mfc-dev/mfc/blob/main/docs/rules.md#{code.lower()}",
        "defaultConfiguration": {"level": _LEVELS[rule.severity]},
    }


def _result(d: Diagnostic, rule_index: int) -> dict[str, Any]:
    message = d.message + (f" ({d.hint})" if d.hint else "")
    return {
        "ruleId": d.code,
        "ruleIndex": rule_index,
        "level": _LEVELS[d.severity],
        "message": {"text": message},
        "locations": [
            {
                "physicalLocation": {
                    "artifactLocation": {"uri": (d.path or "stdin").replace("\\", "/")},
                    "region": {
                        "startLine": d.line,
                        "startColumn": d.column,
                        "endLine": d.end_line,
                        "endColumn": max(d.end_column, d.column + 1) if d.end_line == d.line else d.end_column,
                    },
                }
            }
        ],
    }
