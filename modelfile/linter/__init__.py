"""The Modelfile linter: stable rule codes, pragmas, configuration, report formats."""

from __future__ import annotations

from modelfile.linter.config import ConfigError, LintConfig, find_config
from modelfile.linter.diagnostic import Diagnostic, Edit, Fix, Severity
from modelfile.linter.engine import lint, lint_bytes
from modelfile.linter.registry import RULES, UnknownRuleError, find_rule, resolve_selectors
from modelfile.linter.rule import Rule

__all__ = [
    "RULES",
    "ConfigError",
    "Diagnostic",
    "Edit",
    "Fix",
    "LintConfig",
    "Rule",
    "Severity",
    "UnknownRuleError",
    "find_config",
    "find_rule",
    "lint",
    "lint_bytes",
    "resolve_selectors",
]
