"""The schemas of the OpenAI layer under ``/v1/`` (ollama-api.md §10): the request
bodies as the layer reads them (unknown fields ignored), the answers, the stream's
chunks and OpenAI's error object.  ``SCHEMAS`` joins ``components.schemas``; every
name starts with ``OpenAI``.

>>> SCHEMAS["OpenAIError"]["properties"]["error"]["required"]
['message', 'type', 'param', 'code']
>>> SCHEMAS["OpenAIChatCompletionRequest"]["required"]
['model', 'messages']
"""

from __future__ import annotations

from builder.serve.openapi.ollama_types import BOOLEAN, INTEGER, NUMBER, STRING, STRINGS, ref
from builder.serve.openapi.shapes import Schema, nullable

OPTIONAL_NUMBER = nullable(NUMBER)
OPTIONAL_INTEGER = nullable(INTEGER)
STOP: Schema = {"description": "a stop string or a list of them", "anyOf": [STRING, STRINGS, {"type": "null"}]}
STREAM_OPTIONS: Schema = {
    "anyOf": [{"type": "object", "properties": {"include_usage": BOOLEAN}}, {"type": "null"}],
}
USAGE: Schema = {
    "type": "object",
    "required": ["prompt_tokens", "completion_tokens", "total_tokens"],
    "properties": {"prompt_tokens": INTEGER, "completion_tokens": INTEGER, "total_tokens": INTEGER},
}
ERROR: Schema = {
    "type": "object",
    "required": ["error"],
    "properties": {
        "error": {
            "type": "object",
            "required": ["message", "type", "param", "code"],
            "properties": {
                "message": STRING,
                "type": {"type": "string", "description": "invalid_request_error, not_found_error or api_error"},
                "param": {"type": ["string", "null"]},
                "code": {"type": ["string", "null"]},
            },
        }
    },
}
CONTENT_PART: Schema = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"type": "string", "enum": ["text", "image_url", "input_audio"]},
        "text": STRING,
        "image_url": {
            "description": "a data: URL of a JPEG, PNG or WebP image (http(s) URLs are refused)",
            "anyOf": [STRING, {"type": "object", "required": ["url"], "properties": {"url": STRING}}],
        },
        "input_audio": {"type": "object", "properties": {"data": STRING}},
    },
}
TOOL_CALL: Schema = {
    "type": "object",
    "required": ["id", "type", "function"],
    "properties": {
        "id": STRING,
        "index": INTEGER,
        "type": {"type": "string", "enum": ["function"]},
        "function": {
            "type": "object",
            "required": ["name", "arguments"],
            "properties": {"name": STRING, "arguments": {"type": "string", "description": "the arguments as JSON"}},
        },
    },
}
MESSAGE: Schema = {
    "type": "object",
    "required": ["role"],
    "properties": {
        "role": {"type": "string", "description": "system, developer, user, assistant or tool"},
        "content": {"anyOf": [STRING, {"type": "array", "items": ref("OpenAIContentPart")}, {"type": "null"}]},
        "name": STRING,
        "reasoning": STRING,
        "tool_calls": {"type": "array", "items": ref("OpenAIToolCall")},
        "tool_call_id": STRING,
    },
}
RESPONSE_FORMAT: Schema = {
    "type": "object",
    "required": ["type"],
    "properties": {
        "type": {"type": "string", "description": "text, json_object or json_schema"},
        "json_schema": {
            "type": "object",
            "properties": {"name": STRING, "strict": BOOLEAN, "schema": {"type": "object"}},
        },
    },
}
REASONING_EFFORT: Schema = {
    "type": "string",
    "enum": ["none", "minimal", "low", "medium", "high", "xhigh", "ultra", "max"],
}
CHAT_REQUEST: Schema = {
    "type": "object",
    "required": ["model", "messages"],
    "properties": {
        "model": STRING,
        "messages": {"type": "array", "minItems": 1, "items": ref("OpenAIMessage")},
        "stream": nullable(BOOLEAN),
        "stream_options": STREAM_OPTIONS,
        "max_tokens": OPTIONAL_INTEGER,
        "max_completion_tokens": OPTIONAL_INTEGER,
        "temperature": OPTIONAL_NUMBER,
        "top_p": OPTIONAL_NUMBER,
        "seed": OPTIONAL_INTEGER,
        "frequency_penalty": OPTIONAL_NUMBER,
        "presence_penalty": OPTIONAL_NUMBER,
        "stop": STOP,
        "response_format": {"anyOf": [ref("OpenAIResponseFormat"), {"type": "null"}]},
        "tools": {"type": "array", "items": ref("Tool")},
        "reasoning_effort": REASONING_EFFORT,
        "reasoning": {"type": "object", "properties": {"effort": REASONING_EFFORT}},
        "logprobs": nullable(BOOLEAN),
        "top_logprobs": {"type": "integer", "minimum": 0, "maximum": 20},
    },
}
CHAT_COMPLETION: Schema = {
    "type": "object",
    "required": ["id", "object", "created", "model", "choices", "usage"],
    "properties": {
        "id": STRING,
        "object": {"const": "chat.completion"},
        "created": INTEGER,
        "model": STRING,
        "system_fingerprint": STRING,
        "choices": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "message", "finish_reason"],
                "properties": {
                    "index": INTEGER,
                    "message": {
                        "type": "object",
                        "required": ["role", "content"],
                        "properties": {
                            "role": {"const": "assistant"},
                            "content": STRING,
                            "reasoning": STRING,
                            "tool_calls": {"type": "array", "items": ref("OpenAIToolCall")},
                        },
                    },
                    "finish_reason": {"type": ["string", "null"]},
                    "logprobs": {"type": ["object", "null"]},
                },
            },
        },
        "usage": ref("OpenAIUsage"),
    },
}
CHAT_CHUNK: Schema = {
    "type": "object",
    "description": "one 'data:' event of the stream; 'data: [DONE]' ends it",
    "required": ["id", "object", "created", "model", "choices"],
    "properties": {
        "id": STRING,
        "object": {"const": "chat.completion.chunk"},
        "created": INTEGER,
        "model": STRING,
        "system_fingerprint": STRING,
        "choices": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["index", "delta"],
                "properties": {
                    "index": INTEGER,
                    "delta": {
                        "type": "object",
                        "properties": {
                            "role": STRING,
                            "content": STRING,
                            "reasoning": STRING,
                            "tool_calls": {"type": "array", "items": ref("OpenAIToolCall")},
                        },
                    },
                    "finish_reason": {"type": ["string", "null"]},
                },
            },
        },
        "usage": ref("OpenAIUsage"),
    },
}
COMPLETION_REQUEST: Schema = {
    "type": "object",
    "required": ["model", "prompt"],
    "properties": {
        "model": STRING,
        "prompt": STRING,
        "suffix": nullable(STRING),
        "stream": nullable(BOOLEAN),
        "stream_options": STREAM_OPTIONS,
        "max_tokens": OPTIONAL_INTEGER,
        "temperature": OPTIONAL_NUMBER,
        "top_p": OPTIONAL_NUMBER,
        "seed": OPTIONAL_INTEGER,
        "frequency_penalty": OPTIONAL_NUMBER,
        "presence_penalty": OPTIONAL_NUMBER,
        "stop": STOP,
        "logprobs": OPTIONAL_INTEGER,
    },
}
COMPLETION: Schema = {
    "type": "object",
    "description": "the answer, or with stream: true one 'data:' event of the stream ('data: [DONE]' last)",
    "required": ["id", "object", "created", "model", "choices"],
    "properties": {
        "id": STRING,
        "object": {"const": "text_completion"},
        "created": INTEGER,
        "model": STRING,
        "system_fingerprint": STRING,
        "choices": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["text", "index", "finish_reason"],
                "properties": {"text": STRING, "index": INTEGER, "finish_reason": {"type": ["string", "null"]}},
            },
        },
        "usage": ref("OpenAIUsage"),
    },
}
EMBEDDING_REQUEST: Schema = {
    "type": "object",
    "required": ["model", "input"],
    "properties": {
        "model": STRING,
        "input": {"anyOf": [STRING, {"type": "array", "minItems": 1, "items": STRING}]},
        "dimensions": OPTIONAL_INTEGER,
        "encoding_format": {"type": "string", "description": "float (the default) or base64, any case"},
    },
}
EMBEDDINGS: Schema = {
    "type": "object",
    "required": ["object", "data", "model", "usage"],
    "properties": {
        "object": {"const": "list"},
        "data": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["object", "embedding", "index"],
                "properties": {
                    "object": {"const": "embedding"},
                    "embedding": {
                        "description": "floats, or little-endian float32 bytes in base64",
                        "anyOf": [{"type": "array", "items": NUMBER}, STRING],
                    },
                    "index": INTEGER,
                },
            },
        },
        "model": STRING,
        "usage": {
            "type": "object",
            "required": ["prompt_tokens", "total_tokens"],
            "properties": {"prompt_tokens": INTEGER, "total_tokens": INTEGER},
        },
    },
}
MODEL: Schema = {
    "type": "object",
    "required": ["id", "object", "created", "owned_by"],
    "properties": {"id": STRING, "object": {"const": "model"}, "created": INTEGER, "owned_by": STRING},
}
MODELS: Schema = {
    "type": "object",
    "required": ["object", "data"],
    "properties": {
        "object": {"const": "list"},
        "data": {"type": "array", "items": ref("OpenAIModel"), "description": "[] for an empty store (Ollama: null)"},
    },
}

SCHEMAS: dict[str, Schema] = {
    "OpenAIError": ERROR,
    "OpenAIUsage": USAGE,
    "OpenAIContentPart": CONTENT_PART,
    "OpenAIToolCall": TOOL_CALL,
    "OpenAIMessage": MESSAGE,
    "OpenAIResponseFormat": RESPONSE_FORMAT,
    "OpenAIChatCompletionRequest": CHAT_REQUEST,
    "OpenAIChatCompletion": CHAT_COMPLETION,
    "OpenAIChatCompletionChunk": CHAT_CHUNK,
    "OpenAICompletionRequest": COMPLETION_REQUEST,
    "OpenAICompletion": COMPLETION,
    "OpenAIEmbeddingRequest": EMBEDDING_REQUEST,
    "OpenAIEmbeddings": EMBEDDINGS,
    "OpenAIModel": MODEL,
    "OpenAIModels": MODELS,
}
