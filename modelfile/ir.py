"""The Modelfile IR: one frozen node per instruction, each with its source span.

``Modelfile.ollama_commands()`` gives the ``[(name, args)]`` list Ollama's parser
builds from the same text; everything else here is what mfc adds on top (where each
piece came from, how it was quoted, the comments around it).
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import ClassVar, TypeVar

from modelfile.parameters import TypedValue, convert
from modelfile.source import Source, Span

C = TypeVar("C", bound="Command")


class Quoting(enum.Enum):
    """How a value was written."""

    BARE = "bare"  # runs to the end of its line, trimmed
    DOUBLE = "double"  # "…", may span lines
    TRIPLE = "triple"  # """…""", may span lines
    NONE = "none"  # nothing but blanks after the instruction: the empty string


@dataclass(frozen=True)
class Value:
    """An instruction's argument: ``text`` is what Ollama reads."""

    text: str
    quoting: Quoting
    span: Span  # the raw value: after the separator, up to (not including) its line end


@dataclass(frozen=True)
class Comment:
    """A ``#`` line (only where an instruction could start; Ollama has no trailing comments)."""

    text: str
    span: Span


@dataclass(frozen=True)
class Command:
    """One instruction.  ``keyword`` is spelled as written (keywords ignore case)."""

    keyword: str
    value: Value
    span: Span

    KEYWORD: ClassVar[str] = ""
    OLLAMA_NAME: ClassVar[str] = ""

    @property
    def args(self) -> str:
        """Ollama's ``Command.Args``."""
        return self.value.text

    @property
    def name(self) -> str:
        """Ollama's ``Command.Name``."""
        return self.OLLAMA_NAME

    def ollama_command(self) -> tuple[str, str]:
        return (self.name, self.args)


@dataclass(frozen=True)
class From(Command):
    """``FROM``: a model name, a GGUF file, a safetensors folder or a blob path."""

    KEYWORD = "FROM"
    OLLAMA_NAME = "model"


@dataclass(frozen=True)
class Adapter(Command):
    """``ADAPTER``: a LoRA adapter (GGUF file or safetensors folder)."""

    KEYWORD = "ADAPTER"
    OLLAMA_NAME = "adapter"


@dataclass(frozen=True)
class License(Command):
    """``LICENSE``: licence text; every one is kept."""

    KEYWORD = "LICENSE"
    OLLAMA_NAME = "license"


@dataclass(frozen=True)
class Template(Command):
    """``TEMPLATE``: the Go ``text/template`` prompt template."""

    KEYWORD = "TEMPLATE"
    OLLAMA_NAME = "template"


@dataclass(frozen=True)
class System(Command):
    """``SYSTEM``: the system prompt."""

    KEYWORD = "SYSTEM"
    OLLAMA_NAME = "system"


@dataclass(frozen=True)
class Draft(Command):
    """``DRAFT``: a draft model for speculative decoding."""

    KEYWORD = "DRAFT"
    OLLAMA_NAME = "draft"


@dataclass(frozen=True)
class Renderer(Command):
    """``RENDERER``: the name of a built-in chat renderer."""

    KEYWORD = "RENDERER"
    OLLAMA_NAME = "renderer"


@dataclass(frozen=True)
class Parser(Command):
    """``PARSER``: the name of a built-in output parser."""

    KEYWORD = "PARSER"
    OLLAMA_NAME = "parser"


@dataclass(frozen=True)
class Requires(Command):
    """``REQUIRES``: the minimum Ollama version, a semver."""

    KEYWORD = "REQUIRES"
    OLLAMA_NAME = "requires"


@dataclass(frozen=True)
class Parameter(Command):
    """``PARAMETER name value``; ``name`` is case-sensitive and may be empty."""

    param: str
    param_span: Span

    KEYWORD = "PARAMETER"

    @property
    def name(self) -> str:
        return self.param

    def typed(self) -> TypedValue | None:
        """The value as ``ollama create`` stores it (int, float32 as float, bool, str),
        ``None`` for a deprecated parameter it ignores.

        Raises ``modelfile.parameters.ParameterError`` with Ollama's message for an
        unknown name or a value of the wrong type.
        """
        return convert(self.param, self.value.text)


@dataclass(frozen=True)
class Message(Command):
    """``MESSAGE role content``; Ollama stores ``"role: content"``."""

    role: str
    role_span: Span

    KEYWORD = "MESSAGE"
    OLLAMA_NAME = "message"

    @property
    def content(self) -> str:
        return self.value.text

    @property
    def args(self) -> str:
        return f"{self.role}: {self.value.text}"


#: Lower-case keyword -> node class, in the order of Ollama's error message.
COMMANDS: dict[str, type[Command]] = {
    cls.KEYWORD.lower(): cls
    for cls in (From, License, Template, System, Adapter, Draft, Renderer, Parser, Parameter, Message, Requires)
}


@dataclass(frozen=True)
class Modelfile:
    """A parsed Modelfile: its commands in file order and its comments."""

    commands: tuple[Command, ...]
    comments: tuple[Comment, ...] = ()
    source: Source | None = field(default=None, compare=False, repr=False)

    @property
    def path(self) -> str | None:
        return self.source.path if self.source is not None else None

    def ollama_commands(self) -> list[tuple[str, str]]:
        """The command list Ollama's ``parser.ParseFile`` produces for this file."""
        return [command.ollama_command() for command in self.commands]

    def of_type(self, kind: type[C]) -> list[C]:
        """The commands of one kind, in file order."""
        return [command for command in self.commands if isinstance(command, kind)]

    def __iter__(self) -> Iterator[Command]:
        return iter(self.commands)

    def __len__(self) -> int:
        return len(self.commands)
