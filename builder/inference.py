"""One call, one answer: ``generate``, ``chat`` and ``embed`` for the Python user who
does not want to keep a model loaded.  Each call loads the model, answers and frees
it; to ask several questions, or to stream, keep a ``builder.Runner``.

``options`` are Ollama's (``{"temperature": 0, "num_ctx": 2048, "stop": ["\\n"]}``),
load-time ones included; ``store`` is a ``Store``, its folder, or ``None`` for the
default store (``$MFC_MODELS``, else ``$OLLAMA_MODELS``, else ``~/.ollama/models``).

>>> import builder
>>> answer = builder.generate("smollm2", "Why is the sky blue?", options={"seed": 1})  # doctest: +SKIP
>>> answer.response, answer.eval_count                                               # doctest: +SKIP
>>> reply = builder.chat("smollm2", [{"role": "user", "content": "Hi!"}])             # doctest: +SKIP
>>> reply.message                                                                    # doctest: +SKIP
{'role': 'assistant', 'content': 'Hello! How can I help you today?'}
>>> builder.embed("all-minilm", ["a cat", "a dog"]).embeddings[0][:3]                # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from builder.generation import Embeddings, Generation
from builder.prompts import Message
from builder.run import Format, Runner
from builder.store import StoreLike


def generate(
    name: str,
    prompt: str,
    *,
    store: StoreLike = None,
    options: Mapping[str, object] | None = None,
    system: str | None = None,
    format: Format = None,  # noqa: A002 - Ollama's field name
    verbose: bool = False,
) -> Generation:
    """The model ``name``'s answer to ``prompt`` (Ollama's ``/api/generate``):
    ``system`` replaces the model's SYSTEM, ``format`` is ``"json"`` or a JSON schema."""
    with Runner(store, name, overrides=options, verbose=verbose) as runner:
        return runner.generate(prompt, system=system, format=format)


def chat(
    name: str,
    messages: Sequence[Message],
    *,
    store: StoreLike = None,
    options: Mapping[str, object] | None = None,
    tools: list[Any] | None = None,
    format: Format = None,  # noqa: A002 - Ollama's field name
    verbose: bool = False,
) -> Generation:
    """The assistant's answer to ``messages`` (``{"role": …, "content": …}`` dicts,
    Ollama's ``/api/chat``), after the model's own MESSAGEs; ``.message`` is the reply."""
    with Runner(store, name, overrides=options, verbose=verbose) as runner:
        return runner.chat(messages, tools=tools, format=format)


def embed(
    name: str,
    texts: str | Sequence[str],
    *,
    store: StoreLike = None,
    options: Mapping[str, object] | None = None,
    truncate: bool = True,
    dimensions: int | None = None,
    verbose: bool = False,
) -> Embeddings:
    """L2-normalised vectors for ``texts`` and the tokens embedded (Ollama's
    ``/api/embed``), from a model whose GGUF sets a pooling type."""
    with Runner(store, name, overrides=options, verbose=verbose) as runner:
        return runner.embed(texts, truncate=truncate, dimensions=dimensions)
