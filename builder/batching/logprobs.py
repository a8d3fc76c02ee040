"""Log-probabilities of a sampled token and of the most likely alternatives, from the
raw logits of its position (a log-softmax over the whole vocabulary, before any
sampler touched them, as llama.cpp's server and Ollama's runner compute them).

>>> import numpy as np
>>> logits = np.array([2.0, 1.0, 0.0], dtype=np.float32)
>>> entry = logprobs_of(logits, 0, 2, lambda token: b"abc"[token : token + 1])
>>> entry.token, round(entry.logprob, 4), [t.token for t in entry.top_logprobs]
('a', -0.4076, ['a', 'b'])
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from builder.generation import Logprob, TokenLogprob


def logprobs_of(logits: Any, token: int, top: int, piece: Callable[[int], bytes]) -> Logprob:
    """``token``'s log-probability under ``logits`` (a float array over the vocabulary)
    and the ``top`` most likely tokens' (most likely first); ``piece`` gives a token's bytes."""
    import numpy as np

    values = np.asarray(logits, dtype=np.float64)
    shifted = values - values.max()
    logsum = float(np.log(np.exp(shifted).sum()))
    alternatives: tuple[TokenLogprob, ...] = ()
    if top > 0:
        count = min(top, values.size)
        best = np.argpartition(-shifted, count - 1)[:count]
        best = best[np.argsort(-shifted[best], kind="stable")]
        alternatives = tuple(TokenLogprob.of(piece(int(i)), float(shifted[i]) - logsum) for i in best)
    chosen = TokenLogprob.of(piece(token), float(shifted[token]) - logsum)
    return Logprob(chosen.token, chosen.logprob, chosen.bytes, alternatives)
