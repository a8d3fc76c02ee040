"""A Go template read from a file: the file holds the template itself, or is a
Modelfile whose last TEMPLATE is used.  Errors then point into that file."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar

from modelfile.errors import ModelfileError, NoTemplateError, TemplateError, UnsupportedTemplateError
from modelfile.gguf_metadata import MAGIC
from modelfile.go.decoding import decode
from modelfile.ir import Template
from modelfile.parser import parse
from modelfile.template.chat_jinja import KEY, ChatTemplate, gguf_chat_template
from modelfile.template.conversations import CheckResult, check, check_chat_template
from modelfile.template.locate import value_position
from modelfile.template.prompt import execute
from modelfile.template.translate import Translation, translate_template

Where = Callable[[int, int], tuple[int, int]]  # line, column in the template -> in the file
T = TypeVar("T")


@dataclass(frozen=True)
class TemplateSource:
    """A template and the file it came from; its methods are the template API's,
    with every ``TemplateError`` placed at the line and column in that file."""

    text: str
    name: str  # the file, as error messages name it
    where: Where = lambda line, column: (line, column)
    chat: ChatTemplate | None = None  # a GGUF's Jinja tokenizer.chat_template, not a Go template

    def locate(self, error: TemplateError) -> TemplateError:
        """``error`` (at a position in the template) at its position in the file."""
        line, column = self.where(error.line, error.column)
        if isinstance(error, UnsupportedTemplateError) and error.constructs:
            moved = tuple((*self.where(at_line, at_column), what) for at_line, at_column, what in error.constructs)
            return UnsupportedTemplateError(
                error.message, line=line, column=column, hint=error.hint, path=self.name, constructs=moved
            )
        return type(error)(
            error.message, line=line, column=column, hint=error.hint, go_error=error.go_error, path=self.name
        )

    def translate(self, target: str = "mfc") -> Translation:
        """The template translated to Jinja2 for ``target`` (``translate_template``)."""
        self._go_only()
        return self._located(lambda: translate_template(self.text, target))

    def render(self, values: Mapping[str, Any]) -> str:
        """The prompt Ollama builds from the template and ``values`` (``render``)."""
        self._go_only()
        translation = self.translate()
        return self._located(lambda: execute(translation, values))

    def check(self) -> CheckResult:
        """The template parsed, translated and rendered with the standard conversations
        (``check``), lint's findings placed in the file; a GGUF's Jinja chat template is
        rendered with them (``check_chat_template``)."""
        chat = self.chat
        if chat is not None:
            return self._located(lambda: check_chat_template(chat))
        result = self._located(lambda: check(self.text))
        placed = [
            replace(f, line=at[0], column=at[1]) for f in result.findings for at in [self.where(f.line, f.column)]
        ]
        return replace(result, findings=tuple(placed))

    def _go_only(self) -> None:
        if self.chat is not None:
            raise NoTemplateError(
                f"{self.name} holds a Jinja chat template ({KEY}), not a Go template: mfc template check renders it"
            )

    def _located(self, work: Callable[[], T]) -> T:
        try:
            return work()
        except TemplateError as error:
            raise self.locate(error) from None


def load(data: bytes | str, name: str = "<string>") -> TemplateSource:
    """A template from file content: the last TEMPLATE of a Modelfile, or else the
    whole content as the template.  A Modelfile without TEMPLATE is a ``NoTemplateError``.

    >>> from modelfile import template
    >>> source = template.load('FROM llama3.2\\nTEMPLATE "{{ if .Prompt }}{{ .Prompt }}"\\n', "Modelfile")
    >>> source.text
    '{{ if .Prompt }}{{ .Prompt }}'
    >>> source.check()
    Traceback (most recent call last):
      ...
    modelfile.errors.TemplateError: Modelfile:2:11: MF401 unexpected EOF: this {{ if }} has no {{ end }}

    A GGUF file gives its ``tokenizer.chat_template``: Jinja, which only ``check`` reads.
    """
    if isinstance(data, bytes) and data[:4] == MAGIC:
        chat = gguf_chat_template(data, name)
        return TemplateSource(chat.source, name, chat=chat)
    try:
        modelfile = parse(data, path=name)
    except ModelfileError:
        modelfile = None
    if modelfile is not None and not modelfile.of_type(Template):
        raise NoTemplateError(f"{name} is a Modelfile without a TEMPLATE")
    if modelfile is None or modelfile.source is None:
        return TemplateSource(decode(data) if isinstance(data, bytes) else data, name)
    command, source = modelfile.of_type(Template)[-1], modelfile.source

    def where(line: int, column: int) -> tuple[int, int]:
        at = value_position(source, command, line, column)
        return at.line, at.column

    return TemplateSource(command.value.text, name, where)


def load_file(path: str | os.PathLike[str]) -> TemplateSource:
    """``load`` for the file at ``path`` (an ``OSError`` if it cannot be read).

    >>> import tempfile
    >>> from pathlib import Path
    >>> from modelfile import template
    >>> path = Path(tempfile.mkdtemp()) / "chat.gotmpl"
    >>> _ = path.write_text("{{ .System }} {{ .Prompt }}")
    >>> template.load_file(path).render({"messages": [{"role": "user", "content": "Hi"}]})
    ' Hi'
    """
    name = os.fspath(path)
    with open(path, "rb") as handle:
        if handle.read(len(MAGIC)) == MAGIC:  # a GGUF: its header only, not gigabytes of weights
            chat = gguf_chat_template(path, name)
            return TemplateSource(chat.source, name, chat=chat)
    return load(Path(path).read_bytes(), name)
