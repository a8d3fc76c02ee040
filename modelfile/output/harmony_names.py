"""Tool names rewritten for harmony (gpt-oss) and mapped back (Ollama's ``FunctionNameMap``).

Spaces, ``-`` and ``.`` become ``_``; other characters that are not letters, decimal
digits, ``_`` or ``$`` are dropped; nothing left → ``unnamed``; a leading digit gets a
``_``; duplicates get ``_2``, ``_3``…  gpt-oss's builtin tools keep their names.

>>> names = FunctionNameMap()
>>> names.convert_and_add("get weather"), names.convert_and_add("get-weather"), names.convert_and_add("python")
('get_weather', 'get_weather_2', 'python')
>>> names.original("get_weather_2")
'get-weather'
"""

from __future__ import annotations

import unicodedata

#: gpt-oss's own tools: never renamed.
BUILTIN_TOOLS = frozenset({"browser.open", "browser.search", "browser.find", "python"})


def convert_to_valid_chars(name: str) -> str:
    """``name`` as a TypeScript-like identifier (before de-duplication)."""
    kept: list[str] = []
    for char in name:
        if char in " -.":
            kept.append("_")
        elif char in "_$" or unicodedata.category(char).startswith("L") or unicodedata.category(char) == "Nd":
            kept.append(char)
    candidate = "".join(kept)
    if not candidate:
        return "unnamed"
    if candidate[0] in "0123456789":  # Go tests the first byte only
        candidate = "_" + candidate
    return candidate


class FunctionNameMap:
    """User tool names ↔ harmony names for one request."""

    def __init__(self) -> None:
        self._to_harmony: dict[str, str] = {}
        self._to_user: dict[str, str] = {}

    def convert_and_add(self, user_name: str) -> str:
        """The harmony name for ``user_name``, remembered both ways."""
        base = convert_to_valid_chars(user_name)
        candidate, count = base, 2
        while candidate in self._to_user:
            candidate, count = f"{base}_{count}", count + 1
        if user_name in BUILTIN_TOOLS:
            candidate = user_name
        self._to_harmony[user_name] = candidate
        self._to_user[candidate] = user_name
        return candidate

    def original(self, harmony_name: str) -> str:
        """The user's name for a harmony name (the name itself when unknown)."""
        return self._to_user.get(harmony_name, harmony_name)
