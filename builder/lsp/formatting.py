"""``textDocument/formatting``: ``mfc fmt``'s canonical text, as one edit replacing the
document (none when it is already canonical or does not parse)."""

from __future__ import annotations

from lsprotocol import types

from builder.lsp.analysis import encoded
from builder.lsp.positions import Lines
from modelfile.formatter import format_bytes


def format_edits(lines: Lines, path: str | None) -> list[types.TextEdit]:
    result = format_bytes(encoded(lines.text), path=path)
    if result.error is not None or result.after == lines.text:
        return []
    end = types.Position(*lines.position(len(lines.text)))
    return [types.TextEdit(types.Range(types.Position(0, 0), end), result.after)]
