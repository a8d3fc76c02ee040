"""An Ollama-compatible model store: ``blobs/sha256-<hex>`` and
``manifests/<host>/<namespace>/<model>/<tag>``.

Writes are crash-safe.  A blob is streamed into a temporary file inside ``blobs/``
(its name is not a digest, so Ollama's prune removes it if we die), hashed on the
way, fsynced and renamed into place; a manifest is written to a temporary file in
the store root (outside ``manifests/``, where Ollama would take it for a model) and
renamed into place after every blob it names exists.  One file lock serialises
writers to a store; readers need none.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import tempfile
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from builder.blobcopy import copy_hashed, read_chunks
from builder.errors import InvalidDigest, ModelNameError, ModelNotFound, StoreError
from builder.events import Event, Progress
from builder.manifest import Manifest
from builder.names import ModelName, parse_name

DIGEST = re.compile(r"sha256[:-]([0-9a-fA-F]{64})\Z")
PRUNE_GRACE = 3600.0  # Ollama leaves blobs younger than an hour alone: another process may be writing them

Writer = Callable[[IO[bytes]], object]  # fills a temporary file


def default_root(store: str | os.PathLike[str] | None = None) -> Path:
    """``--store``, else ``$MFC_MODELS``, else ``$OLLAMA_MODELS``, else ``~/.ollama/models``."""
    if store:
        return Path(store).expanduser()
    for variable in ("MFC_MODELS", "OLLAMA_MODELS"):
        value = os.environ.get(variable, "").strip().strip("\"'")  # Ollama trims quotes too
        if value:
            return Path(value).expanduser()
    return Path.home() / ".ollama" / "models"


@dataclass(frozen=True)
class StoredModel:
    name: ModelName
    path: Path
    manifest: Manifest
    digest: str  # sha256 hex of the manifest bytes: the model's ID
    modified: float


def blob_label(path: Path) -> str:
    """How output names a file of ``blobs/``: a blob by its digest, ``sha256:<hex>`` (as
    manifests and every command print it, not the file's ``sha256-<hex>``), anything else
    (a killed writer's temporary file) by its file name.

    >>> blob_label(Path("blobs") / ("sha256-" + "ab" * 32)) == "sha256:" + "ab" * 32
    True
    >>> blob_label(Path("sha256-mfc-gen-1.tmp"))
    'sha256-mfc-gen-1.tmp'
    """
    match = DIGEST.match(path.name)
    return f"sha256:{match.group(1).lower()}" if match else path.name


def digest_of_bytes(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def hash_file(path: Path, progress: Progress | None = None, status: str = "") -> tuple[str, int]:
    """sha256 and size of a file, read in chunks; ``progress`` gets byte counts under
    ``status`` (``hashing <name>`` unless given)."""
    digest = hashlib.sha256()
    size = 0
    with path.open("rb", buffering=0) as handle:
        total = os.fstat(handle.fileno()).st_size
        for chunk in read_chunks(handle):
            digest.update(chunk)
            size += len(chunk)
            if progress:
                progress(Event(status or f"hashing {path.name}", total, size))
    return "sha256:" + digest.hexdigest(), size


class Store:
    """One store root."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)
        self.blobs = self.root / "blobs"
        self.manifests = self.root / "manifests"

    def require(self) -> Store:
        """This store, which must exist: ``StoreError`` if its folder does not (so that
        ``mfc verify`` cannot report "ok" on a store that is not there).

        >>> import tempfile
        >>> Store(tempfile.mkdtemp()).require().root.is_dir()
        True
        >>> Store("/no/such/store").require()
        Traceback (most recent call last):
          ...
        builder.errors.StoreError: /no/such/store: no store there (no such folder)
        """
        if not self.root.is_dir():
            raise StoreError(f"{self.root}: no store there (no such folder)")
        return self

    # ---- locking ----------------------------------------------------------------------

    @contextlib.contextmanager
    def locked(self) -> Iterator[None]:
        """Serialise writers (build, cp, rm, prune) to this store."""
        from filelock import FileLock  # here: readers (list, show, run) never load it

        self.root.mkdir(parents=True, exist_ok=True)
        with FileLock(str(self.root / ".mfc.lock")):
            yield

    # ---- blobs --------------------------------------------------------------------------

    def blob_path(self, digest: str) -> Path:
        match = DIGEST.match(digest)
        if match is None:
            raise InvalidDigest(f"invalid digest format: {digest!r}")
        return self.blobs / f"sha256-{match.group(1).lower()}"

    def has_blob(self, digest: str) -> bool:
        return self.blob_path(digest).is_file()

    def read_blob(self, digest: str) -> bytes:
        try:
            return self.blob_path(digest).read_bytes()
        except FileNotFoundError:
            raise StoreError(f"blob {digest} is missing from {self.blobs}") from None

    def add_bytes(self, data: bytes) -> tuple[str, int]:
        """Store ``data`` (if new); its digest and size."""
        digest = digest_of_bytes(data)
        final = self.blob_path(digest)
        if not final.exists():
            self._commit(lambda handle: handle.write(data), final)
        self._touch(final)
        return digest, len(data)

    def add_file(
        self,
        source: Path,
        digest: str | None = None,
        *,
        link: bool = False,
        progress: Progress | None = None,
        label: str = "",
    ) -> tuple[str, int, bool]:
        """Store a file's bytes (if new), by copy or, with ``link``, by reflink or hard
        link: its digest, its size, and whether the blob is new.  ``progress`` counts the
        bytes under ``copying <label>`` (the file's name unless given: a scratch file is
        better named by what it holds).

        ``digest`` is the file's digest when already known (then an existing blob is
        reused without reading the file).  A copied file is hashed as it is copied, in
        one pass; the result is renamed into place only when the hash is known.
        """
        if digest is not None and self.has_blob(digest):
            final = self.blob_path(digest)
            self._touch(final)
            return digest, final.stat().st_size, False
        self.blobs.mkdir(parents=True, exist_ok=True)
        status = f"copying {label or source.name}"
        if link:
            linked = self._link(source, progress, status)
            if linked is not None:
                return linked
        found, size = "", 0
        total = source.stat().st_size

        def report(done: int) -> None:
            if progress:
                progress(Event(status, total, done))

        def copy(handle: IO[bytes]) -> None:
            nonlocal found, size
            found, size = copy_hashed(source, handle, report)

        temp = self._write_temp(copy)
        if digest is not None and digest != found:
            temp.unlink(missing_ok=True)
            raise StoreError(f"{source} changed while it was being stored (expected {digest}, read {found})")
        return found, size, self._place(temp, self.blob_path(found))

    def add_generated(self, produce: Callable[[Path], None]) -> tuple[str, int, bool]:
        """Store a file that ``produce`` writes at the path it is given (a temporary name
        in ``blobs/``, removed if ``produce`` fails): its digest, size, whether new."""
        self.blobs.mkdir(parents=True, exist_ok=True)
        temp = self.blobs / f"sha256-mfc-gen-{os.getpid()}-{time.monotonic_ns()}.tmp"
        try:
            produce(temp)
            digest, size = hash_file(temp)
            with temp.open("rb+") as handle:
                os.fsync(handle.fileno())
            return digest, size, self._place(temp, self.blob_path(digest))
        finally:
            temp.unlink(missing_ok=True)

    def _link(self, source: Path, progress: Progress | None, status: str) -> tuple[str, int, bool] | None:
        """A copy-on-write clone of ``source`` where the filesystem can (btrfs, XFS, APFS),
        else a hard link; None when neither works (then the caller copies)."""
        temp = self.blobs / f"sha256-mfc-link-{os.getpid()}-{time.monotonic_ns()}.tmp"
        if not _reflink(source, temp):
            try:
                os.link(source, temp)
            except OSError:
                return None  # another filesystem, or links not supported
        try:
            digest, size = hash_file(temp, progress, status)
            created = self._place(temp, self.blob_path(digest))
        finally:
            temp.unlink(missing_ok=True)
        return digest, size, created

    def adopt(self, temp: Path, digest: str) -> bool:
        """Rename the temporary file ``temp`` (in ``blobs/``, fsynced, already verified to
        hash to ``digest``) into place as that blob; whether it was new (else ``temp`` is
        removed and the existing blob kept)."""
        return self._place(temp, self.blob_path(digest))

    def _write_temp(self, write: Writer) -> Path:
        """A temporary blob: its name is not a digest, so Ollama's prune removes it if we die."""
        self.blobs.mkdir(parents=True, exist_ok=True)
        return _durable_temp(self.blobs, "sha256-mfc-", write)

    def _commit(self, write: Writer, final: Path) -> None:
        self._place(self._write_temp(write), final)

    def _place(self, temp: Path, final: Path) -> bool:
        """Rename ``temp`` to ``final`` unless that blob exists already; whether it was new."""
        created = not final.exists()
        if created:
            os.replace(temp, final)
            os.chmod(final, 0o644)
            _fsync_dir(final.parent)
        else:
            temp.unlink(missing_ok=True)
        self._touch(final)
        return created

    @staticmethod
    def _touch(path: Path) -> None:
        now = time.time()
        with contextlib.suppress(OSError):  # a read-only hard-linked source: the time is advisory
            os.utime(path, (now, now))

    # ---- manifests ----------------------------------------------------------------------

    def manifest_path(self, name: ModelName) -> Path:
        return self.manifests.joinpath(*name.parts)

    def resolve(self, name: str | ModelName) -> ModelName:
        """The name as stored: parts matched without regard to case, as Ollama does."""
        wanted = parse_name(name) if isinstance(name, str) else name
        for stored in self._names():
            if stored.equal_fold(wanted):
                return stored
        return wanted

    def find(self, name: str | ModelName) -> StoredModel:
        resolved = self.resolve(name)
        path = self.manifest_path(resolved)
        try:
            data = path.read_bytes()
        except (FileNotFoundError, NotADirectoryError):
            raise ModelNotFound(f"model '{resolved.display()}' not found in {self.root}") from None
        manifest = Manifest.decode(data, str(path))
        return StoredModel(resolved, path, manifest, hashlib.sha256(data).hexdigest(), path.stat().st_mtime)

    def find_optional(self, name: str | ModelName) -> StoredModel | None:
        try:
            return self.find(name)
        except StoreError:
            return None

    def write_manifest(self, name: ModelName, manifest: Manifest) -> str:
        """Write the manifest atomically; every blob it names must exist.  Its digest."""
        return self.write_manifest_bytes(name, manifest.encode())

    def write_manifest_bytes(self, name: ModelName, data: bytes) -> str:
        """Write manifest bytes (as they are: a copy keeps its ID) through a temporary
        file outside ``manifests/``, after checking that every blob they name exists."""
        manifest = Manifest.decode(data, name.display())
        for layer in (manifest.config, *manifest.layers):
            if not self.has_blob(layer.digest):
                raise StoreError(f"refusing to write {name.display()}: blob {layer.digest} is missing")
        target = self.manifest_path(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        temp = _durable_temp(self.root, ".mfc-manifest-", lambda handle: handle.write(data))
        try:
            os.chmod(temp, 0o644)
            os.replace(temp, target)
        except BaseException:
            temp.unlink(missing_ok=True)
            raise
        _fsync_dir(target.parent)
        return hashlib.sha256(data).hexdigest()

    def _names(self) -> Iterator[ModelName]:
        for path in sorted(self.manifests.glob("*/*/*/*")) if self.manifests.is_dir() else []:
            if not path.is_file():
                continue
            host, namespace, model, tag = path.relative_to(self.manifests).parts
            try:
                yield parse_name(f"{host}/{namespace}/{model}:{tag}")
            except ModelNameError:
                continue  # Ollama does not list it either

    def models(self) -> list[StoredModel]:
        """Every readable manifest at Ollama's four-level path."""
        found = []
        for name in self._names():
            try:
                found.append(self.find(name))
            except StoreError:
                continue
        return found

    def referenced(self) -> set[str]:
        """Blob file names that some readable manifest uses."""
        names: set[str] = set()
        for model in self.models():
            for layer in (model.manifest.config, *model.manifest.layers):
                names.add(self.blob_path(layer.digest).name)
        return names

    def remove_manifest(self, name: ModelName) -> None:
        path = self.manifest_path(name)
        path.unlink()
        for parent in path.parents:  # Ollama's PruneDirectory: drop empty folders
            if parent == self.manifests:
                break
            with contextlib.suppress(OSError):
                parent.rmdir()

    def remove_unused(self, manifest: Manifest) -> list[Path]:
        """Delete the blobs of ``manifest`` that no manifest in the store uses (Ollama's
        ``RemoveLayers``, run after a delete or when a name is rebuilt)."""
        names = {self.blob_path(layer.digest).name for layer in (manifest.config, *manifest.layers)}
        return self.prune(grace=0, only=names)

    def prune(self, *, grace: float = PRUNE_GRACE, only: set[str] | None = None) -> list[Path]:
        """Delete blobs no manifest uses, and temporary files a killed writer left, older
        than ``grace`` seconds; ``only`` limits it to some blob names.  What was removed."""
        cutoff = time.time() - grace
        removed = []
        for path in self.unused(only=only):
            if path.stat().st_mtime > cutoff:
                continue
            path.unlink(missing_ok=True)
            removed.append(path)
        return removed

    def unused(self, *, only: set[str] | None = None) -> list[Path]:
        """What ``prune`` would delete but for the grace period: blobs no manifest uses
        (``only`` some names) and, unless ``only``, temporary files a writer left."""
        keep = self.referenced()
        candidates = sorted(self.blobs.iterdir()) if self.blobs.is_dir() else []
        if only is None and self.root.is_dir():
            candidates += sorted(self.root.glob(".mfc-manifest-*.tmp"))
        return [
            path
            for path in candidates
            if path.name not in keep and (only is None or path.name in only) and path.is_file()
        ]


StoreLike = Store | str | os.PathLike[str] | None  # a store, its root folder, or None: the default one


def as_store(store: StoreLike = None) -> Store:
    """The store ``store`` stands for: itself, the store at a folder, or (``None``) the
    default store (``default_root``)."""
    return store if isinstance(store, Store) else Store(default_root(store))


FICLONE = 0x40049409  # Linux ioctl: share the source's extents, copy-on-write


def _reflink(source: Path, target: Path) -> bool:
    try:
        import fcntl
    except ImportError:  # Windows
        return False
    try:
        with source.open("rb") as reader, target.open("xb") as writer:
            fcntl.ioctl(writer.fileno(), FICLONE, reader.fileno())
    except OSError:
        target.unlink(missing_ok=True)
        return False
    return True


def _durable_temp(folder: Path, prefix: str, write: Writer) -> Path:
    """A new temporary file in ``folder`` holding what ``write`` wrote, fsynced; removed
    again if writing fails."""
    name = ""
    try:
        with tempfile.NamedTemporaryFile(dir=folder, prefix=prefix, suffix=".tmp", delete=False) as handle:
            name = handle.name
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
    except BaseException:
        if name:
            Path(name).unlink(missing_ok=True)
        raise
    return Path(name)


def _fsync_dir(folder: Path) -> None:
    with contextlib.suppress(OSError):
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
