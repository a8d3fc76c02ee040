"""Quantization with llama.cpp's own quantizer (``llama_model_quantize`` through
llama-cpp-python), checked before the heavy work.

``check`` answers, in a fraction of a second, everything that would make the real run
fail or disappoint: an unknown type, an already quantized source (requantizing
compounds the error), a type that needs an importance matrix for this model (asked of
llama.cpp itself with a dry run, for the types where it depends on the model), an
unreadable importance matrix, and how large the output will be (for the disk check).
``run`` then quantizes into a temporary file, turns llama.cpp's per-tensor log lines
into progress and its errors into ours, and removes the temporary file if anything
goes wrong (Ctrl-C included).
"""

from __future__ import annotations

import ctypes
import hashlib
import json
import os
import re
import shutil
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from builder import imatrix as imatrices
from builder import llama_log
from builder.errors import QuantizeError
from builder.events import TENSORS, Event, Progress
from builder.ggml_types import tensor_bytes, type_name
from builder.quant_types import QuantType, available, by_ftype, parse_type
from modelfile.gguf_metadata import GGUFError, GGUFMetadata, read_metadata

UNQUANTIZED = {"F32", "F16", "BF16"}
TENSOR = re.compile(r"\[\s*(\d+)/\s*(\d+)\]")
SIZES = re.compile(r"(model|quant) size\s*=\s*([\d.]+) MiB")


@dataclass(frozen=True)
class QuantizeOptions:
    """What to make, and how: everything that changes the output's bytes."""

    type: QuantType
    imatrix: Path | None = None
    allow_requantize: bool = False
    output_tensor_type: str | None = None  # a GGML type name, e.g. Q8_0
    token_embedding_type: str | None = None
    pure: bool = False
    threads: int = 0  # 0: every core (does not change the output)

    def cache_key(self, source_digest: str) -> str:
        """One key per (source, type, options, llama.cpp version): a rebuild that finds
        it reuses the quantized blob."""

        imatrix = hashlib.sha256(self.imatrix.read_bytes()).hexdigest() if self.imatrix else None
        fields = {
            "source": source_digest,
            "ftype": self.type.ftype,
            "imatrix": imatrix,
            "allow_requantize": self.allow_requantize,
            "output_tensor_type": self.output_tensor_type,
            "token_embedding_type": self.token_embedding_type,
            "pure": self.pure,
            "llama_cpp": _llama_cpp_version(),
        }
        return hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()


def quantization_types() -> tuple[QuantType, ...]:
    """Every type the installed llama.cpp can make (``mfc quantize --list``): name, main
    tensor type, bits per weight, whether it needs an importance matrix, aliases."""
    return available()


def quantize_options(
    type: str,  # noqa: A002 - the user's word for it
    *,
    imatrix: str | os.PathLike[str] | None = None,
    allow_requantize: bool = False,
    output_tensor_type: str | None = None,
    token_embedding_type: str | None = None,
    pure: bool = False,
    threads: int = 0,
) -> QuantizeOptions:
    """Checked options for ``quantize`` and ``build(..., quantize=...)``: the type and
    tensor types by name, the imatrix file present."""
    for label, value in (("output tensor type", output_tensor_type), ("token embedding type", token_embedding_type)):
        if value is not None and _ggml_type(value) is None:
            raise QuantizeError(f"unknown GGML type {value!r} for the {label} (e.g. Q8_0, Q6_K, F16)")
    path = Path(imatrix) if imatrix is not None else None
    if path is not None and not path.is_file():
        raise QuantizeError(f"importance matrix {path}: no such file")
    return QuantizeOptions(
        parse_type(type),
        path,
        allow_requantize,
        output_tensor_type.upper() if output_tensor_type else None,
        token_embedding_type.upper() if token_embedding_type else None,
        pure,
        threads,
    )


@dataclass(frozen=True)
class Estimate:
    """What ``check`` found out before any work."""

    source_type: str  # e.g. F16, or "Q4_1"
    output_bytes: int  # an upper estimate of the output file's size
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class QuantizeResult:
    path: Path
    type: str
    file_type: int  # general.file_type of the output
    size: int  # bytes
    model_mib: float  # llama.cpp's report: tensor data before ...
    quant_mib: float  # ... and after
    seconds: float
    warnings: tuple[str, ...] = ()


