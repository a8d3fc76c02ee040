"""Ollama's ``chatPrompt`` (``server/prompt_test.go`` and the debug-render tests in
``../shared/vectors/templates/cases.json``): truncation to ``num_ctx`` from the front,
dropped system messages kept, the last message always kept, ``[img-N]`` tags, through
``builder.prompts.fit`` with Ollama's test tokenizer (one token per whitespace-separated
word, 768 per image when the model has a projector)."""

from __future__ import annotations

from typing import Any

import pytest
from vectors import params

from builder.prompts import GoTemplate, fit, tag_images

IMAGE_TOKENS = 768


def whitespace_words(text: str) -> int:
    return len(text.split())


@pytest.mark.parametrize(
    "case", params("templates/cases.json", lambda c: c.get("kind") == "chat_prompt", ident=lambda c: c["id"])
)
def test_chat_prompt_like_ollama(case: dict[str, Any]) -> None:
    given = case["input"]
    assert given["tokenizer"] == "whitespace_words"
    prompt = fit(
        given["messages"],
        GoTemplate(case["template"]),
        whitespace_words,
        given["num_ctx"],
        given["tools"],
        truncate=given["truncate"],
        image_tokens=IMAGE_TOKENS if given["has_projector"] else 0,
    )
    assert prompt == case["expected"]


def test_image_tags_replace_placeholders_then_prefix() -> None:
    (message,) = tag_images([{"role": "user", "content": "first [img] and [img]", "images": ["a", "b", "c"]}])
    assert message["content"] == "[img-2]first [img-0] and [img-1]"
