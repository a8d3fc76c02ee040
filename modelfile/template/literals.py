"""Go literal syntax inside template actions: strings, runes and numbers."""

from __future__ import annotations

import re

_SIMPLE = {"a": "\a", "b": "\b", "f": "\f", "n": "\n", "r": "\r", "t": "\t", "v": "\v", "\\": "\\"}


def unquote(text: str) -> str:
    """``strconv.Unquote`` of a double-quoted Go string."""
    if len(text) < 2 or text[0] != '"' or text[-1] != '"':
        raise ValueError(f"invalid string literal {text}")
    return _unescape(text[1:-1], '"')


def parse_char(text: str) -> int:
    """A rune literal such as ``'a'`` or ``'\\n'``: its code point."""
    body = _unescape(text[1:-1], "'")
    if len(body) != 1:
        raise ValueError(f"malformed character constant: {text}")
    return ord(body)


def _unescape(body: str, quote: str) -> str:
    out: list[str] = []
    i = 0
    while i < len(body):
        char = body[i]
        if char != "\\":
            out.append(char)
            i += 1
            continue
        if i + 1 >= len(body):
            raise ValueError("invalid syntax: string ends in a backslash")
        code = body[i + 1]
        if code in _SIMPLE:
            out.append(_SIMPLE[code])
            i += 2
        elif code == quote:
            out.append(quote)
            i += 2
        elif code in "xuU":
            width = {"x": 2, "u": 4, "U": 8}[code]
            digits = body[i + 2 : i + 2 + width]
            if len(digits) != width or not re.fullmatch(r"[0-9a-fA-F]+", digits):
                raise ValueError(f"invalid escape \\{code}{digits}")
            value = int(digits, 16)
            if code != "x" and (value > 0x10FFFF or 0xD800 <= value <= 0xDFFF):
                raise ValueError(f"invalid Unicode escape \\{code}{digits}")
            out.append(chr(value))
            i += 2 + width
        elif code in "01234567":
            digits = body[i + 1 : i + 4]
            if not re.fullmatch(r"[0-7]{3}", digits) or int(digits, 8) > 255:
                raise ValueError(f"invalid octal escape \\{digits}")
            out.append(chr(int(digits, 8)))
            i += 4
        else:
            raise ValueError(f"unknown escape sequence \\{code}")
    return "".join(out)


def parse_number(text: str) -> int | float:
    """A Go number constant: an int when it is one (``0x1F``, ``1_000``, ``010``), else a float."""
    if "__" in text or text.endswith("_") or "_." in text or "._" in text:
        raise ValueError(f"bad number syntax: {text!r}")
    clean = text.replace("_", "")
    sign = -1 if clean.startswith("-") else 1
    body = clean.lstrip("+-")
    lower = body.lower()
    try:
        if lower.startswith("0x"):
            return sign * float.fromhex(body) if "p" in lower else sign * int(body[2:], 16)
        if lower.startswith("0b"):
            return sign * int(body[2:], 2)
        if lower.startswith("0o"):
            return sign * int(body[2:], 8)
        if body.isdigit():
            return sign * int(body, 8 if len(body) > 1 and body.startswith("0") else 10)
        if re.fullmatch(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][+-]?[0-9]+)?", body):
            return sign * float(body)
    except ValueError:
        pass
    raise ValueError(f"bad number syntax: {text!r}")
