"""A stand-in for ``builder.Runner`` that answers what a test scripts, without llama.cpp:
the "mock runner" of Ollama's route tests (``../shared/vectors/api/README.md``, "The fake
backend").

``StandIn`` is the backend of one app: ``app(store, loader=backend.loader)`` loads a
``StandInRunner`` for each model, and a test sets ``backend.script`` (a vector's
``runner`` object) before a request.  Each runner builds the prompt with the ``Runner``'s
own ``prompt_for`` (SYSTEM, MESSAGEs, TEMPLATE, cut to the context), counts one token per
whitespace-separated word (as Ollama's mock does), records what it ``received`` (prompt,
tokens, options and anything else the route passed), and streams the script:

* ``{"content": text}``: one ``TextChunk``, then ``Done`` with 1 prompt token, 1 answer
  token and 1 ns for each;
* ``{"chunks": [...]}``: a ``TextChunk`` per chunk with content, then ``Done`` with the
  last chunk's ``done_reason`` and the chunks' counts (0 when missing);
* ``{"error": {"status", "message"}}``: the backend fails with that status before any
  output, when the stream is opened (``when="open"``) or read (``"read"``, the default:
  as a completion call fails in Ollama's mock).

It keeps to the ``Runner``'s public surface the server uses: ``view``, ``capabilities``,
``num_ctx``, ``stream(...)`` returning an iterable of chunks with ``prompt``,
``request.tokens``, ``result``, ``cancel()`` and ``close()``, and ``close()``.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from builder.generation import Chunk, Done, Generation, Logprob, TextChunk, TokenLogprob
from builder.prompts import DEFAULT_TEMPLATE, GoTemplate
from builder.run import Runner
from builder.run_options import effective_options, request_options
from builder.serve.errors import ApiError
from builder.show import capabilities, load
from builder.store import as_store


@dataclass(frozen=True)
class Received:
    """What one ``stream`` call gave the backend."""

    model: str
    prompt: str
    tokens: tuple[int, ...]
    options: dict[str, Any]
    extra: dict[str, Any]


@dataclass
class StandIn:
    """The backend of one app: the script of the next requests, and what they received."""

    script: dict[str, Any] = field(default_factory=dict)
    when: str = "read"
    received: list[Received] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    context_length: int = 0

    def loader(self, store: Any, name: str, options: dict[str, Any]) -> StandInRunner:
        """``LoadedModels``' loader: a ``StandInRunner`` for ``name``."""
        return StandInRunner(store, name, options, self)

    @property
    def last(self) -> Received:
        return self.received[-1]


class Words:
    """Ollama's mock tokenizer: one token per whitespace-separated word, ids by first use."""

    def __init__(self) -> None:
        self.ids: dict[str, int] = {}

    def __call__(self, text: str) -> list[int]:
        return [self.ids.setdefault(word, len(self.ids) + 1) for word in text.split()]


class StandInRunner(Runner):
    """A loaded model that answers ``backend.script``; the prompt is built by ``Runner``."""

    def __init__(self, store: Any, name: str, options: Mapping[str, object], backend: StandIn) -> None:
        started = time.perf_counter_ns()
        self.backend = backend
        self.store = as_store(store)
        self.requested = name
        self.view = load(self.store, name)
        self.name = self.view.name
        self.overrides = request_options(options)
        self.system = self.view.system
        self.notes: list[str] = []
        self.capabilities = tuple(capabilities(self.store, self.view))
        self.options = effective_options(
            self.view.parameters,
            self.overrides,
            context_length=backend.context_length,
            embedding="embedding" in self.capabilities,
        )
        self.num_ctx = int(self.options["num_ctx"])
        self.format = GoTemplate(self.view.template or DEFAULT_TEMPLATE)
        self.model_path = None
        self.words = Words()
        self.load_duration = time.perf_counter_ns() - started

    def tokenize(self, text: str) -> list[int]:
        return self.words(text)

    def stream(  # type: ignore[override]
        self,
        messages: str | Sequence[dict[str, Any]],
        *,
        options: Mapping[str, object] | None = None,
        tools: list[Any] | None = None,
        format: Any = None,  # noqa: A002 - Ollama's field name
        system: str | None = None,
        rendered: str | None = None,
        **extra: Any,
    ) -> StandInStream:
        started = time.perf_counter_ns()
        self.require("generate" if isinstance(messages, str) else "chat")
        effective = self.check_options(options)
        new = [{"role": "user", "content": messages}] if isinstance(messages, str) else list(messages)
        prompt = self.prompt_for(new, tools, system=system) if rendered is None else rendered
        tokens = tuple(self.tokenize(prompt))
        extra = {**extra, "tools": tools, "format": format}
        self.backend.received.append(Received(self.name, prompt, tokens, effective, extra))
        script = dict(self.backend.script)
        if "error" in script and self.backend.when == "open":
            raise ApiError(script["error"]["status"], script["error"]["message"])
        return StandInStream(self, prompt, tokens, script, started)

    def close(self) -> None:
        self.backend.closed.append(self.name)


@dataclass(frozen=True)
class StandInRequest:
    """The part of ``streaming.Request`` the server reads: the prompt's tokens."""

    tokens: tuple[int, ...]


class StandInStream:
    """The scripted answer, as a ``GenerationStream`` gives it."""

    def __init__(
        self, runner: StandInRunner, prompt: str, tokens: tuple[int, ...], script: dict[str, Any], started: int
    ):
        self.prompt = prompt
        self.request = StandInRequest(tokens)
        self.result: Generation | None = None
        self.cancelled = False
        self.closed = False
        self._chunks = self._answer(runner, script, started)

    def __iter__(self) -> StandInStream:
        return self

    def __next__(self) -> Chunk:
        if self.closed:
            raise StopIteration
        return next(self._chunks)

    def cancel(self) -> None:
        self.cancelled = True

    def close(self) -> None:
        self.closed = True

    def _answer(self, runner: StandInRunner, script: dict[str, Any], started: int) -> Iterator[Chunk]:
        if "error" in script:
            raise ApiError(script["error"]["status"], script["error"]["message"])
        one = {"prompt_eval_count": 1, "prompt_eval_duration": 1, "eval_count": 1, "eval_duration": 1}
        single = {"content": script.get("content", ""), "logprobs": script.get("logprobs", []), "done": True, **one}
        chunks = script.get("chunks") or [single]
        text, reason = [], "stop"
        counts = dict.fromkeys(one, 0)
        for chunk in chunks:
            if self.cancelled:
                reason = "cancel"
                break
            if chunk.get("content"):
                text.append(chunk["content"])
                yield TextChunk(chunk["content"], tuple(_logprob(entry) for entry in chunk.get("logprobs", [])))
            for key in counts:
                counts[key] += int(chunk.get(key, 0))
            reason = chunk.get("done_reason") or reason
        response = "".join(text)
        self.result = Generation(
            model=runner.name,
            response=response,
            done_reason=reason,
            prompt=self.prompt,
            total_duration=time.perf_counter_ns() - started + runner.load_duration,
            load_duration=runner.load_duration,
            tokens=runner.tokenize(response),
            **counts,
        )
        yield Done(self.result)


def _logprob(entry: dict[str, Any]) -> Logprob:
    """A vector's logprob entry (Ollama's JSON, ``{}`` for an empty one) as the runner's."""
    token = str(entry.get("token", ""))
    alternatives = tuple(
        TokenLogprob.of(str(top["token"]).encode(), float(top["logprob"])) for top in entry.get("top_logprobs", [])
    )
    return Logprob(token, float(entry.get("logprob", 0.0)), tuple(token.encode()), alternatives)
