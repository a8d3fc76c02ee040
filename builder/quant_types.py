"""The file types llama.cpp's quantizer writes (``llama_ftype``), how users spell them,
and what each needs.

``bits`` is llama.cpp's nominal bits per weight: its own figure for the IQ mixes, else
that of the type's main tensor type (the mixes, e.g. Q4_K_M, put some tensors in larger
types, and rows whose width is not a multiple of the block size fall back to other
types, so files come out larger).  ``imatrix`` says whether
llama.cpp refuses to make the type without an importance matrix: ``required``; ``model``
(for most models: it depends on the tensors' widths, and mfc asks llama.cpp with a dry
run before the real work); ``recommended``; or ``""``.
"""

from __future__ import annotations

import difflib
from dataclasses import dataclass

from builder.errors import QuantizeError
from modelfile.gguf_metadata import FILE_TYPE_NUMBERS


@dataclass(frozen=True)
class QuantType:
    """One type ``mfc quantize`` can make: its ``llama_ftype`` comes from the one file-type
    table, ``modelfile.gguf_metadata.FILE_TYPES``."""

    name: str  # llama-quantize's spelling
    main: str  # the GGML type most tensors get
    bits: float  # bits per weight of ``main``
    imatrix: str = ""
    aliases: tuple[str, ...] = ()

    @property
    def ftype(self) -> int:
        """The ``llama_ftype`` number (GGUF ``general.file_type``)."""
        return FILE_TYPE_NUMBERS[self.name]

    @property
    def quantized(self) -> bool:
        return self.name not in ("F32", "F16", "BF16")


TYPES: tuple[QuantType, ...] = (
    QuantType("F32", "F32", 32.0, aliases=("FP32",)),
    QuantType("F16", "F16", 16.0, aliases=("FP16",)),
    QuantType("BF16", "BF16", 16.0),
    QuantType("Q8_0", "Q8_0", 8.5),
    QuantType("Q4_0", "Q4_0", 4.5),
    QuantType("Q4_1", "Q4_1", 5.0),
    QuantType("Q5_0", "Q5_0", 5.5),
    QuantType("Q5_1", "Q5_1", 6.0),
    QuantType("Q2_K", "Q2_K", 2.625, "recommended"),
    QuantType("Q2_K_S", "Q2_K", 2.625, "required"),
    QuantType("Q3_K_S", "Q3_K", 3.4375, "recommended"),
    QuantType("Q3_K_M", "Q3_K", 3.4375, "recommended", ("Q3_K",)),
    QuantType("Q3_K_L", "Q3_K", 3.4375, "recommended"),
    QuantType("Q4_K_S", "Q4_K", 4.5, "recommended"),
    QuantType("Q4_K_M", "Q4_K", 4.5, "recommended", ("Q4_K",)),
    QuantType("Q5_K_S", "Q5_K", 5.5, "recommended"),
    QuantType("Q5_K_M", "Q5_K", 5.5, "recommended", ("Q5_K",)),
    QuantType("Q6_K", "Q6_K", 6.5625, "recommended"),
    QuantType("IQ1_S", "IQ1_S", 1.5625, "required"),
    QuantType("IQ1_M", "IQ1_M", 1.75, "required"),
    QuantType("IQ2_XXS", "IQ2_XXS", 2.0625, "required"),
    QuantType("IQ2_XS", "IQ2_XS", 2.3125, "required"),
    QuantType("IQ2_S", "IQ2_XS", 2.5, "required"),
    QuantType("IQ2_M", "IQ2_S", 2.7, "required"),
    QuantType("IQ3_XXS", "IQ3_XXS", 3.0625, "model"),
    QuantType("IQ3_XS", "IQ3_S", 3.3, "model"),
    QuantType("IQ3_S", "IQ3_S", 3.4375, "recommended"),
    QuantType("IQ3_M", "IQ3_S", 3.66, "recommended"),
    QuantType("IQ4_NL", "IQ4_NL", 4.5, "recommended"),
    QuantType("IQ4_XS", "IQ4_XS", 4.25, "recommended"),
    QuantType("TQ1_0", "TQ1_0", 1.6875),
    QuantType("TQ2_0", "TQ2_0", 2.0625),
    QuantType("MXFP4_MOE", "MXFP4", 4.25, aliases=("MXFP4",)),
)

_BY_SPELLING = {spelling: t for t in TYPES for spelling in (t.name, *t.aliases)}
_BY_FTYPE = {t.ftype: t for t in TYPES}


def available() -> tuple[QuantType, ...]:
    """The types the installed llama.cpp knows (all of them when it is not installed)."""
    try:
        import llama_cpp
    except ImportError:
        return TYPES
    known = {value for key, value in vars(llama_cpp).items() if key.startswith("LLAMA_FTYPE_")}
    return tuple(t for t in TYPES if t.ftype in known)


def parse_type(text: str) -> QuantType:
    """A type by any spelling, case-insensitive (``q4_k_m``, ``Q4_K``, ``fp16``)."""
    found = _BY_SPELLING.get(text.strip().upper())
    if found is not None and found in available():
        return found
    names = [t.name for t in available()]
    close = difflib.get_close_matches(
        text.strip().upper(), [*names, *(a for t in available() for a in t.aliases)], n=1, cutoff=0.6
    )
    hint = f"; did you mean {close[0]}?" if close else ""
    raise QuantizeError(f"unknown quantization type {text!r}{hint} (valid: {', '.join(names)})")


def by_ftype(ftype: int | None) -> QuantType | None:
    """The type of a GGUF's ``general.file_type``."""
    return _BY_FTYPE.get(ftype if ftype is not None else -1)
