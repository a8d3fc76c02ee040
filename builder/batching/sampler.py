"""A sequence's own llama.cpp sampler chain, built from Ollama's options: repetition
penalties, the format's grammar, then greedy at temperature 0, else mirostat 1 or 2,
else top-k, typical, top-p, min-p, temperature and a seeded draw.  Each sequence has
its own chain, so its penalties, grammar state and random numbers are its own.

>>> settings = SamplerSettings.from_options({"temperature": 0.8, "seed": 42, "top_k": 20})
>>> settings.temperature, settings.top_k, settings.seed, settings.penalty_last_n(num_ctx=2048)
(0.8, 20, 42, 64)
>>> SamplerSettings.from_options({"repeat_last_n": -1}).penalty_last_n(num_ctx=2048)
2048
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from builder.errors import RunError

#: llama.cpp's "draw a random seed".
RANDOM_SEED = 0xFFFFFFFF


@dataclass(frozen=True)
class SamplerSettings:
    """The sampling options of one request (Ollama's names and defaults)."""

    temperature: float = 0.8
    top_k: int = 40
    top_p: float = 0.9
    min_p: float = 0.0
    typical_p: float = 1.0
    repeat_last_n: int = 64
    repeat_penalty: float = 1.1
    presence_penalty: float = 0.0
    frequency_penalty: float = 0.0
    mirostat: int = 0
    mirostat_tau: float = 5.0
    mirostat_eta: float = 0.1
    seed: int = -1  # negative: a random one

    @classmethod
    def from_options(cls, options: Mapping[str, Any]) -> SamplerSettings:
        """The settings for a request's effective options (missing ones: Ollama's defaults)."""
        default = cls()
        return cls(
            temperature=float(options.get("temperature", default.temperature)),
            top_k=int(options.get("top_k", default.top_k)),
            top_p=float(options.get("top_p", default.top_p)),
            min_p=float(options.get("min_p", default.min_p)),
            typical_p=float(options.get("typical_p", default.typical_p)),
            repeat_last_n=int(options.get("repeat_last_n", default.repeat_last_n)),
            repeat_penalty=float(options.get("repeat_penalty", default.repeat_penalty)),
            presence_penalty=float(options.get("presence_penalty", default.presence_penalty)),
            frequency_penalty=float(options.get("frequency_penalty", default.frequency_penalty)),
            mirostat=int(options.get("mirostat", default.mirostat)),
            mirostat_tau=float(options.get("mirostat_tau", default.mirostat_tau)),
            mirostat_eta=float(options.get("mirostat_eta", default.mirostat_eta)),
            seed=int(options.get("seed", default.seed)),
        )

    def penalty_last_n(self, *, num_ctx: int) -> int:
        """How many recent tokens the penalties look at (-1: the whole context)."""
        return num_ctx if self.repeat_last_n < 0 else self.repeat_last_n

    @property
    def llama_seed(self) -> int:
        return self.seed if self.seed >= 0 else RANDOM_SEED


def sampler_chain(settings: SamplerSettings, llm: Any, grammar: Any, *, num_ctx: int) -> Any:
    """A new chain (``llama_cpp._internals.LlamaSampler``, freed by ``close()``) for one
    sequence of ``llm``'s model; ``grammar`` is a ``LlamaGrammar`` or ``None``."""
    import llama_cpp
    from llama_cpp import _internals

    internals: Any = _internals  # untyped
    chain = internals.LlamaSampler()
    n_vocab = int(llm.n_vocab())
    last_n = settings.penalty_last_n(num_ctx=num_ctx)
    if last_n != 0 and (
        settings.repeat_penalty != 1.0 or settings.presence_penalty != 0.0 or settings.frequency_penalty != 0.0
    ):
        chain.add_penalties(
            n_vocab, last_n, settings.repeat_penalty, settings.frequency_penalty, settings.presence_penalty
        )
    if grammar is not None:
        native = llama_cpp.llama_sampler_init_grammar(
            llm._model.vocab, grammar._grammar.encode("utf-8"), grammar._root.encode("utf-8")
        )
        if not native:
            chain.close()
            raise RunError("invalid format: llama.cpp cannot parse its grammar")
        llama_cpp.llama_sampler_chain_add(chain.sampler, native)
    seed = settings.llama_seed
    if settings.temperature <= 0:
        chain.add_greedy()
    elif settings.mirostat == 1:
        chain.add_temp(settings.temperature)
        chain.add_mirostat(n_vocab, seed, settings.mirostat_tau, settings.mirostat_eta, 100)
    elif settings.mirostat == 2:
        chain.add_temp(settings.temperature)
        chain.add_mirostat_v2(seed, settings.mirostat_tau, settings.mirostat_eta)
    else:
        if settings.top_k > 0:
            chain.add_top_k(settings.top_k)
        chain.add_typical(settings.typical_p, 1)
        chain.add_top_p(settings.top_p, 1)
        chain.add_min_p(settings.min_p, 1)
        chain.add_temp(settings.temperature)
        chain.add_dist(seed)
    return chain
