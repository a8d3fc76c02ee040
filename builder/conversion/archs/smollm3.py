"""SmolLM3 (GGUF architecture ``smollm3``): Llama's graph and tensors, q/k permutation
included, except that every fourth layer has no rotary embedding (``no_rope_layers``).
llama.cpp fixes that interval at four, so another pattern is refused."""

from __future__ import annotations

from typing import ClassVar

from gguf.constants import MODEL_ARCH

from builder.conversion.archs.llama import Llama
from builder.conversion.checkpoint import Checkpoint
from builder.conversion.hfconfig import HFConfig
from builder.errors import ConvertError

#: llama.cpp's smollm3: layer i has rotary embeddings unless (i + 1) % 4 == 0.
INTERVAL = 4


class SmolLM3(Llama):
    names: ClassVar[tuple[str, ...]] = ("SmolLM3ForCausalLM",)
    arch = MODEL_ARCH.SMOLLM3
    covers: ClassVar[str] = "Llama with no rope on every 4th layer"

    def __init__(self, config: HFConfig, checkpoint: Checkpoint) -> None:
        super().__init__(config, checkpoint)
        expected = [int((i + 1) % INTERVAL != 0) for i in range(self.layers)]
        given = config.get("no_rope_layers")
        if given is None:
            interval = config.integer("no_rope_layer_interval", default=INTERVAL) or INTERVAL
            given = [int((i + 1) % interval != 0) for i in range(self.layers)]
        if list(given) != expected:
            raise ConvertError(
                f"{config.path}: no_rope_layers {given} is not every {INTERVAL}th layer, "
                "the only pattern llama.cpp's smollm3 runs"
            )
