"""One loader for conformance vectors: ``../shared/vectors`` first (or
``$MFC_VECTORS``), then the copies pinned in ``fixtures/vectors``.  A vector found in
neither place makes its tests skip with a message saying where to put it."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("MFC_VECTORS", REPO.parent / "shared" / "vectors"))
PINNED = REPO / "fixtures" / "vectors"


def find(relative: str) -> Path | None:
    for root in (SHARED, PINNED):
        if (root / relative).exists():
            return root / relative
    return None


def load_json(relative: str) -> Any:
    path = find(relative)
    if path is None:
        pytest.skip(f"vector {relative} not found in {SHARED} or {PINNED} (set MFC_VECTORS)")
    return json.loads(path.read_text(encoding="utf-8"))


def params(relative: str, select: Any = lambda item: True, ident: Any = lambda item: item["name"]) -> list[Any]:
    """``pytest.param`` per item of a JSON list, or one skipping param when absent."""
    path = find(relative)
    if path is None:
        return [
            pytest.param(None, marks=pytest.mark.skip(reason=f"vector {relative} not found in {SHARED} or {PINNED}"))
        ]
    items = json.loads(path.read_text(encoding="utf-8"))
    return [pytest.param(item, id=ident(item)) for item in items if select(item)]


def corpus_dir() -> Path | None:
    path = find("parser/corpus/EXPECTED.json")
    return path.parent if path else None


def vector_params(relative: str, *kinds: str) -> list[Any]:
    """``pytest.param`` per vector of a ``{"vectors": [...]}`` file (``tools/*.json``),
    optionally only those of the given ``kind``s, ids from the vectors' ``id``; one
    skipping param when the file is absent."""
    path = find(relative)
    if path is None:
        return [
            pytest.param(None, marks=pytest.mark.skip(reason=f"vector {relative} not found in {SHARED} or {PINNED}"))
        ]
    vectors = json.loads(path.read_text(encoding="utf-8"))["vectors"]
    return [
        pytest.param(vector, id=str(vector.get("id", vector.get("template"))))
        for vector in vectors
        if not kinds or vector.get("kind") in kinds
    ]


def file_fixtures(relative: str) -> Any:
    """The ``fixtures`` object of a vector file (skips when the file is absent)."""
    return load_json(relative).get("fixtures", {})
