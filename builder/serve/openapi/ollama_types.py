"""The schemas of Ollama's types (``api/types.go`` as ollama-api.md describes them):
request bodies made from the server's own ``Shape``s (``shapes.shape_schema``), with
precise schemas for the fields the routes check themselves, and the answers' shapes.
``SCHEMAS`` is the ``components.schemas`` part of the document, by name.

>>> sorted(SCHEMAS["GenerateRequest"]["required"]), SCHEMAS["Error"]["required"]
(['model'], ['error'])
>>> SCHEMAS["ChatRequest"]["properties"]["messages"]["items"]
{'$ref': '#/components/schemas/Message'}
"""

from __future__ import annotations

from builder.serve import decoding
from builder.serve.openapi.shapes import Schema, nullable, shape_schema


def ref(name: str) -> Schema:
    """A reference to the component schema ``name``."""
    return {"$ref": f"#/components/schemas/{name}"}


STRING: Schema = {"type": "string"}
INTEGER: Schema = {"type": "integer"}
NUMBER: Schema = {"type": "number"}
BOOLEAN: Schema = {"type": "boolean"}
STRINGS: Schema = {"type": "array", "items": STRING}
TIMESTAMP: Schema = {"type": "string", "description": "RFC 3339 with up to 9 fractional digits"}
NANOSECONDS: Schema = {"type": "integer", "description": "a duration in nanoseconds"}

# ---- request parts ------------------------------------------------------------------------------

KEEP_ALIVE: Schema = {
    "description": "how long the model stays loaded: seconds (negative: forever; 0: unload after the "
    "request) or a Go duration string ('5m', '1h30m', '-1m'); a string without a unit is a 400",
    "oneOf": [NUMBER, STRING],
}
FORMAT: Schema = {
    "description": "'json' for JSON output, a JSON Schema object for output that validates against it; "
    "'' or null: no constraint (any other value is a 500, as in Ollama)",
    "oneOf": [{"type": "string", "enum": ["json", ""]}, {"type": "object"}],
}
THINK: Schema = {
    "description": "thinking on or off, or its level, for models with the thinking capability",
    "oneOf": [BOOLEAN, {"type": "string", "enum": ["high", "medium", "low", "max"]}],
}
TOP_LOGPROBS: Schema = {"type": "integer", "minimum": 0, "maximum": 20}
IMAGES: Schema = {"type": "array", "items": {"type": "string", "contentEncoding": "base64"}}

OPTIONS: Schema = {
    "type": "object",
    "description": "runtime options (Modelfile PARAMETERs); unknown keys are ignored, a value of the "
    "wrong type is a 500 (Ollama's scheduler error)",
    "properties": {
        **{
            name: nullable(INTEGER)
            for name in (
                "num_ctx",
                "num_batch",
                "num_gpu",
                "main_gpu",
                "num_thread",
                "num_keep",
                "seed",
                "num_predict",
                "top_k",
                "repeat_last_n",
            )
        },
        **{
            name: nullable(NUMBER)
            for name in (
                "top_p",
                "min_p",
                "typical_p",
                "temperature",
                "repeat_penalty",
                "presence_penalty",
                "frequency_penalty",
            )
        },
        "use_mmap": nullable(BOOLEAN),
        "stop": nullable(STRINGS),
    },
}

TOOL_CALL = shape_schema(decoding.TOOL_CALL, required=("function",), refine={"function": ref("ToolCallFunction")})
TOOL_CALL_FUNCTION = shape_schema(
    decoding.TOOL_CALL_FUNCTION,
    required=("name", "arguments"),
    description="arguments: an object (never a JSON string, unlike OpenAI's)",
)
MESSAGE = shape_schema(
    decoding.MESSAGE,
    required=("role",),
    refine={"images": IMAGES, "tool_calls": {"type": "array", "items": ref("ToolCall")}},
    description="role: system, user, assistant or tool (lower-cased on input; any string is passed on)",
)
#: ``message`` in a chat answer: always the assistant's, content always present.
ASSISTANT_MESSAGE: Schema = {
    "type": "object",
    "required": ["role", "content"],
    "properties": {
        "role": {"const": "assistant"},
        "content": STRING,
        "thinking": STRING,
        "tool_calls": {"type": "array", "items": ref("ToolCall")},
    },
}
TOOL: Schema = {
    "type": "object",
    "required": ["type", "function"],
    "properties": {
        "type": {"type": "string", "enum": ["function"]},
        "function": {
            "type": "object",
            "required": ["name"],
            "properties": {"name": STRING, "description": STRING, "parameters": {"type": "object"}},
        },
    },
}

