"""GGML tensor types: names and sizes, and the completeness check every imported GGUF
gets (a truncated download must not become a model)."""

from __future__ import annotations

import os

from modelfile.gguf_metadata import GGUFError, GGUFMetadata, TensorInfo

# ggml's tensor types by number: name, elements per block, bytes per block.  The same
# facts as gguf-py's GGMLQuantizationType and GGML_QUANT_SIZES (a test compares them),
# kept here because importing gguf-py loads numpy, which a GGUF build never needs.
GGML_TYPES: dict[int, tuple[str, int, int]] = {
    0: ("F32", 1, 4),
    1: ("F16", 1, 2),
    2: ("Q4_0", 32, 18),
    3: ("Q4_1", 32, 20),
    6: ("Q5_0", 32, 22),
    7: ("Q5_1", 32, 24),
    8: ("Q8_0", 32, 34),
    9: ("Q8_1", 32, 40),
    10: ("Q2_K", 256, 84),
    11: ("Q3_K", 256, 110),
    12: ("Q4_K", 256, 144),
    13: ("Q5_K", 256, 176),
    14: ("Q6_K", 256, 210),
    15: ("Q8_K", 256, 292),
    16: ("IQ2_XXS", 256, 66),
    17: ("IQ2_XS", 256, 74),
    18: ("IQ3_XXS", 256, 98),
    19: ("IQ1_S", 256, 50),
    20: ("IQ4_NL", 32, 18),
    21: ("IQ3_S", 256, 110),
    22: ("IQ2_S", 256, 82),
    23: ("IQ4_XS", 256, 136),
    24: ("I8", 1, 1),
    25: ("I16", 1, 2),
    26: ("I32", 1, 4),
    27: ("I64", 1, 8),
    28: ("F64", 1, 8),
    29: ("IQ1_M", 256, 56),
    30: ("BF16", 1, 2),
    34: ("TQ1_0", 256, 54),
    35: ("TQ2_0", 256, 66),
    39: ("MXFP4", 32, 17),
    40: ("NVFP4", 64, 36),
    41: ("Q1_0", 128, 18),
}


def type_name(ggml_type: int) -> str:
    known = GGML_TYPES.get(ggml_type)
    return known[0] if known else f"type{ggml_type}"


def tensor_bytes(tensor: TensorInfo) -> int:
    """The size of a tensor's data: whole blocks of its type."""
    try:
        _, block, size = GGML_TYPES[tensor.ggml_type]
    except KeyError:
        raise GGUFError(f"tensor {tensor.name!r} has unknown GGML type {tensor.ggml_type}") from None
    if tensor.shape and tensor.shape[0] % block:
        raise GGUFError(f"tensor {tensor.name!r}: row of {tensor.shape[0]} is not a whole number of {block}-blocks")
    return tensor.elements // block * size


def check_complete(meta: GGUFMetadata) -> None:
    """Every tensor's data lies inside the file (``meta`` read with ``tensors=True``)."""
    size = os.path.getsize(meta.path)
    for tensor in meta.tensors:
        end = meta.tensor_data_offset + tensor.offset + tensor_bytes(tensor)
        if end > size:
            raise GGUFError(
                f"{meta.path}: tensor {tensor.name!r} ends at byte {end}, past the end of the file "
                f"({size} bytes): the GGUF is truncated"
            )
