"""BERT and sentence-transformers encoders (GGUF architecture ``bert``): bidirectional
attention, learned position and token-type embeddings, LayerNorm with biases, and the
pooling that sentence-transformers applies (mean, CLS or last token)."""

from __future__ import annotations

import re

from gguf import GGUFWriter
from gguf.constants import MODEL_ARCH

from builder.conversion.archs.base import Architecture
from builder.conversion.archs.pooling import pooling_type
from builder.conversion.vocab import Vocab, load_vocab
from builder.errors import ConvertError

DROPPED = re.compile(r"^(embeddings\.position_ids|pooler\..*|cls\..*)$")


class Bert(Architecture):
    names = ("BertModel", "BertForMaskedLM", "BertForSequenceClassification")
    covers = "BERT and sentence-transformers encoders: WordPiece, the pooling sentence-transformers applies"
    arch = MODEL_ARCH.BERT
    causal = False

    def metadata(self, writer: GGUFWriter) -> None:
        config = self.config
        writer.add_block_count(self.layers)
        writer.add_context_length(config.require("max_position_embeddings"))
        writer.add_embedding_length(self.hidden)
        writer.add_feed_forward_length(self.ff)
        writer.add_head_count(self.heads)
        eps = config.number("layer_norm_eps", "layer_norm_epsilon")
        if eps is None:
            raise ConvertError(f"{config.path}: missing 'layer_norm_eps'")
        writer.add_layer_norm_eps(eps)
        writer.add_causal_attention(False)
        pooling = pooling_type(self.checkpoint.folder)
        if pooling is not None:
            writer.add_pooling_type(pooling)

    def vocab(self) -> Vocab:
        types = self.config.integer("type_vocab_size", default=2) or 2
        return load_vocab(self.checkpoint.folder, self.vocab_size, wordpiece=True, type_vocab_size=types)

    def rename(self, name: str) -> str | None:
        name = name.removeprefix("bert.")
        if DROPPED.match(name):
            return None
        return re.sub(r"\.gamma$", ".weight", re.sub(r"\.beta$", ".bias", name))

    def expected_shape(self, gguf_name: str) -> tuple[int, ...] | None:
        base = re.sub(r"^blk\.\d+\.", "", gguf_name)
        h, ff = self.hidden, self.ff
        shapes = {
            "token_embd.weight": (self.vocab_size, h),
            "position_embd.weight": (self.config.require("max_position_embeddings"), h),
            "token_types.weight": (self.config.integer("type_vocab_size", default=2), h),
            "attn_q.weight": (h, h),
            "attn_k.weight": (h, h),
            "attn_v.weight": (h, h),
            "attn_output.weight": (h, h),
            "ffn_up.weight": (ff, h),
            "ffn_down.weight": (h, ff),
        }
        if base.endswith(
            (
                "norm.weight",
                "norm.bias",
                "attn_q.bias",
                "attn_k.bias",
                "attn_v.bias",
                "attn_output.bias",
                "ffn_down.bias",
            )
        ):
            return (h,)
        if base == "ffn_up.bias":
            return (ff,)
        return shapes.get(base)

    def required(self) -> list[str]:
        per_block = (
            "attn_q",
            "attn_k",
            "attn_v",
            "attn_output",
            "attn_output_norm",
            "ffn_up",
            "ffn_down",
            "layer_output_norm",
        )
        return [
            "token_embd.weight",
            "position_embd.weight",
            "token_embd_norm.weight",
            *(f"blk.{i}.{part}.weight" for i in range(self.layers) for part in per_block),
        ]
