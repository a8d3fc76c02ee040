from __future__ import annotations

from collections.abc import Iterator

from modelfile.ir import From, Quoting
from modelfile.linter.diagnostic import Diagnostic, Edit, Fix, Severity
from modelfile.linter.rule import LintContext, Rule
from modelfile.paths import looks_like_path
from modelfile.weights import Kind

_EXPLICIT = ("/", "./", "../", "~", "\\", ".\\", "..\\")


class AmbiguousFrom(Rule):
    """## What it does
    Reports a FROM that Ollama reads as a path although it is written like a name:
    a relative file path without `./` (`FROM models/x.gguf`), or a model name that
    matches a file or folder next to the Modelfile (`FROM llama3` with `./llama3`
    present).

    ## Why is this bad?
    Ollama tries every FROM value as a path relative to the Modelfile's folder first
    (not the working directory).  `FROM llama3` silently imports a local folder named
    `llama3` instead of the `llama3` model, and `FROM models/x.gguf` reads like a
    registry name.  Writing `./` makes the intent visible.

    ## Example
    ```modelfile
    FROM model.gguf
    ```

    ## Use instead
    ```modelfile
    FROM ./model.gguf
    ```
    """

    code, name, severity = "MF105", "ambiguous-from", Severity.INFO
    example_files = {"model.gguf": b"GGUF\x03\x00\x00\x00" + bytes(16)}

    def check(self, ctx: LintContext) -> Iterator[Diagnostic]:
        for command in ctx.modelfile.of_type(From):
            value = command.args
            if value in ("", ".", "..") or value.startswith(_EXPLICIT) or ":" in value[:3]:
                continue
            weights = ctx.weights(value)
            if weights is None or weights.kind in (Kind.MISSING, Kind.UNREADABLE):
                continue  # a missing or unreadable path is MF103's finding
            fix = None
            if command.value.quoting is Quoting.BARE:
                start = ctx.value_start(command)
                fix = Fix(f"write ./{value}", (Edit(start, start, "./"),), safe=True)
            message = (
                f"{value!r} is read as a path relative to the Modelfile's folder"
                if looks_like_path(value)
                else f"{value!r} is a file or folder next to the Modelfile, so Ollama imports it instead of a model"
            )
            yield ctx.report(self, command.value.span, message, hint=f"write FROM ./{value} to say so", fix=fix)
