"""Completion items for the place of the cursor: command keywords, parameter names (with
their documentation) and enumerable values, MESSAGE roles, stop strings from the model's
template, store model names and relative paths after FROM/ADAPTER/DRAFT, and template
fields, functions and keywords inside a TEMPLATE action."""

from __future__ import annotations

import os
from pathlib import Path

from lsprotocol import types

from builder.lsp.hover import ROLES, model_target, parameter_markdown
from builder.lsp.keywords import COMMAND_DOCS, command_markdown
from builder.lsp.locate import Place, locate
from builder.lsp.positions import Lines
from builder.lsp.stops import stop_candidates
from builder.lsp.template_docs import FUNCTIONS, KEYWORDS, all_fields, template_markdown
from builder.store import Store
from modelfile.ir import Modelfile, Template
from modelfile.parameters import DEPRECATED, PARAMETERS, Kind

Kinds = types.CompletionItemKind


def complete(
    text: str, lines: Lines, modelfile: Modelfile | None, offset: int, base: Path, store: Store | None
) -> list[types.CompletionItem]:
    """The items for the cursor at ``offset``, each replacing the word typed so far."""
    place = locate(text, modelfile, offset)
    edit_range = types.Range(types.Position(*lines.position(place.word_start)), types.Position(*lines.position(offset)))
    found = _candidates(place, text, modelfile, base, store)
    return [
        types.CompletionItem(
            label=label,
            kind=kind,
            documentation=types.MarkupContent(types.MarkupKind.Markdown, doc) if doc else None,
            text_edit=types.TextEdit(edit_range, insert),
            filter_text=insert,
            tags=[types.CompletionItemTag.Deprecated] if label in DEPRECATED else None,
            sort_text=f"{index:04d}",
        )
        for index, (label, kind, doc, insert) in enumerate(found)
    ]


Candidate = tuple[str, types.CompletionItemKind, str | None, str]


def _candidates(
    place: Place, text: str, modelfile: Modelfile | None, base: Path, store: Store | None
) -> list[Candidate]:
    if place.kind == "keyword":
        return [(k, Kinds.Keyword, command_markdown(k), k + " ") for k in COMMAND_DOCS]
    if place.kind == "parameter":
        names = [*PARAMETERS, *sorted(DEPRECATED)]
        return [(n, Kinds.Property, parameter_markdown(n), n + " ") for n in names]
    if place.kind == "parameter-value":
        return _values(place, text, modelfile, base, store)
    if place.kind == "role":
        return [(role, Kinds.EnumMember, doc, role + " ") for role, doc in ROLES.items()]
    if place.kind == "value" and place.keyword in ("FROM", "ADAPTER", "DRAFT"):
        models = _models(store) if place.keyword != "ADAPTER" else []
        return models + _paths(place.word, base)
    if place.kind == "template":
        return _template(place)
    return []


def _values(place: Place, text: str, modelfile: Modelfile | None, base: Path, store: Store | None) -> list[Candidate]:
    spec = PARAMETERS.get(place.param)
    if spec is None:
        return []
    if spec.kind is Kind.BOOL:
        return [(value, Kinds.Value, None, value) for value in ("true", "false")]
    if spec.kind is Kind.STRINGS:
        return [
            (stop, Kinds.Value, "stop sequence from the template", f'"{stop}"')
            for stop in _stops(text, modelfile, base, store)
        ]
    if spec.default is not None:
        return [(str(spec.default), Kinds.Value, "Ollama's default", str(spec.default))]
    return []


def _stops(text: str, modelfile: Modelfile | None, base: Path, store: Store | None) -> list[str]:
    """Stop strings from the document's TEMPLATE, else from the FROM model's."""
    templates = modelfile.of_type(Template) if modelfile is not None else []
    if templates:
        return stop_candidates(templates[-1].value.text)
    target = model_target(modelfile, text, base, store)
    if target is not None and target.template:
        return stop_candidates(target.template)
    if target is not None and target.metadata is not None:
        chat = target.metadata.metadata.get("tokenizer.chat_template")
        return stop_candidates(chat) if isinstance(chat, str) else []
    return []


def _models(store: Store | None) -> list[Candidate]:
    if store is None:
        return []
    try:
        names = sorted(model.name.display() for model in store.models())
    except (OSError, ValueError):
        return []
    return [(name, Kinds.Module, "a model of the store", name) for name in names]


def _paths(word: str, base: Path) -> list[Candidate]:
    """Entries of the folder the typed path is in, relative to the Modelfile's folder."""
    typed = word.strip('"')
    folder_part, _, _ = typed.rpartition("/")
    prefix = (folder_part + "/") if folder_part else "./"
    folder = (base / folder_part) if folder_part else base
    try:
        entries = sorted(os.scandir(folder), key=lambda entry: entry.name)
    except OSError:
        return []
    found: list[Candidate] = []
    for entry in entries[:500]:
        if entry.name.startswith("."):
            continue
        is_dir = entry.is_dir()
        path = prefix + entry.name + ("/" if is_dir else "")
        found.append((path, Kinds.Folder if is_dir else Kinds.File, None, path))
    return found


def _template(place: Place) -> list[Candidate]:
    before = place.template[: place.template_offset]
    if before.rfind("{{") <= before.rfind("}}"):
        return []  # in the template's literal text, not in an action
    if place.word.startswith("."):
        return [(f".{name}", Kinds.Field, template_markdown(f".{name}"), f".{name}") for name in all_fields()]
    if place.word.startswith("$"):
        return []
    functions = [(name, Kinds.Function, template_markdown(name), name) for name in FUNCTIONS]
    keywords = [(name, Kinds.Keyword, template_markdown(name), name) for name in KEYWORDS]
    return keywords + functions
