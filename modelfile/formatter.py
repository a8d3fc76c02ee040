"""IR -> canonical Modelfile text.

Canonical means: keywords in upper case, one space between the parts of an
instruction, no indentation, comments kept where they were, runs of blank lines cut
to one, one line end after the last line, and the file's own line-end style.

Quoting keeps the author's choice where it is sound (a one-line ``"…"`` stop
sequence, a ``\"\"\"…\"\"\"`` prompt stay as written) and otherwise takes the plainest
spelling that reads back as the same value: bare when it can be, ``"…"`` for one line
with edge spaces, ``\"\"\"…\"\"\"`` for several lines (never a multi-line ``"…"``, which
one lost quote turns into a different file).  Every spelling is checked by parsing
it back, so ``parse(format(m))`` has the commands of ``m``, and since the output's
quoting is again sound, ``format`` is idempotent.
"""

from __future__ import annotations

from modelfile.errors import ModelfileError
from modelfile.ir import Command, Comment, Message, Modelfile, Parameter, Quoting
from modelfile.parser import parse

_EDGES = (" ", "\t")


def format_modelfile(modelfile: Modelfile) -> str:
    """The canonical text of ``modelfile``."""
    newline = _line_end(modelfile)
    statements: list[Command | Comment] = sorted(
        [*modelfile.commands, *modelfile.comments], key=lambda item: item.span.start.offset
    )
    out: list[str] = []
    previous_end = 0
    for statement in statements:
        if out and statement.span.start.line > previous_end + 1:
            out.append("")
        out.append(statement.text.rstrip(" \t") if isinstance(statement, Comment) else render_command(statement))
        previous_end = statement.span.end.line
    return newline.join(out) + newline if out else ""


def render_command(command: Command) -> str:
    """One instruction in canonical form."""
    value = quote_value(command.value.text, command.value.quoting)
    if isinstance(command, Parameter):
        return f"PARAMETER {command.param} {value}"
    if isinstance(command, Message):
        return f"MESSAGE {command.role} {value}"
    return f"{command.KEYWORD} {value}"


def quote_value(text: str, written: Quoting = Quoting.BARE) -> str:
    """How to spell ``text`` so that Ollama reads it back, preferring how it was ``written``."""
    one_line = "\n" not in text and "\r" not in text
    candidates = []
    if written is Quoting.TRIPLE:
        candidates.append(f'"""{text}"""')
    elif written is Quoting.DOUBLE and one_line:
        candidates.append(f'"{text}"')
    bare = one_line and text and not text.startswith(('"', *_EDGES)) and not text.endswith(_EDGES)
    if bare and not candidates:
        return text  # one line, read to its end and trimmed: always reads back
    if bare:
        candidates.append(text)
    if one_line:
        candidates.append(f'"{text}"')
    candidates += [f'"""{text}"""', f'"{text}"']
    for candidate in candidates:
        if _reads_back(candidate, text):
            return candidate
    raise ValueError(f"no Modelfile spelling reads back as {text!r}")


def _reads_back(candidate: str, text: str) -> bool:
    try:
        probe = parse(f"SYSTEM {candidate}\nFROM x\n")
    except ModelfileError:
        return False
    return probe.ollama_commands() == [("system", text), ("model", "x")]


def _line_end(modelfile: Modelfile) -> str:
    """The line end after the first instruction or comment in the source."""
    if modelfile.source is None or not (modelfile.commands or modelfile.comments):
        return "\n"
    statements: list[Command | Comment] = [*modelfile.commands, *modelfile.comments]
    first = min(statements, key=lambda item: item.span.start.offset)
    after = modelfile.source.text[first.span.end.offset : first.span.end.offset + 2]
    return "\r\n" if after == "\r\n" else "\n"
