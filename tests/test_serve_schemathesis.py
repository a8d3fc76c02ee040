"""Schemathesis against a real ``mfc serve`` process and its own ``/openapi.json``:
requests generated from the document (valid ones and, in the fuzzing phase, ones
that break it) to every operation, each answer checked against the document: its
status is declared, its content type is declared, its body validates against the
declared schema.

Server errors: a 5xx passes only where the document declares it.  The ones it
declares are Ollama's: a model that cannot be loaded (the store's model is a GGUF
without tensors, so generate, chat and the embeddings routes answer 500 ``cannot
load …`` for it, as Ollama does), an option of the wrong type, a failed create or
pull with ``stream: false``.  A handler's unexpected exception (``internal error: …``)
is never accepted, and the server's log must hold no traceback.  Bounded for CI:
a few derandomized examples per operation."""

from __future__ import annotations

import collections
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jsonschema
import pytest
import schemathesis
from hypothesis import HealthCheck, Phase, settings
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from serving import running, tiny_model

from builder.serve.factory import app
from builder.serve.openapi import document

MODEL = "tiny"
#: Whether this build routes the OpenAI layer (built on another branch): its
#: operations are skipped, saying so, until it does.
ROUTES_V1 = any(getattr(route, "path", "").startswith("/v1") for route in app(store=tempfile.mkdtemp()).routes)
SEEN: collections.Counter[tuple[str, str, int]] = collections.Counter()


#: Examples that make generated requests reach the store's model, not only "not found":
#: (schema, field) → values.  Copy makes the copy that delete removes, so the model
#: itself stays for the operations after them; create builds from it.
EXAMPLES = {
    ("CopyRequest", "source"): [MODEL],
    ("CopyRequest", "destination"): [f"{MODEL}-copy"],
    ("DeleteRequest", "model"): [f"{MODEL}-copy"],
    ("CreateRequest", "from"): [MODEL],
}


def with_examples(doc: dict[str, Any]) -> dict[str, Any]:
    """The document with ``EXAMPLES``, and the store's model as the example of every
    other request's ``model``."""
    for name, schema in doc["components"]["schemas"].items():
        for field, values in EXAMPLES.items():
            if field[0] == name:
                schema["properties"][field[1]]["examples"] = values
        model = schema.get("properties", {}).get("model")
        if schema.get("type") == "object" and model is not None and "examples" not in model:
            model["examples"] = [MODEL, f"{MODEL}:latest"]
    return doc


SCHEMA = schemathesis.openapi.from_dict(with_examples(document()))


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("schemathesis")
    tiny_model(root / "model", root / "store", MODEL, "SYSTEM Be brief.\n")
    return root / "store"


@pytest.fixture(scope="module")
def url(store: Path) -> Iterator[str]:
    log = store.parent / "serve.log"
    with running(store, log) as base:
        yield base
        assert httpx.get(base + "/").text == "Ollama is running"  # still serving after it all
    assert "Traceback" not in log.read_text(), log.read_text()


def no_unexpected_error(ctx: Any, response: Any, case: Any) -> bool | None:
    """A 5xx must be one the handlers answer on purpose, never an unexpected exception."""
    if response.status_code >= 500:
        text = response.text or ""
        assert "internal error:" not in text, f"{case.method} {case.path}: {text}"
    return None


DOCUMENT = document()
STREAMS = {"application/x-ndjson": "ndjson", "text/event-stream": "sse"}


def stream_lines_conform(ctx: Any, response: Any, case: Any) -> bool | None:
    """Each line of an NDJSON stream, each ``data:`` event of an SSE stream (but the
    final ``[DONE]``), validates against the schema the document declares for it
    (Schemathesis has no deserializer for streams: it would skip them)."""
    media_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    if media_type not in STREAMS:
        return None
    declared = DOCUMENT["paths"][case.operation.path][case.method.lower()]["responses"][str(response.status_code)]
    schema = {"components": DOCUMENT["components"], **declared["content"][media_type]["schema"]}
    validator = jsonschema.Draft202012Validator(schema)
    text = response.content.decode("utf-8")
    if STREAMS[media_type] == "ndjson":
        lines = text.splitlines()
        assert lines and all(lines), f"an NDJSON body has no line or a blank one: {text!r}"
    else:
        events = [event for event in text.split("\n\n") if event]
        assert events and all(event.startswith("data: ") for event in events), text
        lines = [event.removeprefix("data: ") for event in events]
        assert lines[-1] == "[DONE]" or "error" in json.loads(lines[-1]), f"the stream does not end: {text!r}"
        lines = [line for line in lines if line != "[DONE]"]
    for line in lines:
        validator.validate(json.loads(line))
    return None


CHECKS = [
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    stream_lines_conform,
    no_unexpected_error,
]


@SCHEMA.parametrize()
@settings(
    max_examples=8,
    derandomize=True,
    deadline=None,
    database=None,
    phases=[Phase.explicit, Phase.generate],
    suppress_health_check=list(HealthCheck),
)
def test_the_server_keeps_to_its_document(case: Any, url: str) -> None:
    if case.path.startswith("/v1/") and not ROUTES_V1:
        pytest.skip("the OpenAI layer is not routed in this build yet (its operations are described already)")
    response = case.call_and_validate(base_url=url, checks=CHECKS, timeout=30)
    SEEN[(case.method, case.path, response.status_code)] += 1
    if os.environ.get("MFC_SCHEMATHESIS_REPORT"):
        print(case.method, case.path, response.status_code, response.text[:100].replace("\n", " "))


def test_a_generated_upload_only_enters_the_store_verified(url: str, store: Path) -> None:
    """What the fuzzing above sent to ``POST /api/blobs`` left no unverified blob."""
    for blob in (store / "blobs").iterdir():
        digest = blob.name.removeprefix("sha256-")
        assert hashlib.sha256(blob.read_bytes()).hexdigest() == digest, blob.name
