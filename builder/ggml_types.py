"""GGML tensor types: names and sizes, from gguf-py's tables, and the completeness
check every imported GGUF gets (a truncated download must not become a model)."""

from __future__ import annotations

import os

from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

from modelfile.gguf_metadata import GGUFError, GGUFMetadata, TensorInfo


def type_name(ggml_type: int) -> str:
    try:
        return GGMLQuantizationType(ggml_type).name
    except ValueError:
        return f"type{ggml_type}"


def tensor_bytes(tensor: TensorInfo) -> int:
    """The size of a tensor's data: whole blocks of its type."""
    try:
        block, size = GGML_QUANT_SIZES[GGMLQuantizationType(tensor.ggml_type)]
    except (ValueError, KeyError):
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
