"""``mfc rule``: the lint rules of ``modelfile.linter`` and their documentation."""

from __future__ import annotations

import click

from builder.cli.options import echo_json, json_option
from modelfile.linter import RULES, find_rule


@click.command("rule")
@click.argument("code", required=False)
@json_option
def rule_command(code: str | None, as_json: bool) -> None:
    """Explain the lint rule CODE (or name), or list every rule.

    Exit status: 0 explained, 2 no rule CODE (a usage error).
    """
    if code is None:
        rows = [
            {"code": r.code, "name": r.name, "severity": r.severity.value, "default": r.default, "summary": r.summary()}
            for r in RULES
        ]
        if as_json:
            echo_json({"ok": True, "rules": rows})
            return
        for row in rows:
            off = "" if row["default"] else " (off by default)"
            click.echo(f"{row['code']}  {row['name']:<28} {row['severity']:<8} {row['summary']}{off}")
        return
    rule = find_rule(code)
    if rule is None:
        raise click.BadParameter(f"no rule {code!r}; `mfc rule` lists them", param_hint="CODE")
    if as_json:
        echo_json(
            {"ok": True, "code": rule.code, "name": rule.name, "severity": rule.severity.value, "doc": rule.__doc__}
        )
        return
    click.echo(f"{rule.code} {rule.name} ({rule.severity.value})\n")
    click.echo(_dedent(rule.__doc__ or ""))


def _dedent(doc: str) -> str:
    import textwrap

    first, _, rest = doc.partition("\n")
    return (first.strip() + "\n" + textwrap.dedent(rest)).strip() + "\n"
