"""Why the grammar stopped: Ollama's error text and a better one.

Lark reports where it stopped and which terminals it expected there; that tells us
which of Ollama's lexer states the fault is in (start of an instruction, parameter
name, message role, quoted value).  From there a short scan finds what Ollama would
say (``ModelfileError.ollama``, the exact text) and what the user needs to know
(``message``, ``hint``, line and column of the fault).

Codes (stable; see docs/rules.md):

    MF001 unknown instruction         MF005 unterminated quoted value
    MF002 invalid MESSAGE role        MF006 no FROM instruction
    MF003 invalid PARAMETER name      MF007 instruction not followed by a space
    MF004 missing value
"""

from __future__ import annotations

import difflib
import re

from lark import Token, Tree, UnexpectedInput

from modelfile.errors import ModelfileError
from modelfile.go.printable import INVISIBLE, describe, is_dropped, quote_visibly
from modelfile.grammars import lark_parser
from modelfile.source import Source

INVALID_COMMAND = (
    'command must be one of "from", "license", "template", "system", "adapter", "draft", '
    '"renderer", "parser", "parameter", "message", or "requires"'
)
INVALID_ROLE = 'message role must be one of "system", "user", or "assistant"'
UNEXPECTED_EOF = "unexpected EOF"
NO_FROM = "no FROM line"

KEYWORDS = (
    "FROM",
    "PARAMETER",
    "TEMPLATE",
    "SYSTEM",
    "ADAPTER",
    "LICENSE",
    "MESSAGE",
    "REQUIRES",
    "DRAFT",
    "RENDERER",
    "PARSER",
)
ROLES = ("system", "user", "assistant")
_LETTERS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")
_NAME_CHARS = _LETTERS | frozenset("0123456789_")
_BLANK = " \t"
_WORD = re.compile(r"[^ \t\r\n]*")

#: Words people write where an instruction belongs, and what they meant.
_RENAMED = {
    "PROMPT": "PROMPT was renamed TEMPLATE in 2023",
    "PARAMS": "the instruction is PARAMETER",
    "PARAM": "the instruction is PARAMETER",
    "EMBED": "EMBED was removed from Ollama in 2023",
    "COPY": "Modelfiles are not Dockerfiles: there is no COPY",
    "RUN": "Modelfiles are not Dockerfiles: there is no RUN",
}


def explain(error: UnexpectedInput, src: Source, masked: str) -> ModelfileError:
    """Turn Lark's stop into the error a user should see."""
    expected = set(getattr(error, "expected", None) or getattr(error, "allowed", None) or ())
    token = getattr(error, "token", None)
    at_end = token is not None and token.type == "$END"
    pos = len(masked) if at_end else (error.pos_in_stream or 0)
    if "KEYWORD" in expected:
        return _instruction(pos, src, masked)
    if "ROLE" in expected:
        return _role(pos, src, masked)
    if "PARAM_NAME" in expected or expected == {"_SEP"}:
        return _parameter_name(pos, src, masked)
    if "QUOTED" in expected:
        return _unterminated(pos, src, masked)
    return _error(src, pos, "MF001", f"unexpected {_show(src, pos)}", ollama=UNEXPECTED_EOF)


def missing_from(src: Source) -> ModelfileError:
    return ModelfileError(
        "no FROM instruction: a Modelfile must say which model it builds on",
        code="MF006",
        line=1,
        column=1,
        path=src.path,
        hint="add a line such as `FROM llama3.2` or `FROM ./model.gguf`",
        ollama=NO_FROM,
        source_line=src.line_text(1),
    )


