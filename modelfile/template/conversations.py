"""Checking a Go chat template: it parses, translates, and renders a set of standard
conversations (a user turn, system and turns, tools, prefill, thinking) without error."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from modelfile.errors import TemplateError
from modelfile.template.chat_jinja import ChatTemplate
from modelfile.template.fields import unknown_fields
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
class Finding:
    """A problem ``mfc lint`` reports too, with the same code at the same place."""

    code: str
    line: int
    column: int
    message: str
    hint: str | None = None

    def to_dict(self) -> dict[str, object]:
        return {"code": self.code, "line": self.line, "column": self.column, "message": self.message, "hint": self.hint}


@dataclass(frozen=True)
class CheckResult:
    """A template that parses and translates: which of Ollama's ``Execute`` paths it
    takes, the variables it reads, what lint would find (``findings``), and each standard
    conversation rendered.  ``language`` is ``jinja`` for a GGUF's own chat template."""

    uses_messages: bool
    variables: tuple[str, ...]
    renders: tuple[Rendered, ...]
    findings: tuple[Finding, ...] = ()
    language: str = "go"

    @property
    def ok(self) -> bool:
        return all(r.ok for r in self.renders) and not self.findings

    @property
    def path(self) -> str:
        """The ``Execute`` path: ``messages``, or the legacy one for templates that read
        only ``.System``/``.Prompt``/``.Response``; ``jinja`` for a Jinja chat template."""
        if self.language == "jinja":
            return "jinja"
        return "messages" if self.uses_messages else "legacy (.System/.Prompt/.Response)"

    @property
    def summary(self) -> str:
        """One line on what was checked."""
        if self.language == "jinja":
            return (
                "a Jinja chat template (tokenizer.chat_template), not a Go template;"
                " rendered sandboxed as transformers and llama.cpp do"
            )
        return f"parses; renders through the {self.path} path"

    def to_dict(self) -> dict[str, object]:
        return {
            "ok": self.ok,
            "language": self.language,
            "path": self.path,
            "variables": list(self.variables),
            "findings": [f.to_dict() for f in self.findings],
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
    >>> [(f.code, f.line, f.column) for f in template.check("{{ .Promt }}").findings]
    [('MF403', 1, 4)]
    """
    translation = translate_template(go_template)
    renders: list[Rendered] = []
    for name, values in CONVERSATIONS.items():
        try:
            renders.append(Rendered(name, characters=len(execute(translation, values))))
        except TemplateError as error:
            renders.append(Rendered(name, error=error.message))
    findings = tuple(
        Finding(f.code, f.pos.line, f.pos.column, f.message, f.hint) for f in unknown_fields(translation.parsed.root)
    )
    return CheckResult(translation.uses_messages, tuple(translation.variables), tuple(renders), findings)


def check_chat_template(chat: ChatTemplate) -> CheckResult:
    """Render every conversation of ``CONVERSATIONS`` through a Jinja chat template (a
    GGUF's ``tokenizer.chat_template``), sandboxed; ``TemplateError`` if it is not Jinja.

    >>> from modelfile.template.chat_jinja import ChatTemplate
    >>> result = check_chat_template(ChatTemplate("{% for m in messages %}{{ m.content }}{% endfor %}"))
    >>> result.ok, result.path, result.renders[0]
    (True, 'jinja', Rendered(conversation='user', characters=6, error=None))
    """
    chat.compile()
    renders: list[Rendered] = []
    for name, values in CONVERSATIONS.items():
        try:
            renders.append(Rendered(name, characters=len(chat.render(values["messages"], values.get("tools")))))
        except TemplateError as error:
            renders.append(Rendered(name, error=error.message))
    return CheckResult(True, (), tuple(renders), language="jinja")
