"""The fields of an OpenAI request body, read as Ollama's Go structs read them: ``null``
is absent, a value of the wrong type is a 400 in the words of Go's decoder.

>>> CHAT.read({"model": "m", "temperature": None, "seed": 3, "extra": 1})
{'model': 'm', 'seed': 3}
>>> try:
...     CHAT.read({"model": "m", "stream": "yes"})
... except InvalidRequest as error:
...     print(error)
json: cannot unmarshal string into Go struct field ChatCompletionRequest.stream of type bool
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from builder.serve.decoding import json_kind
from builder.serve.errors import InvalidRequest

#: A field's Go type and the Python types it takes (``object``: any JSON value).
STRING = ("string", (str,))
BOOL = ("bool", (bool,))
INT = ("int", (int,))
FLOAT = ("float64", (int, float))
OBJECT = ("map[string]interface {}", (dict,))
LIST = ("[]interface {}", (list,))
ANY = ("interface {}", (object,))


@dataclass(frozen=True)
class Struct:
    """A Go request struct of Ollama's OpenAI layer: its name and typed fields."""

    name: str
    fields: dict[str, tuple[str, tuple[type, ...]]]

    def read(self, body: Any) -> dict[str, Any]:
        """The known, non-null fields of ``body``, each checked against its type."""
        if body is None:
            return {}
        if not isinstance(body, dict):
            raise InvalidRequest(f"json: cannot unmarshal {json_kind(body)} into Go value of type openai.{self.name}")
        found: dict[str, Any] = {}
        for key, value in body.items():
            if key not in self.fields or value is None:
                continue
            go_type, kinds = self.fields[key]
            wrong = not isinstance(value, kinds) or (isinstance(value, bool) and bool not in kinds)
            if go_type == "int" and isinstance(value, float) and value.is_integer():
                value, wrong = int(value), False
            if wrong and object not in kinds:
                where = f"Go struct field {self.name}.{key}"
                raise InvalidRequest(f"json: cannot unmarshal {json_kind(value)} into {where} of type {go_type}")
            found[key] = value
        return found


CHAT = Struct(
    "ChatCompletionRequest",
    {
        "model": STRING,
        "messages": LIST,
        "stream": BOOL,
        "stream_options": OBJECT,
        "max_tokens": INT,
        "max_completion_tokens": INT,
        "seed": INT,
        "stop": ANY,
        "temperature": FLOAT,
        "frequency_penalty": FLOAT,
        "presence_penalty": FLOAT,
        "top_p": FLOAT,
        "response_format": OBJECT,
        "tools": LIST,
        "reasoning": OBJECT,
        "reasoning_effort": STRING,
        "logprobs": BOOL,
        "top_logprobs": INT,
    },
)
COMPLETION = Struct(
    "CompletionRequest",
    {
        "model": STRING,
        "prompt": STRING,
        "frequency_penalty": FLOAT,
        "max_tokens": INT,
        "presence_penalty": FLOAT,
        "seed": INT,
        "stop": ANY,
        "stream": BOOL,
        "stream_options": OBJECT,
        "temperature": FLOAT,
        "top_p": FLOAT,
        "suffix": STRING,
        "logprobs": INT,
    },
)
EMBEDDING = Struct(
    "EmbedRequest",
    {"model": STRING, "input": ANY, "dimensions": INT, "encoding_format": STRING},
)