def check(source: Path, opts: QuantizeOptions, *, name: str = "") -> Estimate:
    """Everything that can be known without quantizing; raises ``QuantizeError`` naming
    the source as ``name`` (its path unless given: a build names what the user knows)."""
    shown = name or str(source)
    try:
        meta = read_metadata(source, tensors=True)
    except GGUFError as error:
        raise QuantizeError(str(error).replace(str(source), shown)) from None
    except OSError as error:
        raise QuantizeError(f"cannot read {shown}: {error.strerror}") from None
    quantized = sorted({type_name(t.ggml_type) for t in meta.tensors} - UNQUANTIZED)
    known = by_ftype(meta.file_type)
    source_type = known.name if known else (quantized[0] if quantized else "F32")
    warnings: list[str] = []
    if quantized:
        if not opts.allow_requantize:
            raise QuantizeError(
                f"{shown} is already quantized ({', '.join(quantized)}): quantizing it again to {opts.type.name} "
                "adds a second rounding error; start from an F16, BF16 or F32 GGUF, or pass --allow-requantize"
            )
        warnings.append(
            f"requantizing {source_type} to {opts.type.name}: quality will be lower than quantizing from F16/BF16/F32"
        )
    if opts.imatrix is not None:
        imatrices.load(opts.imatrix)  # fail now, not after minutes
    elif opts.type.imatrix in ("required", "model"):
        # Whether an importance matrix is needed depends on the tensors' widths: ask
        # llama.cpp, which plans the whole quantization without doing it (a fraction of a second).
        report = _run_llama(source, source.with_name(source.name + ".dry-run"), opts, dry_run=True)
        if report.rc != 0:
            raise QuantizeError(f"llama.cpp cannot quantize {shown} to {opts.type.name}: {report.reason()}")
        if report.needs_imatrix:
            raise QuantizeError(
                f"{opts.type.name} needs an importance matrix for this model (llama.cpp would stop with "
                "'this quantization requires an imatrix'): pass --imatrix FILE, made by llama-imatrix"
            )
    return Estimate(source_type, estimate_size(meta, opts.type), tuple(warnings))


def estimate_size(meta: GGUFMetadata, target: QuantType) -> int:
    """An upper estimate of the output's size, for the disk check: weight matrices at the
    type's bits per weight (Q6_K for output and embeddings, as the mixes do; 8.5 bits,
    or 16, where the row width forces llama.cpp to fall back), everything else as it is,
    and 10% for the other bumps of the mixes."""
    from gguf.constants import GGML_QUANT_SIZES, GGMLQuantizationType

    block = GGML_QUANT_SIZES[GGMLQuantizationType[target.main]][0]
    total = meta.tensor_data_offset
    for tensor in meta.tensors:
        if len(tensor.shape) < 2 or not tensor.name.endswith("weight") or "norm" in tensor.name:
            total += tensor_bytes(tensor)
            continue
        bits = target.bits
        if tensor.name.startswith(("output.", "token_embd.")):
            bits = max(bits, 6.5625)
        if tensor.shape[0] % block:
            bits = max(bits, 8.5 if tensor.shape[0] % 32 == 0 else 16.0)
        total += int(tensor.elements * bits / 8) + 32
    return int(total * 1.1)


def ensure_room(folder: Path, needed: int, what: str) -> None:
    """Refuse, before writing, when ``folder`` lacks the space (with 5% to spare)."""
    try:
        free = shutil.disk_usage(folder).free
    except OSError as error:
        raise QuantizeError(f"{folder}: {error.strerror}") from None
    if free < needed * 1.05:
        raise QuantizeError(
            f"not enough free disk in {folder} for {what}: about {needed / 1e6:.0f} MB needed, {free / 1e6:.0f} MB free"
        )


def quantize(
    source: str | os.PathLike[str],
    output: str | os.PathLike[str],
    type: str,  # noqa: A002
    *,
    imatrix: str | os.PathLike[str] | None = None,
    allow_requantize: bool = False,
    output_tensor_type: str | None = None,
    token_embedding_type: str | None = None,
    pure: bool = False,
    threads: int = 0,
    progress: Progress | None = None,
    verbose: bool = False,
) -> QuantizeResult:
    """Quantize the GGUF ``source`` to ``output`` as ``type`` (any llama.cpp file type)."""
    opts = quantize_options(
        type,
        imatrix=imatrix,
        allow_requantize=allow_requantize,
        output_tensor_type=output_tensor_type,
        token_embedding_type=token_embedding_type,
        pure=pure,
        threads=threads,
    )
    src, out = Path(source), Path(output)
    llama_log.install(verbose=verbose)
    if out.is_dir():
        raise QuantizeError(f"{out} is a folder: give the output file's name")
    if out.exists() and out.resolve() == src.resolve():
        raise QuantizeError(f"{out} is the source: write the quantized model to another file")
    folder = out.parent if str(out.parent) else Path(".")
    if not folder.is_dir():
        raise QuantizeError(f"{folder}: no such folder for the output")
    if not os.access(folder, os.W_OK):
        raise QuantizeError(f"{folder}: not writable")
    estimate = check(src, opts)
    ensure_room(folder, estimate.output_bytes, out.name)
    temp = folder / f".{out.name}.mfc-{os.getpid()}.tmp"
    started = time.perf_counter()
    report = run(src, temp, opts, progress, status=progress_status(estimate.source_type, opts))
    os.replace(temp, out)
    meta = read_metadata(out)
    return QuantizeResult(
        out,
        opts.type.name,
        meta.file_type or 0,
        out.stat().st_size,
        report.model_mib,
        report.quant_mib,
        time.perf_counter() - started,
        estimate.warnings,
    )


