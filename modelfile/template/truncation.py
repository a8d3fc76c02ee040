"""Ollama's ``chatPrompt`` (``server/prompt.go``): cut a conversation to the context
window, then tag its images.

Messages are dropped from the front until the prompt fits ``num_ctx`` tokens; the
system messages of the dropped part move to the front, and the last message is always
kept.  The kept messages' images are then numbered ``[img-N]`` from 0.  Token counting
renders without the tags; the final render has them.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

Message = Mapping[str, Any]


def chat_prompt(
    messages: Sequence[Message],
    render: Callable[[list[Message]], str],
    count: Callable[[str], int] | None = None,
    num_ctx: int = 0,
    *,
    truncate: bool = True,
    image_tokens: int = 0,
) -> str:
    """The prompt ``render`` writes for the longest tail of ``messages`` that fits
    ``num_ctx`` tokens as ``count`` counts them (``image_tokens`` more per image: a model
    with a projector).  Without ``count`` nothing is cut.

    >>> words = lambda text: len(text.split())
    >>> lines = lambda ms: "".join(f"{m['role']}: {m['content']}\\n" for m in ms)
    >>> history = [{"role": "system", "content": "Be terse."}, {"role": "user", "content": "one two three"},
    ...            {"role": "assistant", "content": "four"}, {"role": "user", "content": "five", "images": ["aQ=="]}]
    >>> print(chat_prompt(history, lines, words, 7), end="")
    system: Be terse.
    assistant: four
    user: [img-0]five
    """
    start, kept_system = 0, []
    if truncate and count is not None:
        for index in range(len(messages)):
            kept_system = [m for m in messages[:index] if m.get("role") == "system"]
            tail = messages[index:]
            needed = count(render([*kept_system, *tail]))
            needed += image_tokens * sum(len(m.get("images") or []) for m in tail)
            if needed <= num_ctx or index == len(messages) - 1:
                start = index
                break
    return render([*kept_system, *tag_images(messages[start:])])


def tag_images(messages: Sequence[Message]) -> list[Message]:
    """Number the images of ``messages`` from 0: each one replaces the next ``[img]`` of
    its message's text, or is prefixed as ``[img-N]`` when none is left.

    >>> tag_images([{"role": "user", "content": "first [img] and [img]", "images": ["a", "b", "c"]}])[0]["content"]
    '[img-2]first [img-0] and [img-1]'
    """
    tagged: list[Message] = []
    number = 0
    for original in messages:
        message = dict(original)
        content, prefix = str(message.get("content") or ""), ""
        for _ in message.get("images") or []:
            tag = f"[img-{number}]"
            if "[img]" in content:
                content = content.replace("[img]", tag, 1)
            else:
                prefix += tag
            number += 1
        if message.get("images"):
            message["content"] = prefix + content
        tagged.append(message)
    return tagged