_RUN = {
    "format": FORMAT,
    "keep_alive": KEEP_ALIVE,
    "options": ref("Options"),
    "think": THINK,
    "top_logprobs": TOP_LOGPROBS,
}

# ---- answers --------------------------------------------------------------------------------------

ERROR: Schema = {"type": "object", "required": ["error"], "properties": {"error": STRING}}
METRICS: dict[str, Schema] = {
    "total_duration": NANOSECONDS,
    "load_duration": NANOSECONDS,
    "prompt_eval_count": INTEGER,
    "prompt_eval_duration": NANOSECONDS,
    "eval_count": INTEGER,
    "eval_duration": NANOSECONDS,
}
DONE_REASON: Schema = {"type": "string", "description": "stop, length, load or unload"}
DEBUG_INFO: Schema = {
    "type": "object",
    "properties": {"rendered_template": STRING, "image_count": INTEGER},
}
GENERATE_RESPONSE: Schema = {
    "type": "object",
    "description": "a line of the NDJSON stream, or the one object with stream: false",
    "required": ["model", "created_at", "done"],
    "properties": {
        "model": STRING,
        "created_at": TIMESTAMP,
        "response": STRING,
        "thinking": STRING,
        "done": BOOLEAN,
        "done_reason": DONE_REASON,
        "context": {"type": "array", "items": INTEGER},
        **METRICS,
        "tool_calls": {"type": "array", "items": ref("ToolCall")},
        "_debug_info": ref("DebugInfo"),
    },
}
CHAT_RESPONSE: Schema = {
    "type": "object",
    "description": "a line of the NDJSON stream, or the one object with stream: false",
    "required": ["model", "created_at", "done"],
    "properties": {
        "model": STRING,
        "created_at": TIMESTAMP,
        "message": ref("AssistantMessage"),
        "done": BOOLEAN,
        "done_reason": DONE_REASON,
        "_debug_info": ref("DebugInfo"),
        **METRICS,
    },
}
#: A streamed line that ends a stream after an error (the status, 200, was sent already).
STREAM_LINE_ERROR = ref("Error")
DETAILS: Schema = {
    "type": "object",
    "properties": {
        "parent_model": STRING,
        "format": STRING,
        "family": STRING,
        "families": {"type": ["array", "null"], "items": STRING},
        "parameter_size": STRING,
        "quantization_level": STRING,
    },
}
LISTED_MODEL: Schema = {
    "type": "object",
    "required": ["name", "model", "modified_at", "size", "digest", "details"],
    "properties": {
        "name": STRING,
        "model": STRING,
        "modified_at": TIMESTAMP,
        "size": INTEGER,
        "digest": {"type": "string", "description": "sha256 hex of the manifest"},
        "details": ref("Details"),
        "capabilities": STRINGS,
    },
}
LOADED_MODEL: Schema = {
    "type": "object",
    "required": ["name", "model", "size", "digest", "details", "expires_at", "size_vram", "context_length"],
    "properties": {
        "name": STRING,
        "model": STRING,
        "size": INTEGER,
        "digest": STRING,
        "details": ref("Details"),
        "expires_at": TIMESTAMP,
        "size_vram": INTEGER,
        "context_length": INTEGER,
    },
}
SHOW_RESPONSE: Schema = {
    "type": "object",
    "required": ["details", "model_info", "modified_at"],
    "properties": {
        "license": STRING,
        "modelfile": STRING,
        "parameters": STRING,
        "template": STRING,
        "system": STRING,
        "details": ref("Details"),
        "messages": {"type": ["array", "null"], "items": ref("Message")},
        "model_info": {"type": "object", "description": "the GGUF's key/values (always present)"},
        "capabilities": STRINGS,
        "modified_at": TIMESTAMP,
    },
}
PROGRESS: Schema = {
    "type": "object",
    "description": "a status line of create, pull or push; {'status': 'success'} last",
    "properties": {"status": STRING, "digest": STRING, "total": INTEGER, "completed": INTEGER, "error": STRING},
}
EMBED_RESPONSE: Schema = {
    "type": "object",
    "required": ["model", "embeddings"],
    "properties": {
        "model": STRING,
        "embeddings": {"type": "array", "items": {"type": "array", "items": NUMBER}},
        "total_duration": NANOSECONDS,
        "load_duration": NANOSECONDS,
        "prompt_eval_count": INTEGER,
    },
}

