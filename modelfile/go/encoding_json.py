"""Go's ``encoding/json`` ``Marshal``, byte for byte.

Compact output, map keys sorted, HTML-safe escapes (``<`` ``>`` ``&`` as ``\\u003c``
…), U+2028/U+2029 escaped, ``\\b``/``\\f`` short escapes (Go ≥ 1.22), float64
formatting with Go's thresholds (``1e+21``, ``1e-7``), ``[]byte`` as base64.  Values that
need Go types implement ``__gojson__`` (returning encoded JSON) — Go structs with their
field order and tags, ``Float32`` for float32 fields.
"""

from __future__ import annotations

import base64
import math
import struct
from collections.abc import Mapping, Sequence
from typing import Any

_ESCAPES = {
    '"': '\\"',
    "\\": "\\\\",
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
    "<": "\\u003c",
    ">": "\\u003e",
    "&": "\\u0026",
    "\u2028": "\\u2028",
    "\u2029": "\\u2029",
}


class UnsupportedValueError(ValueError):
    """Go's ``json: unsupported value`` (NaN, infinities)."""


class Float32(float):
    """A float that Go holds as float32: marshalled with float32's shortest digits."""


def marshal(value: Any) -> str:
    """``json.Marshal(value)`` as Go writes it."""
    out: list[str] = []
    _encode(value, out)
    return "".join(out)


def quote(text: str) -> str:
    """A JSON string literal with Go's escaping."""
    parts = ['"']
    for char in text:
        escaped = _ESCAPES.get(char)
        if escaped is not None:
            parts.append(escaped)
        elif char < " ":
            parts.append(f"\\u{ord(char):04x}")
        elif "\ud800" <= char <= "\udfff":
            parts.append("\\ufffd")  # a lone surrogate: invalid UTF-8 in Go
        else:
            parts.append(char)
    parts.append('"')
    return "".join(parts)


def format_float(value: float, bits: int = 64) -> str:
    """A float as ``encoding/json`` writes it (``bits`` 32 for float32 fields)."""
    if math.isnan(value) or math.isinf(value):
        raise UnsupportedValueError(f"json: unsupported value: {value}")
    magnitude = abs(value)
    exponent_form = magnitude != 0 and (magnitude < 1e-6 or magnitude >= 1e21)
    digits, point = shortest_digits(value, bits)
    sign = "-" if math.copysign(1.0, value) < 0 and value != 0 else ""
    if value == 0:
        return "-0" if math.copysign(1.0, value) < 0 else "0"
    if exponent_form:
        mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
        exp = point - 1
        return f"{sign}{mantissa}e{'-' if exp < 0 else '+'}{abs(exp)}"
    return sign + fixed(digits, point)


def fixed(digits: str, point: int) -> str:
    """Digits with the decimal point after ``point`` of them (``'%f'`` of shortest digits)."""
    if point <= 0:
        return "0." + "0" * -point + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return digits[:point] + "." + digits[point:]


def shortest_digits(value: float, bits: int = 64) -> tuple[str, int]:
    """The shortest decimal digits that read back as ``value`` (as float64 or float32),
    and the position of the decimal point: ``0.015`` → ``("15", -1)``."""
    value = abs(value)
    if value == 0:
        return "0", 1
    if bits == 32:
        target = struct.unpack("<f", struct.pack("<f", value))[0]
        for significant in range(1, 10):  # 9 digits always identify a float32
            text = f"{target:.{significant - 1}e}"
            if struct.unpack("<f", struct.pack("<f", float(text)))[0] == target:
                break
    else:
        text = repr(value)  # Python's repr is the shortest round-trip form, like Go's -1 precision
    return _digits_of(text)


def _digits_of(text: str) -> tuple[str, int]:
    mantissa, _, exponent = text.lower().partition("e")
    whole, _, fraction = mantissa.partition(".")
    digits = (whole + fraction).lstrip("0")
    lead = len(whole.lstrip("0")) if whole.strip("0") else -(len(fraction) - len(fraction.lstrip("0")))
    point = lead + (int(exponent) if exponent else 0)
    digits = digits.rstrip("0") or "0"
    return digits, point


def _encode(value: Any, out: list[str]) -> None:
    custom = getattr(value, "__gojson__", None)
    if custom is not None:
        out.append(custom())
    elif value is None:
        out.append("null")
    elif value is True:
        out.append("true")
    elif value is False:
        out.append("false")
    elif isinstance(value, Float32):
        out.append(format_float(value, 32))
    elif isinstance(value, int):
        out.append(str(value))
    elif isinstance(value, float):
        out.append(format_float(value))
    elif isinstance(value, str):
        out.append(quote(value))
    elif isinstance(value, bytes | bytearray):
        out.append('"' + base64.b64encode(bytes(value)).decode("ascii") + '"')
    elif isinstance(value, Mapping):
        out.append("{")
        for i, key in enumerate(sorted(value, key=lambda k: str(k).encode("utf-8", "surrogatepass"))):
            if i:
                out.append(",")
            out.append(quote(str(key)))
            out.append(":")
            _encode(value[key], out)
        out.append("}")
    elif isinstance(value, Sequence):
        out.append("[")
        for i, item in enumerate(value):
            if i:
                out.append(",")
            _encode(item, out)
        out.append("]")
    else:
        raise UnsupportedValueError(f"json: unsupported type: {type(value).__name__}")
