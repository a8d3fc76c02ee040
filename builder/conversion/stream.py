"""Writing a GGUF file one tensor, and one slab of rows, at a time.

gguf-py's writer lays out the header, the metadata and the tensor table; each tensor's
data is then produced by a ``StreamedTensor`` that reads its rows from the checkpoint
(``readinto`` a fresh array, one slab at a time), transforms them (a row slab is
always whole heads, for the q/k permutation), checks them, encodes them and appends
them to the file.  A tensor assembled from many checkpoint tensors (a mixture of
experts' ``ffn_*_exps``: one expert after another along the first axis) is written
part by part the same way, so it is never whole in memory either.  Memory stays within
one slab (16 MB of float32 rows) whatever the model's size.  The file is written under
a temporary name and renamed at the end; on any failure it is removed.
"""

from __future__ import annotations

import contextlib
import errno
import os
import struct
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, replace
from pathlib import Path
from typing import IO, Any

import numpy as np
from gguf import GGUFEndian, GGUFValueType, GGUFWriter
from gguf.constants import GGMLQuantizationType
from gguf.constants import GGMLQuantizationType as T

from builder.conversion.checkpoint import FLOATS, Checkpoint, TensorRef
from builder.conversion.encode import encode, nbytes
from builder.errors import ConvertError
from builder.events import TENSORS, Event, Progress

SLAB = 16 * 1024 * 1024  # bytes of float32 rows held at once

Transform = Callable[[np.ndarray, int], np.ndarray]  # (rows, index of the first row) -> rows


@dataclass(frozen=True)
class TensorJob:
    """One output tensor: its GGUF name and type, and where its rows come from."""

    name: str
    shape: tuple[int, ...]  # numpy order, as gguf-py expects
    qtype: GGMLQuantizationType
    source: TensorRef | None = None  # rows read from the checkpoint ...
    data: np.ndarray | None = None  # ... or computed (e.g. rope_freqs)
    transform: Transform | None = None
    row_block: int = 1  # slabs are multiples of this many rows
    parts: tuple[TensorRef, ...] = ()  # ... or these, stacked along a new first axis
    produce: Callable[[Checkpoint], Iterator[np.ndarray]] | None = None  # ... or encoded bytes, chunk by chunk

    @property
    def pieces(self) -> tuple[TensorJob, ...]:
        """The job as jobs of one source each: itself, or one per stacked part (each
        part's rows are transformed on their own, from row 0).

        >>> from pathlib import Path
        >>> part = TensorRef("e.0.w", "F32", (2, 3), Path("m.safetensors"), 0, 24)
        >>> job = TensorJob("exps.weight", (2, 2, 3), T.F32, parts=(part, part))
        >>> [(piece.shape, piece.source is part) for piece in job.pieces]
        [((2, 3), True), ((2, 3), True)]
        """
        if not self.parts:
            return (self,)
        return tuple(replace(self, shape=self.shape[1:], source=part, parts=()) for part in self.parts)

    @property
    def nbytes(self) -> int:
        return nbytes(self.shape, self.qtype)


