"""What the cursor is on: a command's keyword, a PARAMETER name or value, a MESSAGE
role, a value, or a spot inside a TEMPLATE's Go template.

Read from the parse where the document parses (so multi-line values are known), and
from the cursor's line where it does not (while a quote is still open, say): typing
must never leave the editor without help.

>>> place = locate("FROM llama3.2\\nPARAMETER temp", None, 28)
>>> place.kind, place.keyword, place.word
('parameter', 'PARAMETER', 'temp')
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from modelfile.ir import COMMANDS, Command, Message, Modelfile, Parameter, Template

_OPEN_TEMPLATE = re.compile(r'(?im)^[ \t]*template[ \t]+"""')
_LINE_START = re.compile(r"[^\r\n]*\Z")


@dataclass(frozen=True)
class Place:
    """Where an offset is.  ``kind``: ``keyword`` (also an empty line), ``parameter``
    (its name), ``parameter-value``, ``role``, ``value``, ``template`` or ``comment``.
    ``word`` is the text from ``word_start`` to the cursor."""

    kind: str
    keyword: str = ""  # the command's keyword, upper case
    word: str = ""
    word_start: int = 0
    param: str = ""  # PARAMETER's name
    command: Command | None = None
    template: str = ""  # inside TEMPLATE: its text, and where it starts in the document
    template_start: int = 0

    @property
    def template_offset(self) -> int:
        return self.word_start + len(self.word) - self.template_start


def template_start(text: str, command: Command) -> int:
    """The offset of the first character of a TEMPLATE's (or any command's) value text."""
    span = command.value.span
    raw = text[span.start.offset : span.end.offset]
    found = raw.find(command.value.text) if command.value.text else -1
    if found < 0:
        stripped = raw.lstrip(" \t")
        found = len(raw) - len(stripped) + (3 if stripped.startswith('"""') else 1 if stripped.startswith('"') else 0)
        found = min(found, len(raw))
    return span.start.offset + found


def locate(text: str, modelfile: Modelfile | None, offset: int) -> Place:
    """The place of ``offset`` in ``text`` (``modelfile``: its parse, if it parsed)."""
    offset = max(0, min(offset, len(text)))
    inside = _in_template(text, modelfile, offset)
    if inside is not None:
        return inside
    command = _command_at(modelfile, offset)
    if command is not None and command.span.start.line != _line_number(text, offset) and offset > _value_from(command):
        return _word_place("value", text, offset, command.KEYWORD, command=command)
    return _from_line(text, offset, command)


def _line_number(text: str, offset: int) -> int:
    return 1 + len(re.findall(r"\r\n|\r|\n", text[:offset]))


def _value_from(command: Command) -> int:
    return command.value.span.start.offset


def _command_at(modelfile: Modelfile | None, offset: int) -> Command | None:
    if modelfile is None:
        return None
    for command in modelfile.commands:
        if command.span.start.offset <= offset <= command.span.end.offset:
            return command
    return None


def _in_template(text: str, modelfile: Modelfile | None, offset: int) -> Place | None:
    if modelfile is not None:
        for command in modelfile.of_type(Template):
            start = template_start(text, command)
            if command.value.text and start <= offset <= start + len(command.value.text):
                return _template_place(text, command.value.text, start, offset, command)
        return None
    opened = None
    for match in _OPEN_TEMPLATE.finditer(text, 0, offset):
        opened = match
    if opened is None or '"""' in text[opened.end() : offset]:
        return None
    close = text.find('"""', offset)
    body = text[opened.end() : close if close >= 0 else len(text)]
    return _template_place(text, body, opened.end(), offset, None)


def _template_place(text: str, body: str, start: int, offset: int, command: Command | None) -> Place:
    word = re.search(r"[.$]?[A-Za-z0-9_]*\Z", text[start:offset])
    matched = word.group(0) if word else ""
    return Place(
        "template", "TEMPLATE", matched, offset - len(matched), command=command, template=body, template_start=start
    )


def _word_place(kind: str, text: str, offset: int, keyword: str, **more: object) -> Place:
    line = _LINE_START.search(text, 0, offset)
    before = line.group(0) if line else ""
    word = re.search(r"\S*\Z", before)
    matched = word.group(0) if word else ""
    return Place(kind, keyword, matched, offset - len(matched), **more)  # type: ignore[arg-type]


def _from_line(text: str, offset: int, command: Command | None) -> Place:
    line = _LINE_START.search(text, 0, offset)
    before = line.group(0) if line else ""
    stripped = before.lstrip(" \t")
    if stripped.startswith("#"):
        return Place("comment", word=stripped, word_start=offset - len(stripped))
    words = stripped.split()
    trailing = bool(stripped) and stripped[-1] in " \t"
    if not words or (len(words) == 1 and not trailing):
        return _word_place("keyword", text, offset, "", command=command)
    keyword = words[0].upper()
    if keyword.lower() not in COMMANDS:
        return _word_place("value", text, offset, keyword, command=command)
    naming = len(words) == 1 or (len(words) == 2 and not trailing)
    if keyword == "PARAMETER":
        if naming:
            return _word_place("parameter", text, offset, keyword, command=command)
        name = command.param if isinstance(command, Parameter) else words[1]
        return _value_place(text, offset, keyword, before, 2, command=command, param=name)
    if keyword == "MESSAGE":
        if naming:
            return _word_place("role", text, offset, keyword, command=command)
        return _value_place(text, offset, keyword, before, 2, command=command)
    if isinstance(command, Message | Parameter):
        command = None
    return _value_place(text, offset, keyword, before, 1, command=command)


def _value_place(text: str, offset: int, keyword: str, before: str, skip: int, **more: object) -> Place:
    """A value runs from after the keyword (and name or role) to the cursor."""
    match = re.match(r"[ \t]*" + r"\S+[ \t]" * skip + r"[ \t]*", before)
    value = before[match.end() :] if match else ""
    kind = "parameter-value" if keyword == "PARAMETER" else "value"
    return Place(kind, keyword, value, offset - len(value), **more)  # type: ignore[arg-type]
