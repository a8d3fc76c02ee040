"""PARAMETER names, their Go types, and how ``ollama create`` converts them.

The parser accepts any name; ``ollama create`` (``api.FormatParams``) then looks the
name up in ``api.Options`` and converts the value with Go's ``strconv``.  The texts in
``ParameterError`` are Ollama's, word for word.  Sane ranges are mfc's advice, not
Ollama's rules: values outside them are accepted by Ollama and flagged by the linter.
"""

from __future__ import annotations

import difflib
import enum
import math
from dataclasses import dataclass

from modelfile.errors import MfcError
from modelfile.go.strconv import SyntaxOrRangeError, parse_bool, parse_float32, parse_int


class Kind(enum.Enum):
    INT = "int"
    FLOAT = "float"
    BOOL = "bool"
    STRINGS = "string list"


@dataclass(frozen=True)
class Spec:
    """One parameter Ollama accepts."""

    name: str
    kind: Kind
    default: object  # Ollama's default (``api.DefaultOptions``); None when unset
    summary: str
    low: float | None = None  # sane range, both ends included
    high: float | None = None

    def sane(self, value: float) -> bool:
        return (self.low is None or value >= self.low) and (self.high is None or value <= self.high)

    def range_text(self) -> str:
        if self.low is not None and self.high is not None:
            return f"between {self.low:g} and {self.high:g}"
        if self.low is not None:
            return f"at least {self.low:g}"
        return f"at most {self.high:g}"


PARAMETERS: dict[str, Spec] = {
    spec.name: spec
    for spec in (
        Spec("num_ctx", Kind.INT, 0, "context window in tokens (0: chosen from free memory)", 0),
        Spec("num_batch", Kind.INT, 512, "prompt tokens processed per batch", 1),
        Spec("num_gpu", Kind.INT, -1, "layers to offload to the GPU (-1: automatic)", -1),
        Spec("main_gpu", Kind.INT, None, "GPU for small tensors when several are used", 0),
        Spec("use_mmap", Kind.BOOL, None, "memory-map the model file"),
        Spec("num_thread", Kind.INT, 0, "CPU threads (0: automatic)", 0),
        Spec("draft_num_predict", Kind.INT, 4, "tokens the draft model proposes per step (0: off)", 0),
        Spec("num_keep", Kind.INT, 4, "prompt tokens kept when the context is shifted", -1),
        Spec("seed", Kind.INT, -1, "random seed (-1: random)"),
        Spec("num_predict", Kind.INT, -1, "most tokens to generate (-1: no limit)", -2),
        Spec("top_k", Kind.INT, 40, "sample from the k most likely tokens", 0),
        Spec("top_p", Kind.FLOAT, 0.9, "nucleus sampling probability mass", 0, 1),
        Spec("min_p", Kind.FLOAT, 0.0, "minimum probability relative to the most likely token", 0, 1),
        Spec("typical_p", Kind.FLOAT, 1.0, "locally typical sampling (1: off)", 0, 1),
        Spec("repeat_last_n", Kind.INT, 64, "tokens looked back for repetition (0: off, -1: num_ctx)", -1),
        Spec("temperature", Kind.FLOAT, 0.8, "sampling temperature", 0, 2),
        Spec("repeat_penalty", Kind.FLOAT, 1.0, "penalty for repeated tokens (1: off)", 0, 2),
        Spec("presence_penalty", Kind.FLOAT, 0.0, "penalty for tokens already present", -2, 2),
        Spec("frequency_penalty", Kind.FLOAT, 0.0, "penalty by how often a token appeared", -2, 2),
        Spec("stop", Kind.STRINGS, None, "stop sequence; repeat the line for several"),
    )
}

#: Accepted by ``ollama create`` with ``warning: parameter <name> is deprecated``; ignored.
DEPRECATED: frozenset[str] = frozenset(
    {
        "penalize_newline",
        "low_vram",
        "f16_kv",
        "logits_all",
        "vocab_only",
        "use_mlock",
        "mirostat",
        "mirostat_tau",
        "mirostat_eta",
    }
)

#: Once valid, now ``unknown parameter``: why, and what to do instead.
REMOVED: dict[str, str] = {
    "tfs_z": "tail-free sampling was removed from llama.cpp and Ollama (2024-12); delete the line",
    "num_gqa": "the grouped-query factor is read from the model file now; delete the line",
    "rope_frequency_base": "RoPE settings are read from the model file now; delete the line",
    "rope_frequency_scale": "RoPE settings are read from the model file now; delete the line",
    "numa": "NUMA is configured on the server now; delete the line",
    "embedding_only": "no longer an option; delete the line",
}

#: Names from other tools (llama.cpp, OpenAI, Hugging Face) and what Ollama calls them.
ALIASES: dict[str, str] = {
    "max_tokens": "num_predict",
    "n_predict": "num_predict",
    "max_new_tokens": "num_predict",
    "n_ctx": "num_ctx",
    "ctx_size": "num_ctx",
    "context_length": "num_ctx",
    "context_size": "num_ctx",
    "batch_size": "num_batch",
    "n_batch": "num_batch",
    "n_gpu_layers": "num_gpu",
    "gpu_layers": "num_gpu",
    "ngl": "num_gpu",
    "threads": "num_thread",
    "n_threads": "num_thread",
    "num_threads": "num_thread",
    "repeat_penalty_last_n": "repeat_last_n",
    "repetition_penalty": "repeat_penalty",
    "stop_sequence": "stop",
    "stop_sequences": "stop",
    "stop_token": "stop",
    "stop_tokens": "stop",
    "random_seed": "seed",
    "mmap": "use_mmap",
    "n_keep": "num_keep",
}

TypedValue = int | float | bool | str


class ParameterError(MfcError, ValueError):
    """``ollama create`` rejects this PARAMETER; ``str()`` is Ollama's message.

    ``code`` is the lint rule that reports the same problem: MF201 for an unknown name,
    MF202 for a value of the wrong type."""

    code = "MF202"

    def __init__(self, message: str, code: str = "MF202") -> None:
        super().__init__(message)
        self.code = code


def convert(name: str, value: str) -> TypedValue | None:
    """The typed value ``ollama create`` stores, or ``None`` for a deprecated name.

    Raises ``ParameterError`` with Ollama's text when create would fail.
    """
    if name in DEPRECATED:
        return None
    spec = PARAMETERS.get(name)
    if spec is None:
        raise ParameterError(f"unknown parameter '{name}'", "MF201")
    try:
        if spec.kind is Kind.INT:
            return parse_int(value)
        if spec.kind is Kind.FLOAT:
            return parse_float32(value)
        if spec.kind is Kind.BOOL:
            return parse_bool(value)
    except SyntaxOrRangeError:
        raise ParameterError(f"invalid {spec.kind.value} value [{value}]") from None
    return value


def out_of_range(name: str, value: TypedValue | None) -> str | None:
    """Why a converted value is unwise, or ``None`` when it is fine."""
    spec = PARAMETERS.get(name)
    if spec is None or isinstance(value, bool | str) or value is None:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return f"{name} is {value}, not a finite number"
    if not spec.sane(value):
        return f"{name} {value:g} is outside the sane range ({spec.range_text()})"
    return None


def suggest_parameter(name: str) -> str | None:
    """The parameter someone writing ``name`` most likely meant."""
    if name in PARAMETERS:
        return None
    lower = name.lower()
    if lower in PARAMETERS:
        return lower
    if lower in ALIASES:
        return ALIASES[lower]
    close = difflib.get_close_matches(lower, [*PARAMETERS, *DEPRECATED], n=1, cutoff=0.75)
    return close[0] if close else None
