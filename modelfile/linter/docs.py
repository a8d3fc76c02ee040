"""Generate ``docs/rules.md`` from the rules' docstrings, so the docs cannot drift.

python -m modelfile.linter.docs > docs/rules.md
"""

from __future__ import annotations

import re
import textwrap

from modelfile.linter.registry import RULES
from modelfile.linter.rule import Rule

_FENCE = re.compile(r"^## (?P<section>[^\n]+)\n(?P<body>.*?)(?=^## |\Z)", re.S | re.M)


def doc_of(rule: type[Rule]) -> str:
    """The rule's docstring, dedented."""
    first, _, rest = (rule.__doc__ or "").partition("\n")
    return (first.strip() + "\n" + textwrap.dedent(rest)).strip()


def sections(rule: type[Rule]) -> dict[str, str]:
    """``{"What it does": ..., "Example": ...}`` from the docstring."""
    return {m.group("section").strip(): m.group("body").strip() for m in _FENCE.finditer(doc_of(rule))}


def examples(rule: type[Rule]) -> tuple[str | None, str | None]:
    """The ```modelfile blocks of "Example" and "Use instead" (``None`` when absent)."""
    found = sections(rule)

    def block(name: str) -> str | None:
        match = re.search(r"```modelfile\n(.*?)```", found.get(name, ""), re.S)
        return match.group(1) if match else None

    return block("Example"), block("Use instead")


def render() -> str:
    out = [
        "# mfc lint rules",
        "",
        "Generated from the rules' docstrings by `python -m modelfile.linter.docs`; do not edit.",
        "`mfc rule CODE` prints one of them.  Severity `error` means Ollama would refuse the file",
        "(`ollama create` fails); `warning`, that Ollama accepts it but probably not as meant;",
        "`info`, a matter of clarity.  Codes never change meaning.",
        "",
        "| code | name | severity | what it reports |",
        "|---|---|---|---|",
    ]
    for rule in RULES:
        off = " (off by default)" if not rule.default else ""
        anchor = rule.code.lower()
        out.append(f"| [{rule.code}](#{anchor}) | {rule.name} | {rule.severity.value}{off} | {rule.summary()} |")
    for rule in RULES:
        out += ["", f"## {rule.code}", "", f"`{rule.name}`, {rule.severity.value}", ""]
        body = doc_of(rule).replace("\n## ", "\n### ").replace("\r", "␍")  # show CRs of CRLF examples
        out.append(body if not body.startswith("## ") else "#" + body)
    return "\n".join(out) + "\n"


if __name__ == "__main__":
    print(render(), end="")
