"""Go's ``strconv`` number and boolean parsing, as ``ollama create`` applies it.

``api.FormatParams`` converts PARAMETER values with ``ParseInt(v, 10, 64)``,
``ParseFloat(v, 32)`` and ``ParseBool(v)``; a value Go rejects makes the whole create
fail.  These functions accept exactly the same strings and give the same values
(floats rounded once, to nearest-even, straight to float32).
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

INT64_MIN = -(2**63)
INT64_MAX = 2**63 - 1

_INT = re.compile(r"[+-]?[0-9]+\Z")
_BOOLS = {
    "1": True,
    "t": True,
    "T": True,
    "TRUE": True,
    "true": True,
    "True": True,
    "0": False,
    "f": False,
    "F": False,
    "FALSE": False,
    "false": False,
    "False": False,
}
# Decimal: digits with an optional point, optional exponent; hex: 0x mantissa with a
# mandatory p exponent.  Underscores are checked separately, as Go does.
_DECIMAL = re.compile(r"([+-]?)([0-9_]*)(?:\.([0-9_]*))?(?:[eE]([+-]?[0-9][0-9_]*))?\Z")
_HEX = re.compile(r"([+-]?)0[xX]([0-9a-fA-F_]*)(?:\.([0-9a-fA-F_]*))?[pP]([+-]?[0-9][0-9_]*)\Z")
_SPECIAL = re.compile(r"([+-]?)(?:inf|infinity)\Z|nan\Z", re.IGNORECASE | re.ASCII)

_FLOAT32_OVERFLOW = Fraction(2**128)  # the first value that rounds to infinity is 2**128 - 2**103
_MAX_DIGITS = 800  # more significant digits than any float32 rounding decision needs


class SyntaxOrRangeError(ValueError):
    """The string is not a Go literal of the requested kind, or out of its range."""


def parse_int(text: str) -> int:
    """``strconv.ParseInt(text, 10, 64)``."""
    if not _INT.match(text):
        raise SyntaxOrRangeError(text)
    digits = text.lstrip("+-").lstrip("0") or "0"
    if len(digits) > 19:
        raise SyntaxOrRangeError(text)
    value = int(text)
    if not INT64_MIN <= value <= INT64_MAX:
        raise SyntaxOrRangeError(text)
    return value


def parse_bool(text: str) -> bool:
    """``strconv.ParseBool(text)``."""
    try:
        return _BOOLS[text]
    except KeyError:
        raise SyntaxOrRangeError(text) from None


def parse_float32(text: str) -> float:
    """``strconv.ParseFloat(text, 32)``: the float32 value, as a Python float."""
    special = _SPECIAL.match(text)
    if special:
        if text.lower().endswith("nan"):
            return math.nan
        return -math.inf if special.group(1) == "-" else math.inf
    hexa = _HEX.match(text)
    match = hexa or _DECIMAL.match(text)
    if match is None or ("_" in text and not _underscores_ok(text)):
        raise SyntaxOrRangeError(text)
    sign, whole, fraction, exponent = match.group(1), match.group(2), match.group(3) or "", match.group(4)
    whole, fraction = whole.replace("_", ""), fraction.replace("_", "")
    if not (whole or fraction):
        raise SyntaxOrRangeError(text)
    exp = _exponent(exponent) if exponent else 0
    magnitude = _hex_value(whole, fraction, exp) if hexa else _decimal_value(whole, fraction, exp)
    value = _round_float32(magnitude)
    if value is None:
        raise SyntaxOrRangeError(text)
    return -value if sign == "-" else value


def _exponent(text: str) -> int:
    """The exponent's value; Go saturates huge ones, and so do we."""
    digits = text.lstrip("+-").replace("_", "").lstrip("0") or "0"
    value = int(digits) if len(digits) <= 6 else 10**6
    return -value if text.startswith("-") else value


def _underscores_ok(text: str) -> bool:
    """Go's rule: an underscore only between digits (a base prefix counts as a digit)."""
    body = text[1:] if text[:1] in "+-" else text
    hexa = body[:2].lower() == "0x"
    saw = "0" if hexa else "^"
    digits = "0123456789abcdefABCDEF" if hexa else "0123456789"
    for char in body[2:] if hexa else body:
        if char in digits:
            saw = "0"
        elif char == "_":
            if saw != "0":
                return False
            saw = "_"
        elif saw == "_":
            return False
        else:
            saw = "!"
    return saw != "_"


def _decimal_value(whole: str, fraction: str, exp: int) -> Fraction:
    digits = (whole + fraction).lstrip("0")
    if not digits:
        return Fraction(0)
    exp10 = exp - len(fraction)  # value = int(digits) * 10**exp10
    trailing = len(digits) - len(digits.rstrip("0"))
    digits, exp10 = digits.rstrip("0") or "0", exp10 + trailing
    if len(digits) > _MAX_DIGITS:  # keep a sticky digit so rounding stays exact
        sticky = "1" if digits[_MAX_DIGITS:].strip("0") else "0"
        exp10 += len(digits) - _MAX_DIGITS - 1
        digits = digits[:_MAX_DIGITS] + sticky
    order = exp10 + len(digits)  # value < 10**order
    if order > 40:
        return _FLOAT32_OVERFLOW
    if order < -50:
        return Fraction(0)
    return Fraction(int(digits)) * Fraction(10) ** exp10


def _hex_value(whole: str, fraction: str, exp: int) -> Fraction:
    mantissa = int(whole + fraction or "0", 16)
    if mantissa == 0:
        return Fraction(0)
    exp2 = exp - 4 * len(fraction)
    order = exp2 + mantissa.bit_length()
    if order > 130:
        return _FLOAT32_OVERFLOW
    if order < -160:
        return Fraction(0)
    return Fraction(mantissa) * Fraction(2) ** exp2


def _round_float32(value: Fraction) -> float | None:
    """Round a non-negative rational to float32, nearest-even; ``None`` on overflow."""
    if value == 0:
        return 0.0
    exponent = value.numerator.bit_length() - value.denominator.bit_length()
    if Fraction(2) ** exponent > value:
        exponent -= 1
    quantum = max(exponent - 23, -149)  # 24-bit significand, subnormals below 2**-126
    rounded = round(value / Fraction(2) ** quantum) * Fraction(2) ** quantum
    if rounded >= _FLOAT32_OVERFLOW:
        return None
    return float(rounded)
