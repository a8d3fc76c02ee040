"""Fixing Modelfiles: the edits of lint fixes applied to the text, the result written
back in the file's own encoding, and what is left linted again (``mfc lint --fix``)."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from modelfile.errors import EncodingError, MfcError, NotTextError
from modelfile.files import read_text_file
from modelfile.go.decoding import decode, encode, encoding_of, round_trips
from modelfile.linter.config import LintConfig
from modelfile.linter.diagnostic import Diagnostic, Edit
from modelfile.linter.engine import lint, lint_bytes


@dataclass(frozen=True)
class FixResult:
    """What fixing a Modelfile did: its bytes afterwards, how many fixes were applied,
    the diagnostics left, and (``error``) why it was left untouched, if it was."""

    path: str | None
    data: bytes  # the fixed bytes; the input's when nothing was applied
    applied: int
    diagnostics: tuple[Diagnostic, ...]  # what the fixed bytes still get
    error: MfcError | None = None

    @property
    def changed(self) -> bool:
        return self.applied > 0


def fix(
    data: bytes,
    *,
    path: str | None = None,
    unsafe: bool = False,
    config: LintConfig | None = None,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
) -> FixResult:
    """Lint Modelfile bytes, apply every safe fix (every fix, with ``unsafe``) in one
    round, re-encode the text as it was encoded (BOM, UTF-16) and lint the result.

    ``path`` places the content, as for ``lint_bytes``.  Bytes that are not valid in
    their encoding are never rewritten: ``error`` says so.

    >>> import modelfile
    >>> result = modelfile.fix("FROM llama3.2\\nSYSTEM Be\\u200b brief.\\n".encode())  # an invisible space
    >>> result.applied, result.data
    (1, b'FROM llama3.2\\nSYSTEM Be brief.\\n')
    >>> result.diagnostics
    ()
    """
    found = lint_bytes(data, path=path, config=config, select=select, ignore=ignore)
    encoding = encoding_of(data)
    if not round_trips(data):
        refused = EncodingError(f"{path or '<string>'}: not fixed: the file is not valid {encoding}")
        return FixResult(path, data, 0, tuple(found), refused)
    text, applied = apply_fixes(decode(data), found, unsafe=unsafe)
    if not applied:
        return FixResult(path, data, 0, tuple(found))
    fixed = encode(text, encoding)
    left = lint_bytes(fixed, path=path, config=config, select=select, ignore=ignore)
    return FixResult(path, fixed, applied, tuple(left))


def fix_file(
    path: str | os.PathLike[str],
    *,
    unsafe: bool = False,
    write: bool = True,
    config: LintConfig | None = None,
    select: tuple[str, ...] = (),
    ignore: tuple[str, ...] = (),
) -> FixResult:
    """``fix`` for the Modelfile at ``path``, written back in place when a fix applied
    (unless ``write`` is false).  A file that cannot be read gets lint's MF000.

    >>> import modelfile, tempfile
    >>> from pathlib import Path
    >>> path = Path(tempfile.mkdtemp()) / "Modelfile"
    >>> _ = path.write_text("FROM llama3.2\\nPARAMETER Temperature 0.7\\n")
    >>> [d.code for d in modelfile.fix_file(path).diagnostics]  # renaming is an unsafe fix
    ['MF201']
    >>> modelfile.fix_file(path, unsafe=True).applied, path.read_text()
    (1, 'FROM llama3.2\\nPARAMETER temperature 0.7\\n')
    """
    name = os.fspath(path)
    try:
        data = read_text_file(name)
    except (OSError, NotTextError):  # lint says why, as MF000
        return FixResult(name, b"", 0, tuple(lint(name, config=config, select=select, ignore=ignore)))
    result = fix(data, path=name, unsafe=unsafe, config=config, select=select, ignore=ignore)
    if write and result.changed:
        Path(name).write_bytes(result.data)
    return result


def apply_fixes(text: str, diagnostics: Iterable[Diagnostic], *, unsafe: bool = False) -> tuple[str, int]:
    """Text with every applicable fix applied, and how many fixes were applied.

    A fix whose edits overlap an already chosen fix is left for the next round.
    """
    chosen: list[Edit] = []
    applied = 0
    for diagnostic in diagnostics:
        repair = diagnostic.fix
        if repair is None or not (repair.safe or unsafe):
            continue
        if any(_overlaps(edit, other) for edit in repair.edits for other in chosen):
            continue
        chosen.extend(repair.edits)
        applied += 1
    for edit in sorted(chosen, key=lambda e: (e.start, e.end), reverse=True):
        text = text[: edit.start] + edit.replacement + text[edit.end :]
    return text, applied


def _overlaps(a: Edit, b: Edit) -> bool:
    return (a.start < b.end and b.start < a.end) or a.start == b.start
