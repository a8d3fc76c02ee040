"""Continuous batching on llama.cpp's low-level API: several requests share one loaded
model, each in a sequence of its own, and decode together.

``Engine`` (``engine.py``) owns a llama.cpp context with ``parallel`` sequence slots and
one decode thread; at every step it admits waiting requests (their prompts prefilled in
chunks, in the same batch as the others' next tokens), decodes one token for every
active sequence in one ``llama_batch`` (``batch.py``), and samples each with its own
sampler chain (``sampler.py``), logprobs (``logprobs.py``) and stop strings.  A
``Sequence`` (``sequence.py``) is one request's state and the queue its chunks go
through.  ``context.py`` makes the multi-sequence context from a ``Llama``;
``embedder.py`` batches concurrent embedding requests.
"""

from __future__ import annotations

from builder.batching.embedder import EmbeddingBatcher
from builder.batching.engine import Engine
from builder.batching.sampler import SamplerSettings
from builder.batching.sequence import Sequence

__all__ = ["EmbeddingBatcher", "Engine", "SamplerSettings", "Sequence"]
