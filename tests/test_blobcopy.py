"""Copying a file into the store while hashing it (builder/blobcopy.py): the kernel copy
with a hashing thread, and the buffered copy it falls back to, give the same bytes and
digest; errors on either side reach the caller and leave no blob."""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path
from typing import Any

import pytest

from builder import blobcopy
from builder.store import Store

SIZES = [0, 1, blobcopy.CHUNK, 2 * blobcopy.CHUNK + 5]


def copy(tmp_path: Path, data: bytes) -> tuple[tuple[str, int], bytes, list[int]]:
    """``copy_hashed`` of a file holding ``data``: its result, the bytes written, the reports."""
    source = tmp_path / "source"
    source.write_bytes(data)
    reports: list[int] = []
    with (tmp_path / "copy").open("w+b") as handle:
        result = blobcopy.copy_hashed(source, handle, reports.append)
    return result, (tmp_path / "copy").read_bytes(), reports


def assert_copied(tmp_path: Path, data: bytes) -> list[int]:
    (digest, size), written, reports = copy(tmp_path, data)
    assert (digest, size) == ("sha256:" + hashlib.sha256(data).hexdigest(), len(data))
    assert written == data
    assert reports == sorted(reports) and (not data or reports[-1] == len(data))
    return reports


@pytest.mark.parametrize("size", SIZES)
def test_kernel_copy(tmp_path: Path, size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[int] = []
    kernel = os.copy_file_range

    def counted(*args: Any) -> int:
        calls.append(1)
        return kernel(*args)

    monkeypatch.setattr(os, "copy_file_range", counted)
    reports = assert_copied(tmp_path, os.urandom(size))
    assert calls and len(reports) == -(-size // blobcopy.CHUNK)  # a report per chunk hashed


@pytest.mark.parametrize("size", SIZES)
def test_buffered_copy_where_the_kernel_cannot(tmp_path: Path, size: int, monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: Any) -> int:
        raise OSError(errno.EXDEV, "Invalid cross-device link")

    monkeypatch.setattr(os, "copy_file_range", refuse)
    assert_copied(tmp_path, os.urandom(size))


def test_buffered_copy_without_copy_file_range(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delattr(os, "copy_file_range")
    assert_copied(tmp_path, os.urandom(blobcopy.CHUNK + 3))


def test_buffered_copy_when_the_kernel_copies_nothing(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Some pseudo-filesystems report a size but copy_file_range finds no bytes."""
    monkeypatch.setattr(os, "copy_file_range", lambda *args: 0)
    assert_copied(tmp_path, b"not empty")


def test_copy_error_midway_reaches_the_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    kernel = os.copy_file_range
    calls = []

    def full_disk(*args: Any) -> int:
        calls.append(1)
        if len(calls) > 1:
            raise OSError(errno.ENOSPC, "No space left on device")
        return kernel(*args)

    monkeypatch.setattr(os, "copy_file_range", full_disk)
    with pytest.raises(OSError, match="No space left"):
        copy(tmp_path, os.urandom(2 * blobcopy.CHUNK))


def test_hashing_error_reaches_the_caller(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def unreadable(*args: Any) -> int:
        raise OSError(errno.EIO, "Input/output error")

    monkeypatch.setattr(os, "preadv", unreadable)
    with pytest.raises(OSError, match="Input/output error"):
        copy(tmp_path, os.urandom(blobcopy.CHUNK + 1))


def test_failed_copy_leaves_no_blob(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source = tmp_path / "model.gguf"
    source.write_bytes(os.urandom(blobcopy.CHUNK + 1))
    monkeypatch.setattr(os, "preadv", lambda *args: 0)  # the copy reads back short
    store = Store(tmp_path / "store")
    with pytest.raises(OSError, match="the copy ends at byte 0"):
        store.add_file(source)
    assert list(store.blobs.iterdir()) == []


def test_store_copy_is_the_file(tmp_path: Path) -> None:
    data = os.urandom(blobcopy.CHUNK + 7)
    (tmp_path / "model.gguf").write_bytes(data)
    store = Store(tmp_path / "store")
    digest, size, new = store.add_file(tmp_path / "model.gguf")
    assert (digest, size, new) == ("sha256:" + hashlib.sha256(data).hexdigest(), len(data), True)
    assert store.blob_path(digest).read_bytes() == data
    assert [p.name for p in store.blobs.iterdir()] == [store.blob_path(digest).name]