def _instruction(pos: int, src: Source, m: str) -> ModelfileError:
    """Lark wanted an instruction word at ``pos`` (Ollama's NAME state)."""
    end = pos + 1
    while end < len(m) and m[end] in _LETTERS:
        end += 1
    ollama = UNEXPECTED_EOF if end == len(m) else f"(line {src.ollama_line(end)}): {INVALID_COMMAND}"
    word = m[pos:end].lstrip(INVISIBLE)
    start = pos + (1 if m[pos] == INVISIBLE else 0)
    if word.upper() in KEYWORDS:  # a good word followed by a newline, the end, or a bad character
        if end == len(m) or m[end] in "\r\n":
            return _error(
                src,
                start,
                "MF004",
                f"{word.upper()} has no value",
                ollama=ollama,
                end=end,
                hint=f'put the value on the same line: {word.upper()} <value>  (use """ … """ for several lines)',
            )
        return _error(
            src,
            end,
            "MF007",
            f"{word.upper()} must be followed by a space, found {_show(src, end)}",
            ollama=ollama,
            hint=f"write `{word.upper()} {m[end : end + 3].strip()}…`",
        )
    whole = _WORD.match(m, start).group()  # type: ignore[union-attr]
    return _error(
        src,
        start,
        "MF001",
        f"unknown instruction {_written(src, start, whole)}" if whole else f"unexpected {_show(src, start)}",
        ollama=ollama,
        end=start + len(whole),
        hint=_instruction_hint(whole, src, m, start),
    )


def _instruction_hint(whole: str, src: Source, m: str, start: int) -> str:
    from modelfile.parameters import PARAMETERS  # late: parameters is not needed to parse

    upper = whole.upper()
    if upper in _RENAMED:
        return _RENAMED[upper]
    if whole in PARAMETERS:
        rest = src.line_text(src.position(start).line).strip()
        return f"did you mean `PARAMETER {rest}`?"
    close = difflib.get_close_matches(upper, KEYWORDS, n=1, cutoff=0.6)
    if close:
        return f"did you mean {close[0]}?"
    closed = _closed_early(src, m, start)
    if closed:
        return closed
    if whole.startswith(("//", ";", "--")):
        return "comments start with # at the beginning of a line"
    if whole.startswith("```"):
        return "remove the Markdown code fence"
    return "instructions are " + ", ".join(KEYWORDS) + "; comments start with #"


def _closed_early(src: Source, m: str, start: int) -> str | None:
    """If a quoted value ended on the line above, say so: the usual cause of stray text."""
    line = src.position(start).line
    try:
        tree = lark_parser().parse(m[: src.line_start(line)])
    except Exception:  # noqa: BLE001 - the prefix is only a guess
        return None
    commands = [child for child in tree.children if isinstance(child, Tree)]
    if not commands:
        return None
    last = commands[-1].children[-1]
    if (
        not isinstance(last, Token)
        or last.type not in ("QUOTED", "TRIPLE_QUOTED")
        or not ("\n" in last or "\r" in last)
    ):
        return None
    quote = '"""' if last.type == "TRIPLE_QUOTED" else '"'
    opened = src.position(last.start_pos or 0).line
    closed = src.position(last.end_pos or 0).line
    return (
        f"the {quote} at the end of line {closed} closed the value opened on line {opened}; "
        f"a {quote}-quoted value cannot contain a line that ends with {quote}"
    )


def _role(pos: int, src: Source, m: str) -> ModelfileError:
    """Lark wanted a MESSAGE role at ``pos`` (Ollama's MSG state)."""
    end = pos
    while end < len(m) and m[end] in _LETTERS:
        end += 1
    role = m[pos:end]
    if end < len(m) and m[end] in _BLANK:
        ollama = f"(line {src.ollama_line(end)}): {INVALID_ROLE}"
        if not role:
            return _error(
                src,
                pos,
                "MF002",
                "MESSAGE has two separators before its role",
                ollama=ollama,
                hint="write one space: MESSAGE user …",
            )
        close = [r for r in ROLES if r == role.lower()] or difflib.get_close_matches(role, ROLES, n=1)
        hint = f"roles are lower case: did you mean {close[0]}?" if close else "roles are system, user and assistant"
        if role.lower() == "tool":
            hint = "Modelfile messages cannot use the tool role"
        return _error(src, pos, "MF002", f"invalid MESSAGE role {role!r}", ollama=ollama, end=end, hint=hint)
    ollama = UNEXPECTED_EOF if end == len(m) else f"{UNEXPECTED_EOF}: {role}"
    if end == len(m) or m[end] in "\r\n":
        what = f"MESSAGE {role} has no content" if role else "MESSAGE has no role"
        return _error(
            src,
            pos,
            "MF004",
            what,
            ollama=ollama,
            end=end,
            hint='write the content after the role on the same line (MESSAGE user "" for an empty one)',
        )
    return _error(
        src,
        end,
        "MF002",
        f"{_bad_character(src, end)} after MESSAGE role",
        ollama=ollama,
        hint="the role (system, user or assistant) must be followed by a space",
    )


