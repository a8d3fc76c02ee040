"""The llama.cpp context a batching engine decodes in: the ``Llama``'s own settings,
with ``parallel`` sequences and ``num_ctx`` cells for each (``num_ctx × parallel`` in
all, as Ollama gives its runner), and the model's LoRA adapter.  It takes the place of
the context the ``Llama`` made, which is freed."""

from __future__ import annotations

import ctypes
from typing import Any

from builder.errors import RunError


def multi_sequence_context(llm: Any, *, parallel: int, num_ctx: int, unified: bool = False) -> Any:
    """A ``llama_cpp._internals.LlamaContext`` for ``llm``'s model with ``parallel``
    sequences of up to ``num_ctx`` tokens each, with flash attention: a KV stream of
    ``num_ctx`` cells per sequence, or with ``unified`` one cache of ``num_ctx ×
    parallel`` cells that all share.  It becomes ``llm._ctx`` and is freed with the model."""
    import llama_cpp
    from llama_cpp import _internals

    internals: Any = _internals  # untyped

    params = type(llm.context_params).from_buffer_copy(llm.context_params)
    params.n_ctx = num_ctx * parallel
    params.n_seq_max = parallel
    params.kv_unified = unified
    # Flash attention: a step of 4 sequences took 41.6 ms with it and 46.8 ms without on
    # the 2-core test machine (SmolLM2 Q4_1), one sequence 17.3 against 19.1 ms.
    params.flash_attn_type = llama_cpp.LLAMA_FLASH_ATTN_TYPE_ENABLED
    try:
        context = internals.LlamaContext(model=llm._model, params=params, verbose=llm.verbose)
    except ValueError as error:
        raise RunError(f"cannot make a context of {num_ctx} × {parallel} tokens: {error}") from None
    adapter = getattr(llm, "_lora_adapter", None)
    if adapter is not None:
        adapters = (llama_cpp.llama_adapter_lora_p_ctypes * 1)(adapter)
        scales = (ctypes.c_float * 1)(llm.lora_scale)
        if llama_cpp.llama_set_adapters_lora(context.ctx, adapters, 1, scales):
            context.close()
            raise RunError("cannot apply the LoRA adapter to the batching context")
    llm._ctx.close()
    llm._ctx = context
    return context
