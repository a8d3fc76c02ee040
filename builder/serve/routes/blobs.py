"""``HEAD|POST /api/blobs/{digest}``: whether the store has a blob, and uploads by
digest (``ollama create`` sends a model's files this way before creating it).  The
digest is checked before any path is built from it (400 ``invalid digest format``); an
upload is hashed while it streams to a temporary file in the store and enters the store
only if it hashes to its digest (``builder.uploads.BlobUpload``)."""

from __future__ import annotations

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from builder.serve.errors import ApiError
from builder.serve.routes import store_of
from builder.uploads import BlobUpload


async def exists(request: Request) -> Response:
    """200 if the blob is in the store, else 404."""
    digest = request.path_params["digest"]
    if not store_of(request).has_blob(digest):
        raise ApiError(404, f'blob "{digest}" not found', code="blob-not-found")
    return Response(status_code=200)


async def upload(request: Request) -> Response:
    """Store the body as the blob ``digest``: 201 when stored, 200 when it was there
    already, 400 ``digest mismatch, expected …, got …`` (nothing stored) otherwise."""
    digest = request.path_params["digest"]
    store = store_of(request)
    if store.has_blob(digest):
        return Response(status_code=200)
    with BlobUpload(digest, store=store) as blob:
        async for chunk in request.stream():
            blob.write(chunk)
        created = await run_in_threadpool(blob.finish)
    return Response(status_code=201 if created else 200)


ROUTES = [
    Route("/api/blobs/{digest}", exists, methods=["HEAD"]),
    Route("/api/blobs/{digest}", upload, methods=["POST"]),
]
