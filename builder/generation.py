"""What running a model gives back: the chunks of a streamed answer, the final
``Generation`` record, and ``Embeddings``; their ``to_dict`` methods carry the field
names of Ollama's ``/api/generate``, ``/api/chat`` and ``/api/embed`` responses
(durations in nanoseconds).

A stream yields ``TextChunk``s as text is decoded, then one ``Done``:

>>> chunks = [TextChunk("Par"), TextChunk("is."), Done(Generation(model="m:latest", response="Paris."))]
>>> "".join(c.text for c in chunks if isinstance(c, TextChunk))
'Paris.'
>>> record = chunks[-1].generation.to_dict()
>>> record["response"], record["done"], record["done_reason"]
('Paris.', True, 'stop')
>>> chunks[-1].generation.to_chat_dict()["message"]
{'role': 'assistant', 'content': 'Paris.'}
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any


def _now() -> str:
    return datetime.now(UTC).isoformat()


@dataclass(frozen=True)
class Generation:
    """One answer, with the fields of Ollama's final ``/api/generate`` record.

    ``done_reason`` is ``stop`` (end of generation or a stop sequence), ``length``
    (``num_predict`` or the context window) or, mfc's own, ``cancel`` (the caller
    cancelled the stream)."""

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
    created_at: str = field(default_factory=_now)
    tokens: list[int] = field(default_factory=list)  # the answer's token ids, as sampled

    @property
    def message(self) -> dict[str, Any]:
        """The answer as a chat message."""
        return {"role": "assistant", "content": self.response}

    def _metrics(self) -> dict[str, Any]:
        return {
            "done": True,
            "done_reason": self.done_reason,
            "total_duration": self.total_duration,
            "load_duration": self.load_duration,
            "prompt_eval_count": self.prompt_eval_count,
            "prompt_eval_duration": self.prompt_eval_duration,
            "eval_count": self.eval_count,
            "eval_duration": self.eval_duration,
        }

    def to_dict(self) -> dict[str, Any]:
        """Ollama's ``/api/generate`` response (not streamed), in its key order."""
        return {"model": self.model, "created_at": self.created_at, "response": self.response, **self._metrics()}

    def to_chat_dict(self) -> dict[str, Any]:
        """Ollama's ``/api/chat`` response (not streamed), in its key order."""
        return {"model": self.model, "created_at": self.created_at, "message": self.message, **self._metrics()}


@dataclass(frozen=True)
class TokenLogprob:
    """A token's log-probability: its text, and its bytes (a token may hold part of a
    character), with Ollama's field names.

    >>> TokenLogprob.of(b"Hi", -0.25).to_dict()
    {'token': 'Hi', 'logprob': -0.25, 'bytes': [72, 105]}
    """

    token: str
    logprob: float
    bytes: tuple[int, ...] = ()

    @classmethod
    def of(cls, piece: builtins.bytes, logprob: float) -> TokenLogprob:
        """The entry for a token whose text is the bytes ``piece``."""
        return cls(piece.decode("utf-8", errors="replace"), logprob, tuple(piece))

    def to_dict(self) -> dict[str, Any]:
        """Ollama's ``TokenLogprob`` (``bytes`` left out when empty)."""
        out: dict[str, Any] = {"token": self.token, "logprob": self.logprob}
        if self.bytes:
            out["bytes"] = list(self.bytes)
        return out


@dataclass(frozen=True)
class Logprob(TokenLogprob):
    """A sampled token's log-probability and the most likely alternatives at its
    position (``top_logprobs``, most likely first), as Ollama's ``logprobs`` entries.

    >>> Logprob("Hi", -0.01, (72, 105), (TokenLogprob("Hey", -0.5),)).to_dict()
    {'token': 'Hi', 'logprob': -0.01, 'bytes': [72, 105], 'top_logprobs': [{'token': 'Hey', 'logprob': -0.5}]}
    """

    top_logprobs: tuple[TokenLogprob, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Ollama's ``Logprob``: ``token``, ``logprob``, ``bytes``, ``top_logprobs`` (omitted when empty)."""
        out = super().to_dict()
        if self.top_logprobs:
            out["top_logprobs"] = [alternative.to_dict() for alternative in self.top_logprobs]
        return out


@dataclass(frozen=True)
class TextChunk:
    """A piece of the answer, as soon as it is decoded (whole characters; never the
    start of a stop sequence that may still complete), and the log-probabilities of the
    tokens it completes when they were asked for."""

    text: str
    logprobs: tuple[Logprob, ...] = ()


@dataclass(frozen=True)
class Done:
    """The end of a stream: the whole answer and its counts and timings."""

    generation: Generation


Chunk = TextChunk | Done


@dataclass(frozen=True)
class Embeddings:
    """Vectors for some texts, with the fields of Ollama's ``/api/embed`` response.

    >>> Embeddings(model="minilm:latest", embeddings=[[0.6, 0.8]], prompt_eval_count=3).to_dict()["embeddings"]
    [[0.6, 0.8]]
    """

    model: str
    embeddings: list[list[float]] = field(default_factory=list)
    prompt_eval_count: int = 0  # tokens embedded, over all texts
    total_duration: int = 0
    load_duration: int = 0

    def to_dict(self) -> dict[str, Any]:
        """Ollama's ``/api/embed`` response, in its key order."""
        return {
            "model": self.model,
            "embeddings": [list(vector) for vector in self.embeddings],
            "total_duration": self.total_duration,
            "load_duration": self.load_duration,
            "prompt_eval_count": self.prompt_eval_count,
        }
