from __future__ import annotations

from modelfile.linter.diagnostic import Severity
from modelfile.linter.rule import Rule


class InvalidPragma(Rule):
    """## What it does
    Reports a `# mfc:` comment that is not a valid suppression, or that names rule
    codes (or rule names) mfc does not have.  (The linter itself reads pragmas; see
    `modelfile/linter/pragmas.py`.)  On the command line and in `pyproject.toml` an
    unknown code is an error instead, since it would turn checks off.

    ## Why is this bad?
    A misspelt suppression suppresses nothing, and the finding it was meant to hide
    reappears without explanation.

    ## Example
    ```modelfile
    # mfc: ignore[MF999]
    FROM llama3.2
    ```

    ## Use instead
    ```modelfile
    # mfc: ignore[MF105]
    FROM llama3.2
    ```
    """

    code, name, severity = "MF901", "invalid-pragma", Severity.WARNING
