"""Ollama's Go chat templates, translated to Jinja2 and rendered like Ollama.

>>> from modelfile import template
>>> template.render("{{ range .Messages }}{{ .Role }}: {{ .Content }}\\n{{ end }}",
...                 {"messages": [{"role": "user", "content": "hi"}]})
'user: hi\\n'

Flow: Go text -> ``parser`` (grammar/gotemplate.lark) -> AST (``nodes``) -> Ollama's
``Vars``/cut (``ollama``) -> Jinja source (``jinja``, ``translate``) -> sandboxed
environment (``environment``) with Go-typed data (``values``) and runtime functions
(``runtime``, ``goprint``) -> Ollama's ``Execute`` paths (``prompt``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from modelfile.errors import TemplateError, TemplateExecutionError, UnsupportedTemplateError
from modelfile.template.named import NamedTemplate
from modelfile.template.named import match as _match
from modelfile.template.prompt import execute
from modelfile.template.translate import Translation, translate_template

__all__ = [
    "NamedTemplate",
    "TemplateError",
    "TemplateExecutionError",
    "Translation",
    "UnsupportedTemplateError",
    "match_jinja",
    "match_named",
    "render",
    "translate",
    "translate_template",
]


def translate(go_template: str) -> str:
    """The Jinja2 source equivalent to a Go template (runs with ``environment.environment()``)."""
    return translate_template(go_template).jinja


def render(go_template: str, values: Mapping[str, Any]) -> str:
    """The prompt Ollama's ``Template.Execute`` writes for ``values`` (Ollama's API JSON
    names: ``messages``, ``tools``, ``prompt``, ``suffix``, ``think``, ``think_level``,
    ``is_think_set``), rendered through the translated Jinja2 in a sandbox."""
    return execute(translate_template(go_template), values)


def match_jinja(chat_template: str) -> str | None:
    """The name of Ollama's built-in template that a Hugging Face/GGUF Jinja
    ``chat_template`` corresponds to, as Ollama's ``Named()`` decides, or ``None``."""
    found = _match(chat_template)
    return found.name if found else None


def match_named(chat_template: str) -> NamedTemplate | None:
    """Like ``match_jinja``, with the built-in template's Go text and stop sequences."""
    return _match(chat_template)
