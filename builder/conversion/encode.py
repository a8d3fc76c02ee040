"""Which GGML type each output tensor gets, and turning float32 rows into its bytes.

The rules are convert_hf_to_gguf's: 1-D tensors, norms, biases, position and token-type
embeddings stay F32; the other weights take the output type (F32, F16, BF16 or Q8_0;
Q8_0 falls back to F16 where a row is not a whole number of 32-value blocks).  ``auto``
is convert_hf_to_gguf's: BF16 weights give BF16, anything else (F16, and F32 too) F16.
"""

from __future__ import annotations

import math

import numpy as np
from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType
from gguf.quants import quantize

from builder.errors import ConvertError
from modelfile.gguf_metadata import FILE_TYPE_NUMBERS

T = GGMLQuantizationType
#: ``--outtype`` -> the GGML type of the weights (the file type is the same name upper-cased).
OUTTYPES = {"f32": T.F32, "f16": T.F16, "bf16": T.BF16, "q8_0": T.Q8_0}
KEEP_F32 = ("position_embd.weight", "token_types.weight", "ffn_gate_inp.weight")


def resolve(outtype: str, weight_dtypes: list[str]) -> str:
    """``auto`` as convert_hf_to_gguf decides it (the first matrix's dtype: BF16 gives
    bf16, F16 or F32 gives f16); other names checked."""
    outtype = outtype.lower()
    if outtype == "auto":
        first = weight_dtypes[0] if weight_dtypes else "F16"
        return "bf16" if first == "BF16" else "f16"
    if outtype not in OUTTYPES:
        raise ConvertError(f"unknown output type {outtype!r} (choose f32, f16, bf16, q8_0 or auto)")
    return outtype


def file_type(outtype: str) -> int:
    """The ``general.file_type`` of a conversion to ``outtype`` (``q8_0`` -> 7)."""
    return FILE_TYPE_NUMBERS[outtype.upper()]


def tensor_type(name: str, shape: tuple[int, ...], outtype: str) -> GGMLQuantizationType:
    if (
        len(shape) <= 1
        or name.endswith(("_norm.weight", *KEEP_F32))
        or not name.endswith((".weight", ".lora_a", ".lora_b"))
    ):
        return T.F32
    chosen = OUTTYPES[outtype]
    if chosen == T.Q8_0 and shape[-1] % GGML_QUANT_SIZES[T.Q8_0][0]:
        return T.F16  # rows that are not whole Q8_0 blocks, as convert_hf_to_gguf does
    return chosen


def nbytes(shape: tuple[int, ...], qtype: GGMLQuantizationType) -> int:
    block, size = GGML_QUANT_SIZES[qtype]
    return math.prod(shape) // block * size


def encode(rows: np.ndarray, qtype: GGMLQuantizationType, name: str) -> np.ndarray:
    """float32 rows as ``qtype`` bytes (F16 refuses values it cannot hold)."""
    if qtype == T.F32:
        return np.ascontiguousarray(rows, dtype=np.float32)
    if qtype == T.F16:
        half = rows.astype(np.float16)
        if not np.isfinite(half).all():
            raise ConvertError(
                f"tensor {name} holds values beyond F16's range (±65504): convert with --outtype f32 or bf16"
            )
        return half
    return np.ascontiguousarray(quantize(np.ascontiguousarray(rows, dtype=np.float32), qtype))
