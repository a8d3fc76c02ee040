"""Go's notion of white space (``unicode.IsSpace``) and ``strings.TrimSpace``.

Python's ``str.isspace`` also accepts the separators U+001C–U+001F, which Go does not,
so the output parsers trim with these helpers to split text exactly where Ollama does.

>>> trim("\\x1c <think> \\n")
'\\x1c <think>'
>>> trim_left("\\u00a0 hi ")
'hi '
"""

from __future__ import annotations

_NOT_GO_SPACE = frozenset("\x1c\x1d\x1e\x1f")


def is_space(char: str) -> bool:
    """Whether Go's ``unicode.IsSpace`` holds for ``char``."""
    return char.isspace() and char not in _NOT_GO_SPACE


def trim_left(text: str) -> str:
    """``strings.TrimLeftFunc(text, unicode.IsSpace)``."""
    start = 0
    while start < len(text) and is_space(text[start]):
        start += 1
    return text[start:]


def trim_right(text: str) -> str:
    """``strings.TrimRightFunc(text, unicode.IsSpace)``."""
    end = len(text)
    while end > 0 and is_space(text[end - 1]):
        end -= 1
    return text[:end]


def trim(text: str) -> str:
    """``strings.TrimSpace(text)``."""
    return trim_left(trim_right(text))


def suffix_overlap(text: str, tag: str) -> int:
    """Length of the longest proper-or-whole prefix of ``tag`` that ``text`` ends with.

    >>> suffix_overlap("abc</th", "</think>")
    4
    """
    for size in range(min(len(tag), len(text)), 0, -1):
        if text.endswith(tag[:size]):
            return size
    return 0
