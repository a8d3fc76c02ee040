"""``POST /api/generate`` and ``POST /api/chat``: parse the request, take the model's turn
in the server's ``LoadedModels``, open the runner's stream, and send its lines (NDJSON, or
one object with ``stream: false``).  What is wrong with a request is answered before
the first line (a backend that fails before its first chunk included), with Ollama's
status and text; a failure after it is one last ``{"error": …}`` line; a client that
goes away cancels the generation.  ``answer_lines`` is the part after parsing, which the
OpenAI layer's routes share."""

from __future__ import annotations

import contextlib
import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from builder.names import name_problem
from builder.serve.answers import chat_lines, collapse, debug_answer, generate_lines, shortcut
from builder.serve.decoding import CHAT, GENERATE, model_field, read_body
from builder.serve.durations import timed
from builder.serve.encoding import GoJSONResponse
from builder.serve.errors import ApiError, InvalidRequest, ollama_errors
from builder.serve.metrics import Metrics
from builder.serve.models_loaded import LoadedModels
from builder.serve.run_request import (
    RunRequest,
    chat_parser,
    check_capabilities,
    check_images,
    check_model,
    debug_info,
    generate_parser,
    model_capabilities,
    open_stream,
)
from builder.serve.streaming import stream_response, until_disconnected


def models_of(request: Request) -> LoadedModels:
    """The application's loaded models (``app(…)`` makes them)."""
    models: LoadedModels = request.app.state.models
    return models


async def generate(request: Request) -> Response:
    """Ollama's ``/api/generate``."""
    return await _answer(request, generate_run(await read_body(request, GENERATE)))


async def chat(request: Request) -> Response:
    """Ollama's ``/api/chat``."""
    return await _answer(request, chat_run(await read_body(request, CHAT)))


def generate_run(body: dict[str, Any]) -> RunRequest:
    """A generate request from its decoded ``body`` (``decoding.GENERATE``), with
    Ollama's answer to an empty model name (404 ``model '' not found``)."""
    name = model_field(body)
    if not name:
        raise ApiError(404, "model '' not found", code="model-not-found")
    return RunRequest.parse(name, body, chat=False)


def chat_run(body: dict[str, Any]) -> RunRequest:
    """A chat request from its decoded ``body`` (``decoding.CHAT``), with Ollama's answer
    to an empty model name (400 ``model is required``)."""
    name = model_field(body)
    if not name:
        raise InvalidRequest("model is required")
    return RunRequest.parse(name, body, chat=True)


async def _answer(request: Request, run: RunRequest) -> Response:
    answer = await answer_lines(request, run)
    if isinstance(answer, dict):
        return GoJSONResponse(answer)
    return await _send(answer, stream=run.stream)


Lines = AsyncIterator[dict[str, Any]]


async def answer_lines(request: Request, run: RunRequest) -> dict[str, Any] | Lines:
    """What ``/api/generate`` or ``/api/chat`` answers ``run`` with, after the checks
    (their errors raised before anything is sent) and the load: one object (the load or
    unload shortcut, a ``_debug_render_only`` answer), or the answer's lines as the
    runner produces them, with the model's turn held until they end.  The OpenAI layer
    (``builder.serve.routes.openai``) sends the same lines in its own shape."""
    started = time.perf_counter()
    if name_problem(run.name):
        raise InvalidRequest("invalid model name")
    models = models_of(request)
    with ollama_errors(not_found=f"model '{run.name}' not found"):
        view = await run_in_threadpool(check_model, models.store, run.name)
    if run.empty and run.keep_alive == 0:
        await models.unload(run.name)
        return shortcut(run.name, "unload", chat=run.chat)
    capabilities = await run_in_threadpool(model_capabilities, models.store, view)
    check_capabilities(run, capabilities)
    if run.debug_render_only:
        info = await run_in_threadpool(debug_info, view, run, capabilities)
        return debug_answer(run.name, info, chat=run.chat)
    check_images(run, capabilities)
    stack = contextlib.AsyncExitStack()
    try:
        with ollama_errors(not_found=f"model '{run.name}' not found"):
            using = models.use(run.name, options=run.options, keep_alive=run.keep_alive)
            # a client gone while its request waits for the model: 499, and no load for it
            runner = await until_disconnected(request, stack.enter_async_context(using))
        ready = time.perf_counter()
        if run.empty:
            await stack.aclose()
            return shortcut(run.name, "load", chat=run.chat)
        stream = await run_in_threadpool(open_stream, runner, run)
    except BaseException:
        await stack.aclose()
        raise
    if run.chat:
        lines = chat_lines(run.name, stream, chat_parser(runner, run, stream.prompt))
    else:
        context = None if run.raw else stream.request.tokens
        lines = generate_lines(run.name, stream, context=context, parser=generate_parser(runner, run, stream.prompt))
    return _held(_counted(timed(lines, started, ready), request.app.state.metrics, started), stack)


async def _held(lines: Lines, stack: contextlib.AsyncExitStack) -> Lines:
    """``lines``, with the model's turn given back when they end (or are abandoned)."""
    try:
        async for line in lines:
            yield line
    finally:
        await stack.aclose()


async def _counted(lines: Lines, metrics: Metrics, started: float) -> Lines:
    """``lines``, timing the first (``mfc_time_to_first_token_seconds``) and counting the
    last one's prompt and answer tokens (``mfc_tokens_total``)."""
    first = True
    async for line in lines:
        if first:
            metrics.first_token.observe(time.perf_counter() - started)
            first = False
        if line.get("done"):
            metrics.generated(int(line.get("prompt_eval_count", 0)), int(line.get("eval_count", 0)))
        yield line


async def _send(lines: AsyncIterator[dict[str, Any]], *, stream: bool) -> Response:
    if stream:  # the first line is awaited: a backend failing before it keeps its status
        return await stream_response(lines, prime=True)
    gathered = [line async for line in lines]
    return GoJSONResponse(collapse(gathered))


ROUTES = [
    Route("/api/generate", generate, methods=["POST"]),
    Route("/api/chat", chat, methods=["POST"]),
]