class StreamedTensor:
    """What gguf-py's ``write_tensor_data`` needs of an array (``nbytes``, ``tofile``),
    producing the bytes slab by slab."""

    def __init__(self, job: TensorJob, checkpoint: Checkpoint) -> None:
        self.job, self.checkpoint = job, checkpoint
        self.nbytes = job.nbytes

    def byteswap(self, inplace: bool = False) -> StreamedTensor:
        raise ConvertError("mfc writes little-endian GGUF only")

    def tofile(self, handle: IO[bytes]) -> None:
        if self.job.produce is not None:  # already in the output type (e.g. MXFP4 blocks repacked)
            for chunk in self.job.produce(self.checkpoint):
                chunk.tofile(handle)
            return
        if self.job.parts:
            for piece in self.job.pieces:  # one expert after another: one part's slab in memory
                StreamedTensor(piece, self.checkpoint).tofile(handle)
            return
        job = self.job
        if job.data is not None:
            self._write(handle, job.data.astype(np.float32), 0)
            return
        assert job.source is not None
        rows = job.source.rows
        per_row = max(1, job.source.elements // max(rows, 1)) * 4
        step = max(job.row_block, SLAB // per_row // job.row_block * job.row_block)
        as_stored = PASSTHROUGH.get(job.source.dtype) == job.qtype
        order = getattr(job.transform, "order", None)  # a transform that only reorders rows
        if as_stored and job.transform is None:
            self._copy_stored(handle)
        elif as_stored and order is not None:  # reorder the stored bytes: no arithmetic needed
            writing = None  # each slab is written by the copier thread while the next is checked
            for first in range(0, rows, step):
                last = min(rows, first + step)
                stored = self.checkpoint.view(job.source, first, last)
                if not _finite(stored, job.source.dtype):
                    self._refuse(self.checkpoint.rows(job.source, first, last), first)
                reordered = stored[order(last - first)]
                if writing is not None:
                    writing.result()
                writing = _COPIER.submit(reordered.tofile, handle)
            if writing is not None:
                writing.result()
        else:
            for first in range(0, rows, step):
                last = min(rows, first + step)
                self._write(handle, self.checkpoint.rows(job.source, first, last), first)

    def _copy_stored(self, handle: IO[bytes]) -> None:
        """The checkpoint already holds the output's bytes: the kernel copies them file to
        file while numpy checks them, a slab at a time, for NaN and infinity (the two overlap)."""
        source = self.job.source
        assert source is not None
        handle.flush()
        copying = _COPIER.submit(_copy_range, source.path, source.start, source.end - source.start, handle)
        step = max(1, SLAB // 2 // max(1, (source.end - source.start) // max(source.rows, 1)))
        damaged = None
        for first in range(0, source.rows, step):
            last = min(source.rows, first + step)
            if not _finite(self.checkpoint.view(source, first, last), source.dtype):
                damaged = first
                break
        copying.result()
        if damaged is not None:
            self._refuse(self.checkpoint.rows(source, damaged, min(source.rows, damaged + step)), damaged)

    def _write(self, handle: IO[bytes], rows: np.ndarray, first: int) -> None:
        job = self.job
        if job.qtype != T.F16 and not np.isfinite(rows).all():  # F16 encoding checks its own result
            self._refuse(rows, first)
        if job.transform is not None:
            rows = job.transform(rows, first)
        try:
            encoded = encode(rows, job.qtype, job.name)
        except ConvertError:
            if not np.isfinite(rows).all():  # F16 found it: name the real cause
                self._refuse(rows, first)
            raise
        encoded.tofile(handle)

    def _refuse(self, rows: np.ndarray, first: int) -> None:
        job = self.job
        bad = int(rows.size - np.isfinite(rows).sum())
        where = f"{job.source.path}: tensor {job.source.name}" if job.source else f"tensor {job.name}"
        raise ConvertError(
            f"{where} holds {bad} NaN or infinite value(s) (from row {first}): the checkpoint is damaged"
        )


#: Checkpoint dtypes whose bytes are already a GGML type's (the same names in both formats).
PASSTHROUGH = {dtype: T[dtype] for dtype in FLOATS}
_COPIER = ThreadPoolExecutor(max_workers=1, thread_name_prefix="mfc-copy")


def _copy_range(path: Path, offset: int, count: int, handle: IO[bytes]) -> None:
    """``count`` bytes of ``path`` from ``offset`` appended to ``handle``, in the kernel
    where it can (``copy_file_range``), else through a buffer."""
    out = handle.fileno()
    with path.open("rb") as source:
        try:
            while count:
                done = os.copy_file_range(source.fileno(), out, count, offset)
                if done == 0:
                    raise ConvertError(f"{path}: ended early while copying (was it truncated meanwhile?)")
                offset, count = offset + done, count - done
        except (AttributeError, OSError) as error:
            if isinstance(error, OSError) and error.errno not in (
                errno.EXDEV,
                errno.ENOSYS,
                errno.EINVAL,
                errno.EOPNOTSUPP,
            ):
                raise
            source.seek(offset)
            while count:
                chunk = source.read(min(count, SLAB))
                if not chunk:
                    raise ConvertError(f"{path}: ended early while copying") from None
                os.write(out, chunk)
                count -= len(chunk)
    handle.seek(0, os.SEEK_END)


def _finite(stored: np.ndarray, dtype: str) -> bool:
    """No NaN or infinity, checked in cache-sized pieces."""
    flat = stored.reshape(-1)
    step = 1 << 18
    if dtype == "BF16":  # exponent all ones: infinity or NaN
        scratch = np.empty(min(step, flat.size), dtype=np.uint16)
        for start in range(0, flat.size, step):
            piece = flat[start : start + step]
            exponent = np.bitwise_and(piece, 0x7F80, out=scratch[: piece.size])
            if exponent.max(initial=0) == 0x7F80:
                return False
        return True
    return all(bool(np.isfinite(flat[start : start + step]).all()) for start in range(0, flat.size, step))


class FastArrayWriter(GGUFWriter):
    """gguf-py's writer, packing long string and number arrays (vocabularies, merges,
    token types: 100k+ entries) in one pass instead of one Python call per element.
    The bytes are the same; a test compares them with gguf-py's own."""

    def _pack_val(
        self, val: Any, vtype: GGUFValueType, add_vtype: bool, sub_type: GGUFValueType | None = None
    ) -> bytes:
        if (
            vtype == GGUFValueType.ARRAY
            and self.endianess == GGUFEndian.LITTLE
            and isinstance(val, list)
            and len(val) > 64
        ):
            kind = sub_type or GGUFValueType.get_type(val[0])
            body = _pack_array(val, kind)
            if body is not None:
                head = struct.pack("<I", vtype) if add_vtype else b""
                return head + struct.pack("<IQ", kind, len(val)) + body
        return super()._pack_val(val, vtype, add_vtype, sub_type)


_NUMPY_TYPES = {
    GGUFValueType.INT32: ("<i4", int),
    GGUFValueType.UINT32: ("<u4", int),
    GGUFValueType.FLOAT32: ("<f4", float),
}


def _pack_array(values: list[Any], kind: GGUFValueType) -> bytes | None:
    if kind == GGUFValueType.STRING and all(type(v) is str for v in values):
        out = bytearray()
        for value in values:
            encoded = value.encode("utf-8")
            out += len(encoded).to_bytes(8, "little")
            out += encoded
        return bytes(out)
    numeric = _NUMPY_TYPES.get(kind)
    if numeric is not None and all(type(v) is numeric[1] for v in values):
        return np.asarray(values, dtype=numeric[0]).tobytes()
    return None


def write_gguf(
    path: Path,
    arch: str,
    metadata: Callable[[GGUFWriter], None],
    jobs: Sequence[TensorJob],
    checkpoint: Checkpoint,
    progress: Progress | None = None,
    *,
    durable: bool = False,
    status: str = "converting",
) -> None:
    """Write the GGUF at ``path`` atomically: all of it, or nothing.  ``durable`` also
    flushes it to the disk before the rename (for files going into a store; like ``cp``,
    plain conversions leave that to the system)."""
    writer = FastArrayWriter(None, arch)
    metadata(writer)
    for job in jobs:
        writer.add_tensor_info(job.name, job.shape, np.dtype(np.float32), job.nbytes, raw_dtype=job.qtype)
    temp = path.parent / f".{path.name}.mfc-{os.getpid()}.tmp"
    try:
        writer.write_header_to_file(temp)
        writer.write_kv_data_to_file()
        writer.write_ti_data_to_file()
        for index, job in enumerate(jobs):
            writer.write_tensor_data(StreamedTensor(job, checkpoint))  # type: ignore[arg-type]
            if progress is not None:
                progress(Event(status, len(jobs), index + 1, TENSORS))
        assert writer.fout is not None
        for handle in writer.fout:
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        writer.close()
        os.replace(temp, path)
    except BaseException:
        writer.close()
        with contextlib.suppress(OSError):
            temp.unlink()
        raise


def describe(jobs: Sequence[TensorJob]) -> dict[str, Any]:
    """How many tensors of each type, and the data's size."""
    counts: dict[str, int] = {}
    for job in jobs:
        counts[job.qtype.name] = counts.get(job.qtype.name, 0) + 1
    return {"tensors": len(jobs), "types": counts, "bytes": sum(job.nbytes for job in jobs)}
