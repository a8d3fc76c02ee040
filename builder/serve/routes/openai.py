"""The OpenAI layer's routes (ollama-api.md §10): ``POST /v1/chat/completions``,
``/v1/completions`` and ``/v1/embeddings``, ``GET /v1/models`` and
``/v1/models/{model}``.  Each translates the OpenAI request into Ollama's
(``builder.serve.openai.requests``), runs the code of ``/api/chat``,
``/api/generate``, ``/api/embed`` or ``/api/tags`` on it, and answers in OpenAI's
shape: one JSON object, or server-sent events with ``"stream": true``.  Every error is
OpenAI's error object with Ollama's status and text."""

from __future__ import annotations

import functools
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

import builder
from builder.names import name_problem
from builder.serve.answers import collapse
from builder.serve.decoding import CHAT, EMBED, GENERATE, parse_json
from builder.serve.encoding import go_json
from builder.serve.errors import InvalidRequest, ollama_errors
from builder.serve.openai.chunks import ChatChunks, CompletionChunks
from builder.serve.openai.errors import JSON, OpenAIError, openai_errors
from builder.serve.openai.ids import completion_id
from builder.serve.openai.requests import chat_request, completion_request, embedding_request, include_usage
from builder.serve.openai.responses import (
    chat_completion,
    embedding_list,
    model_entry,
    model_list,
    text_completion,
    with_logprobs,
)
from builder.serve.openai.sse import Writer, event_stream
from builder.serve.routes import store_of
from builder.serve.routes.embedding import embed_answer
from builder.serve.routes.generation import Lines, answer_lines, chat_run, generate_run

Handler = Callable[[Request], Awaitable[Response]]


def openai_route(handler: Handler) -> Handler:
    """``handler`` with its errors answered as OpenAI's error object."""

    @functools.wraps(handler)
    async def route(request: Request) -> Response:
        try:
            with openai_errors():
                return await handler(request)
        except OpenAIError as error:
            return error.response()

    return route


def json_response(value: dict[str, Any]) -> Response:
    """A ``/v1`` JSON answer: ``application/json``, a newline at the end."""
    return Response(go_json(value) + b"\n", media_type=JSON)


@openai_route
async def chat_completions(request: Request) -> Response:
    """``/v1/chat/completions`` over ``/api/chat``."""
    body = parse_json(await request.body())
    run = chat_run(CHAT.check(chat_request(body)))
    answer = await answer_lines(request, run)
    the_id = completion_id("chatcmpl-")
    if not run.stream:
        return json_response(chat_completion(await _whole(answer), the_id))
    return await _streamed(answer, ChatChunks(the_id, include_usage=include_usage(body)))


@openai_route
async def completions(request: Request) -> Response:
    """``/v1/completions`` over ``/api/generate``."""
    body = parse_json(await request.body())
    run = generate_run(GENERATE.check(completion_request(body)))
    answer = await answer_lines(request, run)
    the_id = completion_id("cmpl-")
    if not run.stream:
        return json_response(text_completion(await _whole(answer), the_id))
    return await _streamed(answer, CompletionChunks(the_id, include_usage=include_usage(body)))


@openai_route
async def embeddings(request: Request) -> Response:
    """``/v1/embeddings`` over ``/api/embed``: vectors as numbers or base64."""
    ollama, encoding = embedding_request(parse_json(await request.body()))
    answer = await embed_answer(request, EMBED.check(ollama))
    return json_response(embedding_list(answer, str(ollama["model"]), encoding))


@openai_route
async def list_models(request: Request) -> Response:
    """``/v1/models`` over ``/api/tags``: ``"data": []`` for an empty store."""
    rows = await run_in_threadpool(builder.list_models, store_of(request))
    return json_response(model_list({"models": [row.to_dict() for row in rows]}))


@openai_route
async def retrieve_model(request: Request) -> Response:
    """``/v1/models/{model}`` over ``/api/show``: the id as given."""
    name = str(request.path_params["model"]).strip()
    if name_problem(name):
        raise InvalidRequest("invalid model name")
    store = store_of(request)
    with ollama_errors(not_found=f"model '{builder.parse_name(name).display()}' not found"):
        model = await run_in_threadpool(store.find, name)
    return json_response(model_entry(name, datetime.fromtimestamp(model.modified, UTC).isoformat()))


async def _whole(answer: dict[str, Any] | Lines) -> dict[str, Any]:
    """The one Ollama object of a non-streamed answer."""
    if isinstance(answer, dict):
        return answer
    lines = [line async for line in answer]
    return with_logprobs(collapse(lines), lines)


async def _one(line: dict[str, Any]) -> Lines:
    yield line


async def _streamed(answer: dict[str, Any] | Lines, writer: Writer) -> Response:
    """The events of ``answer``; its first line is read before answering, so that a
    failure before it is an HTTP error with its status."""
    lines: AsyncIterator[dict[str, Any]] = _one(answer) if isinstance(answer, dict) else answer
    try:
        first = await anext(lines)
    except StopAsyncIteration:
        raise OpenAIError(500, "no response") from None
    return event_stream(first, lines, writer)


ROUTES = [
    Route("/v1/chat/completions", chat_completions, methods=["POST"]),
    Route("/v1/completions", completions, methods=["POST"]),
    Route("/v1/embeddings", embeddings, methods=["POST"]),
    Route("/v1/models", list_models, methods=["GET"]),
    Route("/v1/models/{model}", retrieve_model, methods=["GET"]),
]
