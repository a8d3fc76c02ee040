"""Copying a file into the store while hashing it, fast, reading the weights once.

On Linux the kernel copies (``copy_file_range``: the bytes never pass through Python,
and filesystems that can share extents, like btrfs and XFS, clone them), chunk by chunk,
while a worker thread hashes each chunk from the page cache of the copy as the next one
is copied; the copy is fsynced while the last chunks are hashed.  So the digest is that
of the bytes written, and a model larger than memory is still read from disk once.
Elsewhere (another OS, or a pair of filesystems the kernel cannot copy between) the
bytes go through one reused buffer: read, hashed (hashlib releases the GIL for large
buffers) and written.
"""

from __future__ import annotations

import hashlib
import os
import queue
import threading
from collections.abc import Callable, Iterator
from io import RawIOBase
from pathlib import Path
from typing import IO

CHUNK = 8 * 1024 * 1024

Report = Callable[[int], None]  # bytes copied and hashed so far


def read_chunks(reader: RawIOBase) -> Iterator[memoryview]:
    """A file's bytes, ``CHUNK`` at a time, read into one reused buffer: no new bytes
    object (and copy) per chunk.  Each view is valid until the next one is taken."""
    buffer = bytearray(CHUNK)
    view = memoryview(buffer)
    while count := reader.readinto(buffer):
        yield view[:count]


def copy_hashed(source: Path, handle: IO[bytes], report: Report) -> tuple[str, int]:
    """Append ``source``'s bytes to the new, empty file ``handle``: the sha256 digest of
    what was written, and its size."""
    with source.open("rb", buffering=0) as reader:
        handle.flush()
        copied = _kernel_copy(reader.fileno(), handle.fileno(), report)
        if copied is not None:
            return copied
        hasher = hashlib.sha256()
        size = 0
        for chunk in read_chunks(reader):
            hasher.update(chunk)
            handle.write(chunk)
            size += len(chunk)
            report(size)
        return "sha256:" + hasher.hexdigest(), size


def _kernel_copy(reader: int, writer: int, report: Report) -> tuple[str, int] | None:
    """The kernel copy with hashing beside it; None when the kernel cannot copy between
    these files (then nothing was written)."""
    if not hasattr(os, "copy_file_range"):
        return None
    hasher = hashlib.sha256()
    chunks: queue.SimpleQueue[tuple[int, int] | None] = queue.SimpleQueue()
    hashed: queue.SimpleQueue[int | BaseException] = queue.SimpleQueue()

    def hash_chunks() -> None:
        buffer = bytearray(CHUNK)
        view = memoryview(buffer)
        try:
            while (chunk := chunks.get()) is not None:
                offset, end = chunk
                while offset < end:
                    count = os.preadv(writer, [view[: end - offset]], offset)
                    if not count:
                        raise OSError(f"the copy ends at byte {offset}, before the {end} bytes written")
                    hasher.update(view[:count])
                    offset += count
                hashed.put(end)
        except BaseException as error:  # noqa: BLE001 - handed to the copying thread, which raises it
            hashed.put(error)

    worker = threading.Thread(target=hash_chunks, name="mfc-hash", daemon=True)
    worker.start()
    size = done = 0

    def collect(wait: bool) -> None:
        nonlocal done
        while done < size and (wait or not hashed.empty()):
            item = hashed.get()
            if isinstance(item, BaseException):
                raise item
            done = item
            report(done)

    try:
        while True:
            try:
                count = os.copy_file_range(reader, writer, CHUNK)
            except OSError:
                if size:
                    raise
                return None  # e.g. EXDEV, EINVAL: another filesystem; copy through a buffer
            if not count:
                break
            chunks.put((size, size + count))
            size += count
            collect(wait=False)
        if not size and os.fstat(reader).st_size:
            return None  # some pseudo-filesystems copy nothing: read them instead
        os.fsync(writer)  # the disk writes while the last chunks are hashed
        collect(wait=True)
    finally:
        chunks.put(None)
    worker.join()
    return "sha256:" + hasher.hexdigest(), size
