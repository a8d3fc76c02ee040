"""Running a stored model with llama-cpp-python, as ``ollama run`` would.

A model's params layer (and any overrides) become llama.cpp settings: context,
threads, batch and mmap when the model loads; the samplers, seed, ``num_predict`` and
``stop`` on every generation.  Its SYSTEM, MESSAGEs and TEMPLATE shape the prompt
(``chat.py``), its ADAPTER layer is applied as a LoRA.  Timings and counts are those
of Ollama's final ``/api/generate`` record, in nanoseconds.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from builder import llama_log
from builder.chat import DEFAULT_TEMPLATE, GoTemplate, JinjaChatTemplate, Message, PromptFormat, conversation, fit
from builder.errors import StoreError
from builder.manifest import ADAPTER, DRAFT, MODEL, PROJECTOR
from builder.show import ModelView, load
from builder.store import Store
from builder.textstream import TextStream
from modelfile.errors import MfcError
from modelfile.gguf_metadata import GGUFError, read_metadata
from modelfile.parameters import PARAMETERS, Kind, ParameterError, convert

DEFAULT_NUM_CTX = 4096  # Ollama's choice on a machine without a large GPU


class RunError(MfcError):
    """The model cannot be loaded or run; the message says why (with llama.cpp's reason)."""


@dataclass
class Generation:
    """One answer, with the fields of Ollama's final ``/api/generate`` record."""

    model: str
    response: str = ""
    done_reason: str = "stop"
    prompt: str = ""
    total_duration: int = 0
    load_duration: int = 0
    prompt_eval_count: int = 0
    prompt_eval_duration: int = 0
    eval_count: int = 0
    eval_duration: int = 0
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat())
    tokens: list[int] = field(default_factory=list)  # the answer's token ids, as sampled

    def to_dict(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "created_at": self.created_at,
            "response": self.response,
            "done": True,
            "done_reason": self.done_reason,
            "total_duration": self.total_duration,
            "load_duration": self.load_duration,
            "prompt_eval_count": self.prompt_eval_count,
            "prompt_eval_duration": self.prompt_eval_duration,
            "eval_count": self.eval_count,
            "eval_duration": self.eval_duration,
        }


def typed_parameter(name: str, value: str) -> Any:
    """``/set parameter`` and ``--parameter`` values, checked as PARAMETER lines are."""
    try:
        typed = convert(name, value)
    except ParameterError as error:
        raise RunError(str(error)) from None
    if typed is None:
        raise RunError(f"parameter {name} is deprecated and ignored")
    return typed


