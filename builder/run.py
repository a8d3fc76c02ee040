"""Running a stored model with llama-cpp-python, as Ollama's server would.

A ``Runner`` is a loaded model.  Its params layer (and the ``overrides`` given when
loading) become llama.cpp settings: context, threads, batch and mmap when the model
loads (``run_options.LOAD_OPTIONS``); the samplers, seed, ``num_predict`` and ``stop``
are the defaults of every request, which can change them (``options=``).  SYSTEM,
MESSAGEs and TEMPLATE shape the prompt (``prompts.py``); an ADAPTER layer is applied as
a LoRA.  A model whose GGUF sets a pooling type is an embedding model: it embeds and
does not generate.

Requests stream typed chunks (``streaming.py``), decoded by the runner's batching
engine (``builder.batching``): ``parallel`` requests decode together, more wait their
turn; ``generate`` and ``chat`` wait for the whole answer; ``embed`` returns vectors
(concurrent calls are embedded together).  Records carry Ollama's field names.

>>> with Runner(None, "smollm2") as runner:                                   # doctest: +SKIP
...     for chunk in runner.stream("Why is the sky blue?", options={"temperature": 0}):
...         print(getattr(chunk, "text", ""), end="")
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Mapping, Sequence
from types import TracebackType
from typing import Any

from builder import llama_log
from builder.batching import EmbeddingBatcher, Engine, SamplerSettings
from builder.batching.sampler import sampler_chain
from builder.errors import CapabilityError, OptionError, RunError, StoreError
from builder.generation import Embeddings, Generation
from builder.manifest import ADAPTER, DRAFT, MODEL, PROJECTOR
from builder.prompts import DEFAULT_TEMPLATE, GoTemplate, JinjaChatTemplate, Message, PromptFormat, conversation, fit
from builder.run_options import DEFAULT_NUM_CTX as DEFAULT_NUM_CTX  # where it used to be defined
from builder.run_options import LOAD_OPTIONS, effective_options, request_options
from builder.show import ModelView, capabilities, load
from builder.store import StoreLike, as_store
from builder.streaming import GenerationStream, Request, Signal
from modelfile.gguf_metadata import GGUFError, read_metadata
from modelfile.go.fmt import go_quote

MAX_THREADS = 2048  # far more than any machine has; llama.cpp aborts the process on huge counts

Format = str | Mapping[str, Any] | None


class Runner:
    """A loaded model: stream, generate and chat answers, or embed texts.

    ``store`` is a ``Store``, its folder, or ``None`` for the default store;
    ``overrides`` are options (Ollama's names and types) over the model's PARAMETERs,
    load-time ones included.  ``default_num_ctx`` is the context when neither sets
    ``num_ctx`` (a server's ``OLLAMA_CONTEXT_LENGTH``; 0: ``DEFAULT_NUM_CTX``);
    ``parallel``: how many requests decode at once (sequence slots of ``num_ctx`` tokens
    each; 1 for an embedding model, as in Ollama).  Use it as a context manager to free
    the model at the end.
    """

    def __init__(
        self,
        store: StoreLike,
        name: str,
        *,
        overrides: Mapping[str, object] | None = None,
        verbose: bool = False,
        default_num_ctx: int = 0,
        parallel: int = 1,
    ) -> None:
        started = time.perf_counter_ns()
        self.store = as_store(store)
        self.requested = name  # as the caller spelled it: Ollama's capability errors quote it
        self.view: ModelView = load(self.store, name)
        self.name = self.view.name
        self.overrides = request_options(overrides)  # the options the caller set, over the model's
        self.system = self.view.system
        self.notes: list[str] = []
        self.capabilities = tuple(capabilities(self.store, self.view))
        embedding = "embedding" in self.capabilities
        self.options = effective_options(
            self.view.parameters,
            self.overrides,
            context_length=default_num_ctx,
            embedding=embedding,
            draft=bool(self.view.model.manifest.layers_of(DRAFT)),
        )
        self.llm = self._load(verbose, embedding=embedding)
        self.format = self._prompt_format()
        self.parallel = 1 if embedding else max(1, parallel)
        self.engine: Engine | None = None
        self._embedder = EmbeddingBatcher(self._embed_together)
        if not embedding:
            try:
                self.engine = Engine(self.llm, parallel=self.parallel, num_ctx=self.num_ctx, name=self.name)
            except BaseException:
                self.llm.close()
                raise
        self.notes += [f"llama.cpp: {line}" for line in llama_log.take_errors()]
        self.load_duration = time.perf_counter_ns() - started

    @property
    def active(self) -> int:
        """Requests decoding now (each in a sequence slot)."""
        return self.engine.active if self.engine is not None else 0

    @property
    def waiting(self) -> int:
        """Requests waiting for a slot."""
        return self.engine.waiting if self.engine is not None else 0

    def __enter__(self) -> Runner:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        """Free the model; the runner cannot be used afterwards (requests still
        decoding end with an error)."""
        if self.engine is not None:
            self.engine.close()
        self.llm.close()

    # ---- loading -------------------------------------------------------------------------------

    def _load(self, verbose: bool, embedding: bool) -> Any:
        manifest = self.view.model.manifest
        models = manifest.layers_of(MODEL)
        if not models:
            raise RunError(f"{self.name} has no model layer")
        self.model_path = self.store.blob_path(models[-1].digest)
        if not self.model_path.is_file():
            raise StoreError(f"{self.name}: blob {models[-1].digest} is missing (run mfc verify)")
        adapters = manifest.layers_of(ADAPTER)
        if len(adapters) > 1:
            raise RunError(f"{self.name} has {len(adapters)} adapters; llama-cpp-python applies one")
        if manifest.layers_of(PROJECTOR):
            self.notes.append("the vision projector is not used: mfc run handles text only")
        if manifest.layers_of(DRAFT):
            self.notes.append("the draft model is not used: mfc run does not decode speculatively")
        try:
            self.meta = read_metadata(self.model_path)
        except GGUFError as error:
            raise RunError(str(error)) from None
        trained = self.meta.context_length
        asked = int({**self.view.parameters, **self.overrides}.get("num_ctx") or 0)
        num_ctx = int(self.options["num_ctx"])
        if trained and num_ctx > trained:
            if asked:  # Ollama's default is cut to the model's without a word
                self.notes.append(f"num_ctx {num_ctx} is more than the model was trained for; using {trained}")
            num_ctx = trained
        self.num_ctx = num_ctx
        repeat_last_n = int(self.options.get("repeat_last_n", 64))
        try:
            from llama_cpp import Llama
        except ImportError:
            raise RunError("running models needs llama-cpp-python: pip install 'mfc[run]'") from None
        llama_log.install(verbose=verbose)
        llama_log.take_errors()
        settings: dict[str, Any] = {
            "n_ctx": num_ctx,
            "n_batch": min(int(self.options.get("num_batch", 512)), num_ctx),  # Ollama's runner: at most num_ctx
            "n_gpu_layers": int(self.options.get("num_gpu", -1)),
            "last_n_tokens_size": num_ctx if repeat_last_n == -1 else min(max(repeat_last_n, 0), num_ctx),
            "embedding": embedding,
            "verbose": verbose,
        }
        if int(self.options.get("num_thread", 0)) > 0:
            settings["n_threads"] = int(self.options["num_thread"])
        self._check_load_numbers(settings)
        if "use_mmap" in self.options:
            settings["use_mmap"] = bool(self.options["use_mmap"])
        if "main_gpu" in self.options:
            settings["main_gpu"] = int(self.options["main_gpu"])
        if adapters:
            settings["lora_path"] = str(self.store.blob_path(adapters[0].digest))
        try:
            return Llama(model_path=str(self.model_path), **settings)
        except (ValueError, RuntimeError) as error:
            raise RunError(f"cannot load {self.name}: {llama_log.reason(error)}") from None

    def _check_load_numbers(self, settings: Mapping[str, Any]) -> None:
        """Numbers llama.cpp would abort the whole process on (it runs in the server's
        process, not in a runner of its own as in Ollama) are a ``RunError`` instead."""
        problems = {
            "num_ctx": not 0 < settings["n_ctx"] < 2**31,
            "num_batch": not 0 < settings["n_batch"] < 2**31,
            "num_gpu": not -(2**31) <= settings["n_gpu_layers"] < 2**31,
            "num_thread": not 0 < settings.get("n_threads", 1) <= MAX_THREADS,
        }
        for name, bad in problems.items():
            if bad:
                value = self.options.get(name)
                raise RunError(f"cannot load {self.name}: option {name} {value} is outside what llama.cpp takes")

    def _prompt_format(self) -> PromptFormat:
        if self.view.template is not None:
            return GoTemplate(self.view.template)
        chat_template = self.meta.metadata.get("tokenizer.chat_template")
        if isinstance(chat_template, str):
            return JinjaChatTemplate(
                chat_template, self._token_text(self.llm.token_bos()), self._token_text(self.llm.token_eos())
            )
        return GoTemplate(DEFAULT_TEMPLATE, "Ollama's default template")

    def _token_text(self, token: int) -> str:
        if token < 0:
            return ""
        text: bytes = self.llm.detokenize([token], special=True)
        return text.decode("utf-8", errors="replace")

    # ---- checks ----------------------------------------------------------------------------------

    def require(self, action: str) -> None:
        """Raise ``CapabilityError`` unless the model can ``generate``/``chat`` (a text
        model) or ``embed`` (a model whose GGUF sets a pooling type)."""
        if action == "embed":
            if "embedding" not in self.capabilities:
                raise CapabilityError(f"{self.name} does not support embeddings (its GGUF sets no pooling type)")
        elif "completion" not in self.capabilities:
            raise CapabilityError(f"{go_quote(self.requested)} does not support {action}")

    def check_options(self, options: Mapping[str, object] | None) -> dict[str, Any]:
        """The options a request runs with: ``options`` (checked) over the runner's.  A
        load-time option (``num_ctx`` …) may only repeat the value the model loaded with."""
        requested = request_options(options)
        for name in sorted(LOAD_OPTIONS & requested.keys()):
            loaded = self.num_ctx if name == "num_ctx" else self.options.get(name)
            if requested[name] not in (loaded, self.options.get(name)):
                raise OptionError(
                    f"{name} is set when the model loads: pass it as --parameter {name} VALUE"
                    " (or in the Runner's overrides)"
                )
        return {**self.options, **requested}

    # ---- prompts -------------------------------------------------------------------------------

    def tokenize(self, text: str) -> list[int]:
        """A prompt's tokens.  A GGUF Jinja template writes BOS itself (Hugging Face
        templates start with ``{{ bos_token }}``); after a Go template llama.cpp adds it
        where the vocabulary asks for it, as Ollama's runner does."""
        tokens: list[int] = self.llm.tokenize(
            text.encode("utf-8"), add_bos=not isinstance(self.format, JinjaChatTemplate), special=True
        )
        return tokens

    def count_tokens(self, text: str) -> int:
        return len(self.tokenize(text))

    def prompt_for(self, new: Sequence[Message], tools: list[Any] | None = None, *, system: str | None = None) -> str:
        """The prompt text for the model's MESSAGEs plus ``new``, with ``system`` (else the
        runner's ``system``, the model's SYSTEM at first), cut to fit the context."""
        messages = conversation(self.system if system is None else system, self.view.messages, new)
        return fit(messages, self.format, self.count_tokens, self.num_ctx, tools)

    # ---- generation ----------------------------------------------------------------------------

    def stream(
        self,
        messages: str | Sequence[Message],
        *,
        options: Mapping[str, object] | None = None,
        tools: list[Any] | None = None,
        format: Format = None,  # noqa: A002 - Ollama's field name
        system: str | None = None,
        cancel: Signal | None = None,
        rendered: str | None = None,
        logprobs: bool = False,
        top_logprobs: int = 0,
    ) -> GenerationStream:
        """Answer a prompt (a string: Ollama's generate) or a conversation (messages:
        its chat), as ``TextChunk``s then one ``Done``.  ``rendered``: the prompt text
        already built (raw mode, a request's own template): sent as it is.

        ``options`` override the runner's for this request only; ``format`` is ``"json"``
        or a JSON schema (constrained output); ``system`` replaces the model's SYSTEM;
        setting ``cancel`` (a ``threading.Event``) stops decoding after the current token;
        ``logprobs``: each ``TextChunk`` carries its tokens' log-probabilities, with the
        ``top_logprobs`` (0-20) most likely alternatives.  What is wrong with the request
        (capability, options, format, a prompt longer than the context) raises here,
        before any decoding."""
        action = "generate" if isinstance(messages, str) else "chat"
        new = [{"role": "user", "content": messages}] if isinstance(messages, str) else messages
        return self._open(action, new, options, tools, format, system, cancel, rendered, logprobs, top_logprobs)

    def generate(
        self,
        prompt: str | Sequence[Message],
        *,
        options: Mapping[str, object] | None = None,
        tools: list[Any] | None = None,
        format: Format = None,  # noqa: A002 - Ollama's field name
        system: str | None = None,
        cancel: Signal | None = None,
    ) -> Generation:
        """The whole answer to ``prompt`` (or to messages), as ``stream`` would give it."""
        new = [{"role": "user", "content": prompt}] if isinstance(prompt, str) else prompt
        return _drain(self._open("generate", new, options, tools, format, system, cancel))

    def chat(
        self,
        messages: Sequence[Message],
        *,
        options: Mapping[str, object] | None = None,
        tools: list[Any] | None = None,
        format: Format = None,  # noqa: A002 - Ollama's field name
        system: str | None = None,
        cancel: Signal | None = None,
    ) -> Generation:
        """The assistant's whole answer to ``messages`` (``Generation.message``)."""
        return _drain(self._open("chat", messages, options, tools, format, system, cancel))

    def _open(
        self,
        action: str,
        new: Sequence[Message],
        options: Mapping[str, object] | None,
        tools: list[Any] | None,
        format: Format,  # noqa: A002
        system: str | None,
        cancel: Signal | None,
        rendered: str | None = None,
        logprobs: bool = False,
        top_logprobs: int = 0,
    ) -> GenerationStream:
        started = time.perf_counter_ns()
        self.require(action)
        effective = self.check_options(options)
        grammar = _grammar(format)
        if grammar is not None and not _parses(self.llm, grammar):
            raise RunError("invalid format: llama.cpp cannot parse the grammar of this JSON schema")
        prompt = self.prompt_for(new, tools, system=system) if rendered is None else rendered
        tokens = self.tokenize(prompt)
        if len(tokens) >= self.num_ctx:
            raise RunError(f"the prompt is {len(tokens)} tokens; the context window is {self.num_ctx} (num_ctx)")
        if not 0 <= top_logprobs <= 20:
            raise OptionError("top_logprobs must be between 0 and 20")
        num_predict = int(effective.get("num_predict", -1))
        room = self.num_ctx - len(tokens)
        settings = SamplerSettings.from_options(effective)
        request = Request(
            model=self.name,
            prompt=prompt,
            tokens=tuple(tokens),
            limit=min(num_predict, room) if num_predict > 0 else room,
            stops=tuple(effective.get("stop") or ()),
            sampler=settings,
            grammar=grammar,
            logprobs=logprobs,
            top_logprobs=top_logprobs if logprobs else 0,
            started=started,
            load_duration=self.load_duration,
        )
        assert self.engine is not None  # require() refused an embedding model
        chain = sampler_chain(settings, self.llm, grammar, num_ctx=self.num_ctx)
        return GenerationStream(self.engine, request, chain, cancel=cancel, on_end=self._keep_log)

    def _keep_log(self) -> None:
        self.notes += [f"llama.cpp: {line}" for line in llama_log.take_errors()]

    def take_notes(self) -> list[str]:
        """Things the user should know (ignored layers, llama.cpp's non-fatal errors), once."""
        notes, self.notes = self.notes, []
        return notes

    # ---- embeddings ----------------------------------------------------------------------------

    def embed(
        self,
        texts: str | Sequence[str],
        *,
        truncate: bool = True,
        dimensions: int | None = None,
        normalize: bool = True,
    ) -> Embeddings:
        """L2-normalised embeddings, one per text, and the tokens embedded, as Ollama's
        ``/api/embed`` gives them: a text longer than the batch is cut (an error without
        ``truncate``); ``dimensions`` keeps that many leading values, normalised again.
        ``normalize=False``: the pooled vectors as they are (the legacy ``/api/embeddings``)."""
        started = time.perf_counter_ns()
        self.require("embed")
        inputs = [texts] if isinstance(texts, str) else list(texts)
        if not inputs:
            return Embeddings(model=self.name)
        if not truncate and any(len(self.llm.tokenize(text.encode("utf-8"))) > self.llm.n_batch for text in inputs):
            raise RunError("the input length exceeds the context length")
        try:
            vectors = self._embedder.embed(inputs, normalize=normalize)
        except (ValueError, RuntimeError) as error:
            raise RunError(f"{self.name}: {llama_log.reason(error)}") from None
        count = sum(min(len(self.llm.tokenize(text.encode("utf-8"))), self.llm.n_batch) for text in inputs)
        if any(vector and isinstance(vector[0], list) for vector in vectors):
            raise RunError(f"{self.name} pools nothing (pooling type none): it gives a vector per token, not per text")
        checked = [_shorten(vector, dimensions) for vector in vectors]
        return Embeddings(
            model=self.name,
            embeddings=checked,
            prompt_eval_count=count,
            total_duration=time.perf_counter_ns() - started + self.load_duration,
            load_duration=self.load_duration,
        )

    def _embed_together(self, texts: list[str], normalize: bool) -> list[list[float]]:
        """One llama.cpp embedding call for the texts of concurrent ``embed`` calls."""
        vectors: list[list[float]] = self.llm.embed(texts, normalize=normalize, truncate=True)
        return vectors


def _drain(stream: GenerationStream) -> Generation:
    for _ in stream:
        pass
    if stream.result is None:  # only a stream closed half-way has none
        raise RunError("the answer was closed before its end")
    return stream.result


def _shorten(vector: list[float], dimensions: int | None) -> list[float]:
    if not all(math.isfinite(value) for value in vector):
        raise RunError("embedding contains NaN or Inf values")
    if dimensions is None or not 0 < dimensions < len(vector):
        return vector
    kept = vector[:dimensions]
    norm = math.sqrt(sum(value * value for value in kept)) or 1.0
    return [value / norm for value in kept]


def _grammar(format: Format) -> Any:  # noqa: A002
    """llama.cpp's grammar for Ollama's ``format``: ``"json"``, a JSON schema, or off."""
    if format is None or format == "":
        return None
    from llama_cpp.llama_grammar import JSON_GBNF, LlamaGrammar

    if format == "json":
        return LlamaGrammar.from_string(JSON_GBNF, verbose=False)
    if isinstance(format, Mapping):
        try:
            repetitions = _repetitions(format)
        except RecursionError:
            raise RunError("invalid format: the JSON schema cannot be followed: it nests too deep") from None
        if repetitions > MAX_REPETITIONS:
            raise RunError(
                f"invalid format: the JSON schema asks for {repetitions} repetitions in all, more than "
                f"{MAX_REPETITIONS} (llama.cpp's grammar spells out each one)"
            )
        try:
            return LlamaGrammar.from_json_schema(json.dumps(format), verbose=False)
        except Exception as error:  # noqa: BLE001 - the schema converter raises plain Exception
            raise RunError(f"invalid format: the JSON schema cannot be followed: {error}") from None
    raise RunError(f'invalid format: {go_quote(json.dumps(format))}; expected "json" or a valid JSON Schema object')


def _parses(llm: Any, grammar: Any) -> bool:
    """Whether llama.cpp parses the grammar (a ``LlamaGrammar``): llama-cpp-python adds a
    grammar it cannot parse to its sampler chain as a null pointer, which crashes the
    process (``{"enum": []}`` gives ``root ::=`` and nothing)."""
    import llama_cpp

    vocab = llama_cpp.llama_model_get_vocab(llm.model)
    sampler = llama_cpp.llama_sampler_init_grammar(vocab, grammar._grammar.encode(), grammar._root.encode())
    if not sampler:
        return False
    llama_cpp.llama_sampler_free(sampler)
    return True


#: The bounds a ``format`` schema may ask for in all: llama.cpp's grammar writes out each
#: repetition, so ``{"minLength": 1000000000}`` would take the machine's memory.
MAX_REPETITIONS = 10_000
_BOUNDS = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties", "minContains")
_QUANTIFIER = re.compile(r"\{\s*([0-9]+)\s*(?:,\s*([0-9]*)\s*)?\}")


def _repetitions(schema: Any) -> int:
    """The repetitions a JSON schema's bounds and its patterns' ``{m,n}`` add up to.

    >>> _repetitions({"type": "array", "maxItems": 3, "items": {"type": "string", "pattern": "^a{2,5}$"}})
    8
    """
    if isinstance(schema, list):
        return sum(_repetitions(item) for item in schema)
    if not isinstance(schema, Mapping):
        return 0
    total = 0
    for key, value in schema.items():
        if key in _BOUNDS and isinstance(value, int | float) and not isinstance(value, bool):
            total += int(min(max(value, 0), 2**63))
        elif key == "pattern" and isinstance(value, str):
            total += sum(int(high or low) for low, high in _QUANTIFIER.findall(value))
        else:
            total += _repetitions(value)
    return total
