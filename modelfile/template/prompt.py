"""Ollama's ``Template.Execute`` around a translated template.

``collate`` always runs first.  Then one of three data paths:

* suffix (fill in the middle): ``prompt`` and ``suffix`` both non-empty;
* messages: the template's variables include ``messages``;
* legacy: otherwise - one render per (system, prompt, response) turn, the last one
  with the tree cut after ``.Response``.

The data each path passes is a Go map: keys it does not set print ``<no value>``.
``values`` uses Ollama's API JSON names (``messages``, ``tools``, ``prompt``,
``suffix``, ``think``, ``think_level``, ``is_think_set``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from jinja2.exceptions import SecurityError
from jinja2.exceptions import TemplateError as JinjaTemplateError

from modelfile.errors import TemplateExecutionError
from modelfile.template.environment import compile_jinja
from modelfile.template.translate import Translation
from modelfile.template.values import GoPointerList, GoStruct, collate, message, tools


def execute(translation: Translation, values: Mapping[str, Any]) -> str:
    messages = [message(m) for m in values.get("messages") or []]
    system, collated = collate(messages)
    think = {
        "Think": bool(values.get("think") or False),
        "ThinkLevel": str(values.get("think_level") or ""),
        "IsThinkSet": bool(values.get("is_think_set") or False),
    }
    prompt, suffix = str(values.get("prompt") or ""), str(values.get("suffix") or "")
    context: dict[str, Any]
    if prompt and suffix:
        context = {"_root": {"Prompt": prompt, "Suffix": suffix, "Response": "", **think}}
    elif translation.uses_messages:
        root = {
            "System": system,
            "Messages": GoPointerList(collated),
            "Tools": tools(values.get("tools")),
            "Response": "",
            **think,
        }
        context = {"_root": root}
    else:
        context = {"_turns": legacy_turns(collated, think)}
    template = compile_jinja(translation.jinja)
    try:
        return template.render(context)
    except SecurityError as error:
        raise TemplateExecutionError(f"refused by the sandbox: {error}") from None
    except JinjaTemplateError as error:
        raise TemplateExecutionError(f"Jinja error: {error}") from None
    except RecursionError:
        raise TemplateExecutionError("the template nests too deeply") from None


def legacy_turns(collated: list[GoStruct], think: dict[str, Any]) -> list[dict[str, Any]]:
    """Ollama's turn loop: a turn is flushed when a system message follows a prompt or a
    response, or a user message follows a response; other roles are ignored."""
    turns: list[dict[str, Any]] = []
    system = prompt = response = ""

    def flush() -> None:
        nonlocal system, prompt, response
        turns.append({"System": system, "Prompt": prompt, "Response": response, **think})
        system = prompt = response = ""

    for current in collated:
        role, content = current.values["Role"], current.values["Content"]
        if role == "system":
            if prompt or response:
                flush()
            system = content
        elif role == "user":
            if response:
                flush()
            prompt = content
        elif role == "assistant":
            response = content
    flush()
    return turns