def merge_options(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    """Ollama's defaults, then the model's params, then the overrides (a list replaces)."""
    merged = {name: spec.default for name, spec in PARAMETERS.items() if spec.default is not None}
    merged.update(base)
    merged.update(overrides)
    return merged


class Runner:
    """A loaded model: generate answers, embed texts."""

    def __init__(
        self,
        store: Store,
        name: str,
        *,
        overrides: dict[str, Any] | None = None,
        verbose: bool = False,
        embedding: bool = False,
    ) -> None:
        started = time.perf_counter_ns()
        self.view: ModelView = load(store, name)
        self.name = self.view.name
        self.store = store
        self.options = merge_options(self.view.parameters, overrides or {})
        self.system = self.view.system
        self.history: list[Message] = [dict(m) for m in self.view.messages]
        self.notes: list[str] = []
        self.llm = self._load(verbose, embedding)
        self.format = self._prompt_format()
        self.notes += [f"llama.cpp: {line}" for line in llama_log.take_errors()]
        self.load_duration = time.perf_counter_ns() - started

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
        num_ctx = int(self.options.get("num_ctx") or 0) or DEFAULT_NUM_CTX
        if trained and num_ctx > trained:
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
            "n_batch": int(self.options.get("num_batch", 512)),
            "n_gpu_layers": int(self.options.get("num_gpu", -1)),
            "last_n_tokens_size": num_ctx if repeat_last_n == -1 else max(repeat_last_n, 0),
            "embedding": embedding,
            "verbose": verbose,
        }
        if int(self.options.get("num_thread", 0)) > 0:
            settings["n_threads"] = int(self.options["num_thread"])
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

    # ---- prompts and generation ------------------------------------------------------------------

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

    def prompt_for(self, new: Sequence[Message], tools: list[Any] | None = None) -> str:
        messages = conversation(self.system, self.history, new)
        return fit(messages, self.format, self.count_tokens, self.num_ctx, tools)

    def set_option(self, name: str, value: str) -> None:
        """``/set parameter NAME VALUE``: sampling options change at once; load-time ones
        (num_ctx, num_batch, ...) are refused rather than silently ignored."""
        if name in ("num_ctx", "num_batch", "num_gpu", "main_gpu", "use_mmap", "num_thread", "repeat_last_n"):
            raise RunError(f"{name} is set when the model loads: pass it as --parameter {name} VALUE")
        typed = typed_parameter(name, value)
        self.options[name] = [str(typed)] if PARAMETERS[name].kind is Kind.STRINGS else typed

    def generate(
        self, new: Sequence[Message], on_text: Callable[[str], None] | None = None, tools: list[Any] | None = None
    ) -> Generation:
        """Answer the conversation so far plus ``new``, streaming text to ``on_text``."""
        started = time.perf_counter_ns()
        prompt = self.prompt_for(new, tools)
        tokens = self.tokenize(prompt)
        if len(tokens) >= self.num_ctx:
            raise RunError(f"the prompt is {len(tokens)} tokens; the context window is {self.num_ctx} (num_ctx)")
        options = self.options
        num_predict = int(options.get("num_predict", -1))
        limit = num_predict if num_predict > 0 else self.num_ctx - len(tokens)
        stream = TextStream(list(options.get("stop") or []), on_text)
        completion: list[int] = []
        reason, first, evaluated = "length", 0, 0
        seed = int(options.get("seed", -1))
        self.llm.set_seed(seed if seed >= 0 else -1)  # -1: llama.cpp draws a random seed
        penalty = float(options["repeat_penalty"]) if int(options.get("repeat_last_n", 64)) != 0 else 1.0
        try:
            for token in self.llm.generate(
                tokens,
                top_k=int(options["top_k"]),
                top_p=float(options["top_p"]),
                min_p=float(options["min_p"]),
                typical_p=float(options["typical_p"]),
                temp=float(options["temperature"]),
                repeat_penalty=penalty,
                presence_penalty=float(options["presence_penalty"]),
                frequency_penalty=float(options["frequency_penalty"]),
            ):
                first = first or time.perf_counter_ns()
                evaluated += 1
                if self._end_of_generation(token):
                    reason = "stop"
                    break
                piece = self.llm.detokenize([token], prev_tokens=tokens + completion)
                completion.append(token)
                if stream.feed(piece):
                    reason = "stop"
                    break
                if len(completion) >= limit:
                    break
        except (ValueError, RuntimeError) as error:
            raise RunError(f"{self.name}: {llama_log.reason(error)}") from None
        response = stream.finish()
        finished = time.perf_counter_ns()
        self.notes += [f"llama.cpp: {line}" for line in llama_log.take_errors()]
        first = first or finished
        return Generation(
            model=self.name,
            response=response,
            done_reason=reason,
            prompt=prompt,
            total_duration=finished - started + self.load_duration,
            load_duration=self.load_duration,
            prompt_eval_count=len(tokens),
            prompt_eval_duration=first - started,
            eval_count=evaluated,
            eval_duration=finished - first,
            tokens=completion,
        )

    def _end_of_generation(self, token: int) -> bool:
        import llama_cpp

        return bool(llama_cpp.llama_vocab_is_eog(self.llm._model.vocab, token))

    def take_notes(self) -> list[str]:
        """Things the user should know (ignored layers, llama.cpp's non-fatal errors), once."""
        notes, self.notes = self.notes, []
        return notes

    def remember(self, new: Sequence[Message], answer: str) -> None:
        """Keep an exchange in the conversation (interactive mode)."""
        self.history += [*new, {"role": "assistant", "content": answer}]

    def clear(self) -> None:
        self.history = [dict(m) for m in self.view.messages]

    # ---- embeddings ----------------------------------------------------------------------------

    def embed(self, texts: Sequence[str]) -> list[list[float]]:
        """L2-normalised embeddings, one per text, as Ollama's ``/api/embed`` returns them."""
        if self.meta.arch_value("pooling_type") is None:
            raise RunError(f"{self.name} does not support embeddings (its GGUF sets no pooling type)")
        vectors: list[list[float]] = self.llm.embed(list(texts), normalize=True, truncate=False)
        return vectors
