"""Ollama's Go chat templates, translated to Jinja2 and rendered like Ollama.

>>> from modelfile import template
>>> template.render("{{ range .Messages }}{{ .Role }}: {{ .Content }}\\n{{ end }}",
...                 {"messages": [{"role": "user", "content": "hi"}]})
'user: hi\\n'

Flow: Go text -> ``parser`` (grammar/gotemplate.lark) -> AST (``nodes``) -> Ollama's
``Vars``/cut (``ollama``) -> Jinja source (``jinja``, ``translate``) -> sandboxed
environment (``environment``) with Go-typed data (``values``) and runtime functions
(``runtime``, ``modelfile.go.fmt``) -> Ollama's ``Execute`` paths (``prompt``).
``check`` renders standard conversations (``conversations``); ``load`` reads a template
from a file or a Modelfile's last TEMPLATE and places errors in that file (``loading``),
or a GGUF's own Jinja ``tokenizer.chat_template`` (``chat_jinja``).  ``translate(go,
target="hf")`` emits a self-contained chat template instead (``hf``).
``request_prompt`` builds the prompt of an ``/api/generate`` or ``/api/chat`` request
body as Ollama's handlers do (``request``), cut to the context by ``chat_prompt``.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from modelfile.errors import (
    NoTemplateError,
    RequestError,
    TemplateError,
    TemplateExecutionError,
    UnsupportedRequestError,
    UnsupportedTemplateError,
)

# Imported now, not lazily: loading the submodule ``translate`` later would rebind the
# package's name ``translate`` from the function below to the submodule.
from modelfile.template.translate import TARGETS, Translation, translate_template

if TYPE_CHECKING:  # for type checkers; at run time these load on first use (see __getattr__)
    from modelfile.template.conversations import CONVERSATIONS, CheckResult, Rendered, check
    from modelfile.template.loading import TemplateSource, load, load_file
    from modelfile.template.named import NamedTemplate
    from modelfile.template.request import ChatFormat, request_prompt
    from modelfile.template.request_body import Request, parse_request
    from modelfile.template.truncation import chat_prompt, tag_images

# Loaded when first used: importing any ``modelfile.template.*`` module runs this file,
# and ``mfc lint`` and ``mfc build`` (which parse and translate templates) must not pay
# for Jinja2 and the renderer, which only rendering needs.
_EXPORTS = {
    **dict.fromkeys(("CONVERSATIONS", "CheckResult", "Rendered", "check"), "modelfile.template.conversations"),
    **dict.fromkeys(("TemplateSource", "load", "load_file"), "modelfile.template.loading"),
    "NamedTemplate": "modelfile.template.named",
    **dict.fromkeys(("chat_prompt", "tag_images"), "modelfile.template.truncation"),
    **dict.fromkeys(("ChatFormat", "request_prompt"), "modelfile.template.request"),
    **dict.fromkeys(("Request", "parse_request"), "modelfile.template.request_body"),
}


def __getattr__(name: str) -> Any:
    import importlib

    if name in _EXPORTS:
        return getattr(importlib.import_module(_EXPORTS[name]), name)
    raise AttributeError(f"module 'modelfile.template' has no attribute {name!r}")


__all__ = [
    "CONVERSATIONS",
    "TARGETS",
    "ChatFormat",
    "CheckResult",
    "NamedTemplate",
    "NoTemplateError",
    "Rendered",
    "Request",
    "RequestError",
    "TemplateError",
    "TemplateExecutionError",
    "TemplateSource",
    "Translation",
    "UnsupportedRequestError",
    "UnsupportedTemplateError",
    "chat_prompt",
    "check",
    "load",
    "load_file",
    "match_jinja",
    "match_named",
    "parse_request",
    "render",
    "request_prompt",
    "tag_images",
    "translate",
    "translate_template",
]


def translate(go_template: str, target: str = "mfc") -> str:
    """The Jinja2 source equivalent to a Go template.

    ``target="mfc"`` (the default) runs in mfc's renderer (``environment.environment()``);
    ``target="hf"`` is a self-contained chat template over ``messages`` and ``tools`` for
    transformers' ``apply_chat_template`` or llama-cpp-python, refused with every
    construct it cannot express (``UnsupportedTemplateError.constructs``).

    >>> from modelfile import template
    >>> chat = template.translate("{{ range .Messages }}{{ .Role }}: {{ .Content }}\\n{{ end }}", target="hf")
    >>> from jinja2.sandbox import ImmutableSandboxedEnvironment
    >>> ImmutableSandboxedEnvironment().from_string(chat).render(messages=[{"role": "user", "content": "hi"}])
    'user: hi\\n'
    >>> try:
    ...     template.translate("{{ range .Messages }}{{ json .ToolCalls }}{{ end }}", target="hf")
    ... except template.UnsupportedTemplateError as error:
    ...     print(error.constructs)
    ((1, 25, "json is Go's encoding/json (key order, escapes, number format); Jinja's tojson differs"),)
    """
    return translate_template(go_template, target).jinja


def render(go_template: str, values: Mapping[str, Any]) -> str:
    """The prompt Ollama's ``Template.Execute`` writes for ``values`` (Ollama's API JSON
    names: ``messages``, ``tools``, ``prompt``, ``suffix``, ``think``, ``think_level``,
    ``is_think_set``), rendered through the translated Jinja2 in a sandbox."""
    from modelfile.template.prompt import execute

    return execute(translate_template(go_template), values)


def match_jinja(chat_template: str) -> str | None:
    """The name of Ollama's built-in template that a Hugging Face/GGUF Jinja
    ``chat_template`` corresponds to, as Ollama's ``Named()`` decides, or ``None``."""
    from modelfile.template.named import match

    found = match(chat_template)
    return found.name if found else None


def match_named(chat_template: str) -> NamedTemplate | None:
    """Like ``match_jinja``, with the built-in template's Go text and stop sequences."""
    from modelfile.template.named import match

    return match(chat_template)
