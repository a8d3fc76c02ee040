"""Syntax errors: what Ollama's parser rejects.  The parser raises them (see
``modelfile/syntax_errors.py``); these classes carry their codes and documentation."""

from __future__ import annotations

from modelfile.linter.diagnostic import Severity
from modelfile.linter.rule import Rule


class UnreadableFile(Rule):
    """## What it does
    Reports a Modelfile that cannot be read at all, or that is not text: GGUF or
    safetensors weights, or anything with a NUL character in its first 8 KB.

    ## Why is this bad?
    Nothing can be checked or built from a file that cannot be opened, and a binary
    file given where a Modelfile belongs is a mistake (it is refused at once rather
    than parsed as thousands of unknown instructions).

    ## Example
    A path that names a folder, a file without read permission, or `model.gguf`.

    ## Use instead
    A readable file.
    """

    code, name, severity = "MF000", "unreadable-file", Severity.ERROR


class UnknownInstruction(Rule):
    """## What it does
    Reports a line that does not start with one of Ollama's instructions: FROM,
    PARAMETER, TEMPLATE, SYSTEM, ADAPTER, LICENSE, MESSAGE, REQUIRES, DRAFT, RENDERER,
    PARSER (in any case).

    ## Why is this bad?
    Ollama refuses the whole file (`command must be one of ...`).  Typos, the old
    `PROMPT` instruction, `//` comments, Markdown fences and parameter lines without
    `PARAMETER` are the usual causes; so is a quoted value that closed earlier than
    intended, leaving its remaining lines to be read as instructions.

    ## Example
    ```modelfile
    FROM llama3.2
    PARAMTER temperature 0.2
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    PARAMETER temperature 0.2
    ```
    """

    code, name, severity = "MF001", "unknown-instruction", Severity.ERROR


class InvalidMessageRole(Rule):
    """## What it does
    Reports a MESSAGE whose role is not exactly `system`, `user` or `assistant`.

    ## Why is this bad?
    Ollama refuses the file.  Roles are case-sensitive (`User` is rejected) and the
    `tool` role is not available in Modelfiles.

    ## Example
    ```modelfile
    FROM llama3.2
    MESSAGE User Hello!
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    MESSAGE user Hello!
    ```
    """

    code, name, severity = "MF002", "invalid-message-role", Severity.ERROR


class InvalidParameterName(Rule):
    """## What it does
    Reports a PARAMETER name with a character other than letters, digits and `_`.

    ## Why is this bad?
    Ollama refuses the file, with the puzzling message `unexpected EOF: <name>`.

    ## Example
    ```modelfile
    FROM llama3.2
    PARAMETER top-k 20
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    PARAMETER top_k 20
    ```
    """

    code, name, severity = "MF003", "invalid-parameter-name", Severity.ERROR


class MissingValue(Rule):
    """## What it does
    Reports an instruction, parameter name or message role with nothing after it on
    its line.

    ## Why is this bad?
    Ollama refuses the file.  A value must start on the instruction's own line; use
    `\"\"\"` to continue it over several lines.

    ## Example
    ```modelfile
    FROM llama3.2
    SYSTEM
    You are a helpful assistant.
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    SYSTEM \"\"\"
    You are a helpful assistant.
    \"\"\"
    ```
    """

    code, name, severity = "MF004", "missing-value", Severity.ERROR


class UnterminatedQuote(Rule):
    """## What it does
    Reports a `"` or `\"\"\"` value that no later line closes.

    ## Why is this bad?
    Ollama refuses the file with a bare `unexpected EOF`.  A quoted value ends only at
    a line that *ends* with the closing quote: text after the quote (a comment, a
    second quote) keeps the value open until the end of the file.

    ## Example
    ```modelfile
    FROM llama3.2
    PARAMETER stop "User:
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    PARAMETER stop "User:"
    ```
    """

    code, name, severity = "MF005", "unterminated-quote", Severity.ERROR


class MissingFrom(Rule):
    """## What it does
    Reports a Modelfile with no FROM instruction.

    ## Why is this bad?
    Ollama refuses it (`no FROM line`): every model is built on a base model or on
    weights.

    ## Example
    ```modelfile
    SYSTEM You are Mario.
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    SYSTEM You are Mario.
    ```
    """

    code, name, severity = "MF006", "missing-from", Severity.ERROR


class InstructionWithoutSpace(Rule):
    """## What it does
    Reports an instruction followed directly by something other than a space or tab.

    ## Why is this bad?
    Ollama refuses the file: `SYSTEM\"\"\"` is read as an unknown instruction.

    ## Example
    ```modelfile
    FROM llama3.2
    SYSTEM\"\"\"You are Mario.\"\"\"
    ```

    ## Use instead
    ```modelfile
    FROM llama3.2
    SYSTEM \"\"\"You are Mario.\"\"\"
    ```
    """

    code, name, severity = "MF007", "instruction-without-space", Severity.ERROR
