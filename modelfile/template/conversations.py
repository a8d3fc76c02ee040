"""Checking a Go chat template: it parses, translates, and renders a set of standard
conversations (a user turn, system and turns, tools, prefill, thinking) without error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelfile.errors import TemplateError
from modelfile.template.prompt import execute
from modelfile.template.translate import translate_template

#: The conversations ``check`` renders, by name, in Ollama's API JSON names.
CONVERSATIONS: Mapping[str, Mapping[str, Any]] = {
    "user": {"messages": [{"role": "user", "content": "Hello!"}]},
    "system and turns": {
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "How are you?"},
        ]
    },
    "tools": {
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"function": {"index": 0, "name": "get_weather", "arguments": {"city": "Paris"}}}],
            },
            {"role": "tool", "content": "18 C", "tool_name": "get_weather"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Current weather",
                    "parameters": {
                        "type": "object",
                        "required": ["city"],
                        "properties": {"city": {"type": "string", "description": "City"}},
                    },
                },
            }
        ],
    },
    "prefill": {"messages": [{"role": "user", "content": "Say hi"}, {"role": "assistant", "content": "Hi"}]},
    "thinking": {
        "messages": [{"role": "user", "content": "2+2?"}],
        "think": True,
        "think_level": "medium",
        "is_think_set": True,
    },
}


@dataclass(frozen=True)
class Rendered:
    """One standard conversation rendered: the prompt's length, or why it failed."""

    conversation: str
    characters: int | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def to_dict(self) -> dict[str, object]:
        if self.error is not None:
            return {"conversation": self.conversation, "ok": False, "error": self.error}
        return {"conversation": self.conversation, "ok": True, "characters": self.characters}


@dataclass(frozen=True)
class CheckResult:
    """A template that parses and translates: which of Ollama's ``Execute`` paths it
    takes, the variables it reads, and each standard conversation rendered."""

    uses_messages: bool
    variables: tuple[str, ...]
    renders: tuple[Rendered, ...]

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.renders)

    @property
    def path(self) -> str:
        """The ``Execute`` path: ``messages``, or the legacy one for templates that read
        only ``.System``/``.Prompt``/``.Response``."""
        return "messages" if self.uses_messages else "legacy (.System/.Prompt/.Response)"

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "path": self.path,
            "variables": list(self.variables),
            "renders": [r.to_dict() for r in self.renders],
        }


def check(go_template: str) -> CheckResult:
    """Translate ``go_template`` (raising ``TemplateError`` with line and column when it
    does not parse or translate), then render every conversation in ``CONVERSATIONS``.

    >>> from modelfile import template
    >>> result = template.check("{{ range .Messages }}{{ .Role }}: {{ .Content }}\\n{{ end }}")
    >>> result.ok, result.path, [(r.conversation, r.characters) for r in result.renders][:2]
    (True, 'messages', [('user', 13), ('system and turns', 69)])
    >>> template.check("{{ range .Messages }}{{ .Nope.Deeper }}{{ end }}").ok
    False
    """
    translation = translate_template(go_template)
    renders: list[Rendered] = []
    for name, values in CONVERSATIONS.items():
        try:
            renders.append(Rendered(name, characters=len(execute(translation, values))))
        except TemplateError as error:
            renders.append(Rendered(name, error=error.message))
    return CheckResult(translation.uses_messages, tuple(translation.variables), tuple(renders))