def _parameter_name(pos: int, src: Source, m: str) -> ModelfileError:
    """Lark wanted a parameter name, or the separator after one (Ollama's PARAM state)."""
    start = pos
    while start > 0 and m[start - 1] in _NAME_CHARS:
        start -= 1
    name = m[start:pos]
    ollama = UNEXPECTED_EOF if pos == len(m) else f"{UNEXPECTED_EOF}: {name}"
    if pos == len(m) or m[pos] in "\r\n":
        what = f"PARAMETER {name} has no value" if name else "PARAMETER has no name"
        return _error(
            src,
            start,
            "MF004",
            what,
            ollama=ollama,
            end=pos,
            hint="write the name and the value on one line: PARAMETER temperature 0.7",
        )
    from modelfile.parameters import PARAMETERS, suggest_parameter

    whole = _WORD.match(m, start).group()  # type: ignore[union-attr]
    normal = whole.replace("-", "_").replace(".", "_")
    guess = normal if normal in PARAMETERS else suggest_parameter(normal)
    hint = "parameter names use only letters, digits and _"
    if guess:
        hint += f": did you mean {guess}?"
    return _error(
        src,
        pos,
        "MF003",
        f"{_bad_character(src, pos)} in PARAMETER name {_written(src, start, whole)}",
        ollama=ollama,
        hint=hint,
    )


def _unterminated(pos: int, src: Source, m: str) -> ModelfileError:
    """A quoted value at ``pos`` never closes (Ollama: a bare ``unexpected EOF``)."""
    opening = m.index('"', pos)
    quote = '"""' if m[opening:].replace(INVISIBLE, "").startswith('"""') else '"'
    first = src.position(opening).line
    hint = f"the value runs to the end of the file ({src.line_count - first + 1} lines); end its last line with {quote}"
    for line in range(first, src.line_count + 1):
        text = src.line_text(line)
        if line == first:
            text = text[src.position(opening).column - 1 + len(quote) :]
        if quote in text and not text.rstrip(" \t").endswith(quote):
            trailing = text[text.rindex(quote) + len(quote) :].strip()
            hint = (
                f"line {line} has {quote} followed by {trailing!r}: a quoted value ends only "
                f"where a line ends with {quote}, so that text keeps it open"
            )
            break
    return _error(
        src,
        opening,
        "MF005",
        f"the {quote} opened here is never closed: no later line ends with {quote}",
        ollama=UNEXPECTED_EOF,
        end=opening + len(quote),
        hint=hint,
    )


def _show(src: Source, pos: int) -> str:
    """What is at ``pos``, for "unexpected …" and "found …": ``'-'``, ``end of line``,
    ``invisible character U+00A0 NO-BREAK SPACE``."""
    if pos >= len(src.text):
        return "end of file"
    char = src.text[pos]
    if char in "\r\n":
        return "end of line"
    if is_dropped(char):
        return f"invisible character {describe(char)}"
    return repr(char)


def _bad_character(src: Source, pos: int) -> str:
    """A character that does not belong at ``pos``: ``invalid character '-'``, or the
    invisible character by name."""
    shown = _show(src, pos)
    return f"invalid character {shown}" if shown.startswith("'") or shown.startswith('"') else shown


def _written(src: Source, start: int, masked_word: str) -> str:
    """A word of the masked text as the file has it, quoted with invisible characters escaped."""
    return quote_visibly(src.text[start : start + len(masked_word)])


def _error(
    src: Source, pos: int, code: str, message: str, *, ollama: str, end: int | None = None, hint: str | None = None
) -> ModelfileError:
    at = src.position(pos)
    end_column = None
    if end is not None and end > pos:
        stop = src.position(end)
        end_column = stop.column if stop.line == at.line else None
    return ModelfileError(
        message,
        code=code,
        line=at.line,
        column=at.column,
        end_column=end_column,
        path=src.path,
        hint=hint,
        ollama=ollama,
        source_line=src.line_text(at.line),
    )
