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

import difflib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from modelfile.errors import EncodingError, MfcError, ModelfileError, NotTextError
from modelfile.files import check_text, read_text_file
from modelfile.go.decoding import decode, encode, encoding_of, round_trips
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


@dataclass(frozen=True)
class FormatResult:
    """A Modelfile and its canonical form: ``before``/``after`` as text, ``data`` as the
    bytes to write (in the file's own encoding), or ``error`` when it cannot be formatted
    (it does not parse, cannot be read, or is not valid in its encoding)."""

    path: str | None
    before: str
    after: str
    encoding: str = "utf-8"
    error: MfcError | None = None

    @property
    def changed(self) -> bool:
        return self.after != self.before

    @property
    def data(self) -> bytes:
        return encode(self.after, self.encoding)

    def diff(self) -> str:
        """A unified diff from the file to its canonical form ("" when unchanged)."""
        name = self.path or "<string>"
        lines = difflib.unified_diff(
            self.before.splitlines(keepends=True), self.after.splitlines(keepends=True), name, f"{name} (formatted)"
        )
        return "".join(lines)

    def to_dict(self, *, text: bool = False, diff: bool = False) -> dict[str, object]:
        """The result as ``mfc fmt --json`` prints it: ``path``, ``changed`` (the file
        was not in canonical form), ``error``; with ``text``, the canonical text (None
        with an error); with ``diff``, the unified diff.

        >>> import modelfile
        >>> modelfile.format_bytes(b"from x\\n", path="<stdin>").to_dict(text=True)
        {'path': '<stdin>', 'changed': True, 'error': None, 'text': 'FROM x\\n'}
        """
        record: dict[str, object] = {
            "path": self.path,
            "changed": self.changed,
            "error": self.error.to_dict() if self.error else None,
        }
        if text:
            record["text"] = None if self.error is not None else self.after
        if diff:
            record["diff"] = self.diff()
        return record

    @staticmethod
    def summary(results: Sequence[FormatResult]) -> str:
        """What ``mfc fmt`` says once it has rewritten files: how many were reformatted,
        left unchanged, and not formatted because of an error (never counted unchanged).

        >>> same, fixed = FormatResult("a", "FROM x\\n", "FROM x\\n"), FormatResult("b", "from x\\n", "FROM x\\n")
        >>> broken = FormatResult("c", "FROM x\\nPARAMTER a\\n", "FROM x\\nPARAMTER a\\n", error=MfcError("MF001"))
        >>> FormatResult.summary([same, fixed, broken])
        '1 file(s) reformatted, 1 unchanged, 1 not formatted (error above)'
        """
        failed = sum(r.error is not None for r in results)
        changed = sum(r.changed and r.error is None for r in results)
        text = f"{changed} file(s) reformatted, {len(results) - changed - failed} unchanged"
        return text + (f", {failed} not formatted (error{'s' if failed > 1 else ''} above)" if failed else "")


def format_bytes(data: bytes, *, path: str | None = None) -> FormatResult:
    """Modelfile bytes in canonical form (``format_modelfile``), keeping their encoding.

    Problems come back in ``error``, not raised, so that a tool formatting many files
    reports each: a syntax error (a ``ModelfileError``), or bytes that are not valid in
    their encoding (``EncodingError``: rewriting them would change what Ollama reads).

    >>> import modelfile
    >>> result = modelfile.format_bytes(b"from llama3.2\\nparameter temperature   0.7\\n")
    >>> result.changed, result.data
    (True, b'FROM llama3.2\\nPARAMETER temperature 0.7\\n')
    >>> print(result.diff(), end="")
    --- <string>
    +++ <string> (formatted)
    @@ -1,2 +1,2 @@
    -from llama3.2
    -parameter temperature   0.7
    +FROM llama3.2
    +PARAMETER temperature 0.7
    >>> modelfile.format_bytes(b"FROM x\\nPARAMTER temperature 0.7\\n").error.code  # a syntax error
    'MF001'
    """
    try:
        check_text(data, path=path)  # weights given by mistake: refused at once
        modelfile = parse(data, path=path)
    except ModelfileError as error:
        return FormatResult(path, "", "", error=error)
    encoding = encoding_of(data)
    before = decode(data)
    if not round_trips(data):
        message = f"{path or '<string>'}: not formatted: the file is not valid {encoding} (see mfc lint, MF507)"
        return FormatResult(path, before, before, encoding, EncodingError(message))
    return FormatResult(path, before, format_modelfile(modelfile), encoding)


def format_file(path: str | os.PathLike[str], *, write: bool = True) -> FormatResult:
    """``format_bytes`` for the Modelfile at ``path``, written back in place when it
    changed (unless ``write`` is false).  An unreadable file is an ``error`` (MF000).

    >>> import modelfile, tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "Modelfile"
    >>> _ = path.write_bytes(b"\\xff\\xfe" + "from x\\n".encode("utf-16-le"))  # UTF-16 with its BOM
    >>> modelfile.format_file(path).changed, path.read_bytes() == b"\\xff\\xfe" + "FROM x\\n".encode("utf-16-le")
    (True, True)
    >>> modelfile.format_file(path.parent / "missing").error.code
    'MF000'
    """
    name = os.fspath(path)
    try:
        data = read_text_file(name)
    except NotTextError as error:
        return FormatResult(name, "", "", error=error)
    except OSError as error:
        unreadable = ModelfileError(f"cannot read Modelfile: {error.strerror or error}", code="MF000", path=name)
        return FormatResult(name, "", "", error=unreadable)
    result = format_bytes(data, path=name)
    if write and result.changed and result.error is None:
        Path(name).write_bytes(result.data)
    return result


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
