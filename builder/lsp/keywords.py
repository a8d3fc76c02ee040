"""What each Modelfile command does and how it is written, for hover and completion."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandDoc:
    keyword: str
    summary: str
    forms: tuple[str, ...]


COMMAND_DOCS: dict[str, CommandDoc] = {
    doc.keyword: doc
    for doc in (
        CommandDoc(
            "FROM",
            "The base model (required): a model name from the store or a registry, a GGUF file, a "
            "safetensors folder, or a blob. The last FROM wins.",
            ("FROM llama3.2", "FROM ./model.gguf", "FROM ./safetensors-folder"),
        ),
        CommandDoc(
            "PARAMETER",
            "Sets a runtime option (sampling, context, stop sequences). Names are case-sensitive; "
            "`stop` may be repeated.",
            ("PARAMETER temperature 0.7", 'PARAMETER stop "<|eot_id|>"'),
        ),
        CommandDoc(
            "TEMPLATE",
            "The Go `text/template` that turns the system prompt, messages and tools into the prompt. "
            "Replaces the base model's template.",
            ('TEMPLATE """{{ if .System }}{{ .System }}\n{{ end }}{{ .Prompt }}"""',),
        ),
        CommandDoc(
            "SYSTEM",
            "The default system prompt, used when a request gives none.",
            ("SYSTEM You are a helpful assistant.", 'SYSTEM """Several\nlines"""'),
        ),
        CommandDoc(
            "ADAPTER",
            "A (Q)LoRA adapter applied to the base model: a GGUF file or a safetensors folder.",
            ("ADAPTER ./adapter.gguf", "ADAPTER ./lora-folder"),
        ),
        CommandDoc(
            "LICENSE",
            "The model's licence text; every LICENSE is kept.",
            ('LICENSE """MIT License ..."""',),
        ),
        CommandDoc(
            "MESSAGE",
            "A message of the conversation history that starts every chat. Roles: system, user, assistant.",
            ("MESSAGE user Is Toronto in Canada?", "MESSAGE assistant yes"),
        ),
        CommandDoc("DRAFT", "A draft model for speculative decoding.", ("DRAFT qwen3:0.6b",)),
        CommandDoc(
            "RENDERER",
            "The name of a built-in chat renderer used instead of a TEMPLATE.",
            ("RENDERER qwen3-coder",),
        ),
        CommandDoc(
            "PARSER",
            "The name of a built-in output parser (thinking, tool calls).",
            ("PARSER qwen3-coder",),
        ),
        CommandDoc(
            "REQUIRES",
            "The minimum Ollama version that can run this model (a semantic version).",
            ("REQUIRES 0.12.0",),
        ),
    )
}


def command_markdown(keyword: str) -> str | None:
    """Hover text of a command keyword (any case).

    >>> command_markdown("from").splitlines()[0][:40]
    '**FROM**: the base model (required): a m'
    """
    doc = COMMAND_DOCS.get(keyword.upper())
    if doc is None:
        return None
    forms = "\n".join(doc.forms)
    return f"**{doc.keyword}**: {doc.summary[0].lower()}{doc.summary[1:]}\n\n```modelfile\n{forms}\n```"
