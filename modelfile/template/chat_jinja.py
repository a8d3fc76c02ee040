"""A Hugging Face / GGUF Jinja chat template (``tokenizer.chat_template``), rendered as
transformers' ``apply_chat_template`` and llama-cpp-python render it, in an immutable
sandbox: ``trim_blocks``, ``lstrip_blocks``, ``loopcontrols``, the ``raise_exception``,
``strftime_now`` and JSON ``tojson`` they add, ``messages``, ``tools``,
``add_generation_prompt``, ``bos_token`` and ``eos_token``.

``gguf_chat_template`` reads the template and its BOS/EOS token texts from a GGUF file.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from jinja2 import Template
from jinja2.exceptions import SecurityError, TemplateSyntaxError
from jinja2.exceptions import TemplateError as JinjaTemplateError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from modelfile.errors import NoTemplateError, TemplateError, TemplateExecutionError
from modelfile.gguf_metadata import read_metadata, read_metadata_bytes

KEY = "tokenizer.chat_template"


@dataclass(frozen=True)
class ChatTemplate:
    """A Jinja chat template and the special-token texts it may print."""

    source: str
    bos_token: str = ""
    eos_token: str = ""

    def compile(self) -> Template:
        """The template compiled; ``TemplateError`` (with its line) when it is not valid Jinja."""
        try:
            return _environment().from_string(self.source)
        except TemplateSyntaxError as error:
            raise TemplateError(f"Jinja syntax error: {error.message}", line=error.lineno or 1) from None

    def render(self, messages: Sequence[Mapping[str, Any]], tools: Sequence[Any] | None = None) -> str:
        """The prompt for a conversation (Ollama's API JSON), with the generation prompt.

        >>> ChatTemplate("{% for m in messages %}<{{ m.role }}>{{ m.content }}{% endfor %}"
        ...              "{% if add_generation_prompt %}<assistant>{% endif %}").render(
        ...     [{"role": "user", "content": "Hi"}])
        '<user>Hi<assistant>'
        """
        template = self.compile()
        try:
            return template.render(
                messages=list(messages),
                tools=list(tools) if tools else None,
                add_generation_prompt=True,
                bos_token=self.bos_token,
                eos_token=self.eos_token,
                raise_exception=_raise_exception,
                strftime_now=_strftime_now,
            )
        except SecurityError as error:
            raise TemplateExecutionError(f"refused by the sandbox: {error}") from None
        except JinjaTemplateError as error:
            raise TemplateExecutionError(f"Jinja error: {error}") from None
        except RecursionError:
            raise TemplateExecutionError("the template nests too deeply") from None


def gguf_chat_template(data: bytes | str | os.PathLike[str], name: str) -> ChatTemplate:
    """The ``tokenizer.chat_template`` of a GGUF file (its content, or its path: then only
    the header is read), with its BOS/EOS texts; ``NoTemplateError`` when it has none."""
    arrays = ["tokenizer.ggml.tokens"]
    if isinstance(data, bytes):
        meta = read_metadata_bytes(data, name, arrays=arrays)
    else:
        meta = read_metadata(data, arrays=arrays)
    source = meta.metadata.get(KEY)
    if not isinstance(source, str):
        raise NoTemplateError(f"{name} is a GGUF file without a {KEY}")
    tokens = meta.metadata.get("tokenizer.ggml.tokens")

    def token(key: str) -> str:
        index = meta.metadata.get(key)
        if isinstance(tokens, list) and isinstance(index, int) and 0 <= index < len(tokens):
            return str(tokens[index])
        return ""

    return ChatTemplate(source, token("tokenizer.ggml.bos_token_id"), token("tokenizer.ggml.eos_token_id"))


def _environment() -> ImmutableSandboxedEnvironment:
    environment = ImmutableSandboxedEnvironment(
        trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
    )
    environment.filters["tojson"] = _tojson
    return environment


def _raise_exception(message: str) -> None:
    raise TemplateExecutionError(f"the chat template refused the conversation: {message}")


def _strftime_now(fmt: str) -> str:
    return datetime.now().strftime(fmt)


def _tojson(
    value: Any,
    ensure_ascii: bool = False,
    indent: int | None = None,
    separators: tuple[str, str] | None = None,
    sort_keys: bool = False,
) -> str:
    return json.dumps(value, ensure_ascii=ensure_ascii, indent=indent, separators=separators, sort_keys=sort_keys)
