"""One blob from a registry into the store, verified, resumable.

The bytes go to ``blobs/sha256-<hex>-partial`` (a name prune and Ollama both treat as
temporary).  A large blob is fetched as ranges in parallel; what each range has
received is recorded beside it (``-partial.json``), so an interrupted pull resumes where
it stopped instead of starting again.  A registry that ignores ``Range`` (answers
``200`` with the whole blob) is read in one stream.  When all bytes are there, the file is
hashed: only a file whose SHA-256 is the digest is renamed into place; a mismatch
deletes it and says which blob.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx

from builder.registry.client import RegistryClient
from builder.registry.errors import RegistryError
from builder.registry.prefix_hash import PrefixHash
from builder.registry.reference import Reference
from builder.store import Store, hash_file

#: Blobs larger than this are fetched as parallel ranges.
PARALLEL_FROM = 64 * 2**20
PART_SIZE = 32 * 2**20
MAX_PARALLEL = 4
CHUNK = 2**20
#: How often (bytes per part) the record of what each part has received is saved.
SAVE_EVERY = 8 * 2**20
#: How often a range is asked for again after its connection dropped.
RETRIES = 5

Report = Callable[[int], None]  # bytes received so far, over all parts


class _NoRanges(Exception):
    """The registry answered a ranged request with the whole blob."""


def plan(size: int) -> list[tuple[int, int]]:
    """The byte ranges (start, end exclusive) a blob of ``size`` is fetched in.

    >>> plan(10)
    [(0, 10)]
    >>> len(plan(PARALLEL_FROM + 1)), plan(PARALLEL_FROM + 1)[-1][1] == PARALLEL_FROM + 1
    (3, True)
    """
    if size <= PARALLEL_FROM:
        return [(0, size)]
    return [(start, min(start + PART_SIZE, size)) for start in range(0, size, PART_SIZE)]


class _Parts:
    """What each part has received, saved beside the partial file."""

    def __init__(self, record: Path, parts: list[tuple[int, int]]) -> None:
        self.record = record
        self.parts = parts
        self.done = [0] * len(parts)
        self.lock = threading.Lock()
        with contextlib.suppress(OSError, ValueError, TypeError, KeyError):
            saved = json.loads(record.read_text(encoding="utf-8"))
            if saved["parts"] == [list(part) for part in parts]:
                self.done = [
                    max(0, min(int(done), end - start)) for done, (start, end) in zip(saved["done"], parts, strict=True)
                ]

    def total(self) -> int:
        return sum(self.done)

    def save(self) -> None:
        with self.lock:
            data = json.dumps({"parts": [list(part) for part in self.parts], "done": self.done})
            temp = self.record.with_name(self.record.name + ".tmp")
            temp.write_text(data, encoding="utf-8")
            os.replace(temp, self.record)

    def reset(self) -> None:
        self.done = [0] * len(self.parts)


def download_blob(client: RegistryClient, ref: Reference, store: Store, digest: str, size: int, report: Report) -> bool:
    """Fetch ``digest`` (``size`` bytes) into ``store``; whether it was new.  A blob the
    store has already is not fetched."""
    final = store.blob_path(digest)
    if final.is_file():
        return False
    store.blobs.mkdir(parents=True, exist_ok=True)
    partial = final.with_name(final.name + "-partial")
    parts = _Parts(final.with_name(final.name + "-partial.json"), plan(size))
    handle = os.open(partial, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        if os.fstat(handle).st_size != size:
            os.ftruncate(handle, size)
        try:
            computed = _fetch_parts(client, ref, digest, handle, parts, report)
        except _NoRanges:
            parts.reset()
            _fetch_whole(client, ref, digest, handle, size, report)
            computed = None
        os.fsync(handle)
    finally:
        os.close(handle)
    found = computed or hash_file(partial)[0]
    if found != digest:
        partial.unlink(missing_ok=True)
        parts.record.unlink(missing_ok=True)
        raise RegistryError(f"digest mismatch, file must be downloaded again: want {digest}, got {found} ({ref})")
    created = store.adopt(partial, digest)
    parts.record.unlink(missing_ok=True)
    return created


class _Dropped(Exception):
    """The connection broke, or ended, before the range was complete: worth retrying."""


def _fetch_range(
    client: RegistryClient,
    ref: Reference,
    digest: str,
    handle: int,
    span: tuple[int, int, int],
    received: Callable[[int], None],
    stop: threading.Event,
) -> None:
    """One request for the bytes ``offset:end`` of the blob (``span`` is start, offset,
    end; the whole blob, unranged, when ``offset`` is 0 and ``start``/``end`` cover it
    and ``received`` is told the new offset after each write)."""
    start, offset, end = span
    ranged = not (start == 0 and offset == 0 and end == _size_of(handle))
    headers = {"Range": f"bytes={offset}-{end - 1}"} if ranged else {}
    what = f"pull blob: {ref} {digest}"
    with client.stream("GET", ref.blob_url(digest), scope=ref.scope("pull"), headers=headers, what=what) as answer:
        if answer.status_code >= 400:
            answer.read()
            raise RegistryError.from_response("pull blob", f"{ref} {digest}", answer.status_code, answer.content)
        if ranged and answer.status_code != 206:
            raise _NoRanges
        try:
            for chunk in answer.iter_bytes():
                if stop.is_set():
                    return
                if len(chunk) > end - offset:
                    raise RegistryError(f"{what}: the registry sent more bytes than the blob has")
                os.pwrite(handle, chunk, offset)
                offset += len(chunk)
                received(offset)
        except httpx.TransportError as error:
            raise _Dropped(str(error) or type(error).__name__) from None
    if offset != end:
        raise _Dropped(f"the answer ended {end - offset} bytes early")


def _size_of(handle: int) -> int:
    return os.fstat(handle).st_size


def _retrying(what: str, attempt: Callable[[], None], stop: threading.Event) -> None:
    """``attempt()`` until it completes, again after a dropped connection (``RETRIES``
    times, waiting a little longer each time); other errors go through at once."""
    for tries in range(RETRIES + 1):
        try:
            attempt()
            return
        except (_Dropped, RegistryError) as error:
            retry = isinstance(error, _Dropped) or (isinstance(error, RegistryError) and error.status == 0)
            if not retry or tries == RETRIES or stop.is_set():
                if isinstance(error, _Dropped):
                    raise RegistryError(f"{what}: the connection dropped {tries + 1} times ({error})") from None
                raise
            time.sleep(min(0.2 * 2**tries, 5.0))


def _fetch_parts(
    client: RegistryClient, ref: Reference, digest: str, handle: int, parts: _Parts, report: Report
) -> str | None:
    """Fetch the ranges not yet complete, in parallel; the blob's digest, hashed as the
    ranges complete (``prefix_hash.py``; ``None``: hash the file afterwards)."""
    report(parts.total())
    complete = [done == end - start for done, (start, end) in zip(parts.done, parts.parts, strict=True)]
    todo = [index for index, whole in enumerate(complete) if not whole]
    prefix = PrefixHash(handle, parts.parts)
    prefix.start(complete)
    failure: list[BaseException] = []
    stop = threading.Event()

    def fetch(index: int) -> None:
        start, end = parts.parts[index]
        unsaved = [0]

        def received(offset: int) -> None:
            with parts.lock:
                unsaved[0] += offset - start - parts.done[index]
                parts.done[index] = offset - start
            report(parts.total())
            if unsaved[0] >= SAVE_EVERY:
                parts.save()
                unsaved[0] = 0

        def attempt() -> None:
            span = (start, start + parts.done[index], end)
            _fetch_range(client, ref, digest, handle, span, received, stop)

        if not stop.is_set():
            _retrying(f"pull blob: {ref} {digest}", attempt, stop)
            if not stop.is_set():
                prefix.finished(index)

    try:
        with ThreadPoolExecutor(max(1, min(MAX_PARALLEL, len(todo)))) as pool:
            futures = [pool.submit(fetch, index) for index in todo]
            for future in futures:
                try:
                    future.result()
                except BaseException as error:  # noqa: BLE001 - the first failure is raised below
                    stop.set()
                    failure.append(error)
    finally:
        parts.save()
        if failure:
            prefix.stop()
    if failure:
        no_ranges = [error for error in failure if isinstance(error, _NoRanges)]
        raise no_ranges[0] if no_ranges else failure[0]
    return prefix.result()


def _fetch_whole(client: RegistryClient, ref: Reference, digest: str, handle: int, size: int, report: Report) -> None:
    """The blob in one unranged answer (a registry that ignores ``Range``): a retry
    starts again from the first byte."""
    stop = threading.Event()
    _retrying(
        f"pull blob: {ref} {digest}",
        lambda: _fetch_range(client, ref, digest, handle, (0, 0, size), report, stop),
        stop,
    )
