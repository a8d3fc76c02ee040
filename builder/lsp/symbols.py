"""The outline: one document symbol per command (``PARAMETER temperature``, ``FROM
llama3.2`` …), its range the whole instruction and its selection the keyword."""

from __future__ import annotations

from lsprotocol import types

from builder.lsp.positions import Lines
from modelfile.ir import Adapter, Command, From, Message, Modelfile, Parameter, Template

SymbolKind = types.SymbolKind


def _kind(command: Command) -> types.SymbolKind:
    if isinstance(command, From | Adapter):
        return SymbolKind.Module
    if isinstance(command, Parameter):
        return SymbolKind.Property
    if isinstance(command, Template):
        return SymbolKind.Function
    if isinstance(command, Message):
        return SymbolKind.Event
    return SymbolKind.String


def _label(command: Command) -> str:
    if isinstance(command, Parameter):
        return f"PARAMETER {command.param}"
    if isinstance(command, Message):
        return f"MESSAGE {command.role}"
    first = command.value.text.strip().split("\n", 1)[0]
    shown = first[:40] + ("…" if len(first) > 40 or "\n" in command.value.text.strip() else "")
    return f"{command.KEYWORD} {shown}".rstrip()


def document_symbols(lines: Lines, modelfile: Modelfile | None) -> list[types.DocumentSymbol]:
    if modelfile is None:
        return []
    found = []
    for command in modelfile.commands:
        start = types.Position(*lines.position(command.span.start.offset))
        end = types.Position(*lines.position(command.span.end.offset))
        keyword_end = types.Position(*lines.position(command.span.start.offset + len(command.keyword)))
        found.append(
            types.DocumentSymbol(
                name=_label(command),
                kind=_kind(command),
                range=types.Range(start, end),
                selection_range=types.Range(start, keyword_end),
                detail=command.value.text.strip()[:80] if isinstance(command, Parameter | Message) else None,
            )
        )
    return found