SCHEMAS: dict[str, Schema] = {
    "Error": ERROR,
    "Options": OPTIONS,
    "Message": MESSAGE,
    "AssistantMessage": ASSISTANT_MESSAGE,
    "ToolCall": TOOL_CALL,
    "ToolCallFunction": TOOL_CALL_FUNCTION,
    "Tool": TOOL,
    "DebugInfo": DEBUG_INFO,
    "GenerateRequest": shape_schema(
        decoding.GENERATE,
        required=("model",),
        refine={
            **_RUN,
            "images": IMAGES,
        },
    ),
    "GenerateResponse": GENERATE_RESPONSE,
    "ChatRequest": shape_schema(
        decoding.CHAT,
        required=("model",),
        refine={
            **_RUN,
            "messages": {"type": "array", "items": ref("Message")},
            "tools": {"type": "array", "items": ref("Tool")},
        },
    ),
    "ChatResponse": CHAT_RESPONSE,
    "EmbedRequest": shape_schema(
        decoding.EMBED,
        required=("model",),
        refine={"input": {"oneOf": [STRING, STRINGS]}, "keep_alive": KEEP_ALIVE, "options": ref("Options")},
    ),
    "EmbedResponse": EMBED_RESPONSE,
    "EmbeddingRequest": shape_schema(
        decoding.EMBEDDINGS, required=("model",), refine={"keep_alive": KEEP_ALIVE, "options": ref("Options")}
    ),
    "EmbeddingResponse": {
        "type": "object",
        "required": ["embedding"],
        "properties": {"embedding": {"type": "array", "items": NUMBER}},
    },
    "ShowRequest": shape_schema(decoding.SHOW, required=("model",), refine={"options": ref("Options")}),
    "ShowResponse": SHOW_RESPONSE,
    "CopyRequest": shape_schema(decoding.COPY, required=("source", "destination")),
    "DeleteRequest": shape_schema(decoding.DELETE, required=("model",)),
    "CreateRequest": shape_schema(
        decoding.CREATE,
        required=("model",),
        refine={
            "files": {"type": "object", "additionalProperties": STRING, "description": "path → blob digest"},
            "adapters": {"type": "object", "additionalProperties": STRING, "description": "path → blob digest"},
            "license": {"oneOf": [STRING, STRINGS]},
            "messages": {"type": "array", "items": ref("Message")},
        },
    ),
    "PullRequest": shape_schema(decoding.PULL, required=("model",)),
    "PushRequest": shape_schema(decoding.PUSH, required=("model",)),
    "Progress": PROGRESS,
    "Details": DETAILS,
    "ListResponse": {
        "type": "object",
        "required": ["models"],
        "properties": {"models": {"type": "array", "items": ref("ListedModel")}},
    },
    "ListedModel": LISTED_MODEL,
    "ProcessResponse": {
        "type": "object",
        "required": ["models"],
        "properties": {"models": {"type": "array", "items": ref("LoadedModel")}},
    },
    "LoadedModel": LOADED_MODEL,
    "Version": {"type": "object", "required": ["version"], "properties": {"version": STRING}},
}
