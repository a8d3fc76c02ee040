"""Blobs uploaded by digest (Ollama's ``POST /api/blobs/:digest``): the bytes are
hashed while they are written to a temporary file inside the store's ``blobs/``, and
the file enters the store, by the store's atomic rename, only when its hash is the
digest it was sent under.  A mismatch, or an upload that stops half way, stores nothing."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from types import TracebackType

from builder.errors import DigestMismatch
from builder.store import StoreLike, as_store


class BlobUpload:
    """One upload in progress: ``write`` chunks, then ``finish`` (whether the blob is new).
    As a context manager, an upload left unfinished (an error, a client gone) is removed.

    >>> import builder, hashlib, tempfile
    >>> store = builder.Store(tempfile.mkdtemp())
    >>> digest = "sha256:" + hashlib.sha256(b"hello").hexdigest()
    >>> with BlobUpload(digest, store=store) as upload:
    ...     upload.write(b"hel")
    ...     upload.write(b"lo")
    ...     upload.finish()
    True
    >>> store.read_blob(digest)
    b'hello'
    >>> other = "sha256:" + hashlib.sha256(b"other").hexdigest()
    >>> with BlobUpload(other, store=store) as upload:  # doctest: +ELLIPSIS
    ...     upload.write(b"hello")
    ...     upload.finish()
    Traceback (most recent call last):
      ...
    builder.errors.DigestMismatch: digest mismatch, expected "sha256:...", got "sha256:2cf24d..."
    """

    def __init__(self, digest: str, *, store: StoreLike = None) -> None:
        self.store = as_store(store)
        final = self.store.blob_path(digest)  # InvalidDigest before any file is made
        self.digest = final.name.replace("-", ":", 1)
        self.store.blobs.mkdir(parents=True, exist_ok=True)
        self._hasher = hashlib.sha256()
        handle, name = tempfile.mkstemp(dir=self.store.blobs, prefix="sha256-mfc-upload-", suffix=".tmp")
        self._file = os.fdopen(handle, "wb")  # closed by finish or abort
        self.path = Path(name)
        self.size = 0

    def write(self, chunk: bytes) -> None:
        """Append ``chunk`` to the temporary file and to the hash."""
        self._hasher.update(chunk)
        self._file.write(chunk)
        self.size += len(chunk)

    def finish(self) -> bool:
        """Check the hash and move the file into place: whether the blob is new
        (``DigestMismatch``, and nothing stored, if the bytes hash to another digest)."""
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        found = "sha256:" + self._hasher.hexdigest()
        if found != self.digest:
            self.abort()
            raise DigestMismatch(f'digest mismatch, expected "{self.digest}", got "{found}"')
        return self.store.adopt(self.path, self.digest)

    def abort(self) -> None:
        """Drop the upload: close and remove the temporary file."""
        self._file.close()
        self.path.unlink(missing_ok=True)

    def __enter__(self) -> BlobUpload:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.abort()  # a finished upload's file has been renamed: nothing left to remove
