from __future__ import annotations

from collections.abc import Iterator

from modelfile.go.semver import ollama_requires_valid
from modelfile.ir import Requires
from modelfile.linter.diagnostic import Diagnostic, Severity
from modelfile.linter.rule import LintContext, Rule


class RequiresNotSemver(Rule):
    """## What it does
    Reports a REQUIRES value that is not a semantic version as Ollama checks it
    (`0.14.0`, `0.14`, `v0.14.0`, `0.14.0-rc1`; not `latest`, `0.14-rc1`, `01.2.3`).

    ## Why is this bad?
    `ollama create` stops at it: `requires must be a valid semver (e.g. 0.14.0)`.

    ## Example
    ```modelfile
    FROM llama3.2
    REQUIRES latest
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    REQUIRES 0.14.0
    ```
    """

    code, name, severity = "MF305", "requires-not-semver", Severity.ERROR

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.of_type(Requires):
            if not ollama_requires_valid(command.args):
                yield ctx.report(
                    self,
                    command.value.span,
                    "requires must be a valid semver (e.g. 0.14.0)",
                    hint=f"{command.args!r} is not MAJOR[.MINOR[.PATCH[-PRERELEASE]]]",
                )