def progress_status(source_type: str, opts: QuantizeOptions) -> str:
    """The progress status of a quantization: ``quantizing F16 model to Q4_K_M``."""
    return f"quantizing {source_type} model to {opts.type.name}"


def run(
    source: Path,
    target: Path,
    opts: QuantizeOptions,
    progress: Progress | None = None,
    *,
    status: str = "",
    name: str = "",
) -> _Report:
    """Quantize for real into ``target`` (a temporary path the caller renames); on any
    failure, interruption included, ``target`` is removed and the error explains, naming
    the source as ``name`` (its path unless given).  ``progress`` gets a count of
    tensors under ``status`` (``quantizing to <type>`` unless given)."""
    report: _Report | None = None
    failure: list[BaseException] = []

    def work() -> None:
        nonlocal report
        try:
            report = _run_llama(source, target, opts, progress=progress, status=status)
        except BaseException as error:  # noqa: BLE001 - handed to the waiting thread
            failure.append(error)

    worker = threading.Thread(target=work, name="llama-quantize", daemon=True)
    try:
        worker.start()
        while worker.is_alive():
            worker.join(0.1)  # wake up for Ctrl-C
    except BaseException:
        target.unlink(missing_ok=True)  # llama.cpp may still be writing: the name goes now, the data at exit
        raise
    if failure:
        target.unlink(missing_ok=True)
        raise failure[0]
    assert report is not None
    if report.rc != 0 or not target.is_file():
        target.unlink(missing_ok=True)
        raise QuantizeError(f"llama.cpp failed to quantize {name or source} to {opts.type.name}: {report.reason()}")
    return report


@dataclass
class _Report:
    """What llama.cpp said during one ``llama_model_quantize`` call."""

    rc: int = 0
    model_mib: float = 0.0
    quant_mib: float = 0.0
    needs_imatrix: bool = False
    errors: list[str] = field(default_factory=list)

    def reason(self) -> str:
        return self.errors[0] if self.errors else f"return code {self.rc} (run with --verbose for llama.cpp's log)"


def _run_llama(
    source: Path,
    target: Path,
    opts: QuantizeOptions,
    *,
    dry_run: bool = False,
    progress: Progress | None = None,
    status: str = "",
) -> _Report:
    import llama_cpp

    llama_log.install()
    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = opts.type.ftype
    params.nthread = opts.threads
    params.allow_requantize = opts.allow_requantize
    params.pure = opts.pure
    params.dry_run = dry_run
    for attribute, name in (
        ("output_tensor_type", opts.output_tensor_type),
        ("token_embedding_type", opts.token_embedding_type),
    ):
        if name is not None:
            setattr(params, attribute, _ggml_type(name))
    keep: list[Any] = []
    if opts.imatrix is not None:
        params.imatrix, keep = imatrices.as_ctypes(imatrices.load(opts.imatrix))
    report = _Report()

    def listen(level: int, text: str) -> None:
        if level == llama_log.ERROR and text.strip():
            report.errors.append(text.strip())
        elif level == llama_log.WARN and "require an imatrix" in text:
            report.needs_imatrix = True
        elif level == llama_log.INFO:
            if progress is not None and (match := TENSOR.search(text)):
                done, total = int(match.group(1)), int(match.group(2))
                progress(Event(status or f"quantizing to {opts.type.name}", total, done, TENSORS))
            for kind, mib in SIZES.findall(text):
                setattr(report, f"{kind}_mib", float(mib))

    with llama_log.listening(listen):
        report.rc = llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params))
    llama_log.take_errors()  # reported here, not again by the next model load
    del keep
    return report


def _llama_cpp_version() -> str:
    """The installed llama-cpp-python (which pins its llama.cpp), without loading it."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("llama_cpp_python")
    except PackageNotFoundError:
        raise QuantizeError("quantizing needs llama-cpp-python: pip install 'mfc[run]'") from None


def _ggml_type(name: str) -> int | None:
    from gguf.constants import GGMLQuantizationType

    try:
        return int(GGMLQuantizationType[name.upper()])
    except KeyError:
        return None
