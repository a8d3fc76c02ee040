"""How Go's ``fmt`` prints template values: ``{{ x }}``, ``print``, ``println``, ``printf``.

``%v`` of a float64 is ``strconv``'s shortest ``'g'``, which switches to the exponent
form when the exponent is below -4 or at least 6 (``123456``, ``1.234567e+06``,
``1e+08``, ``1e-05``).  Maps print sorted as ``map[k:v]``, slices as ``[a b]``, structs
as ``{v1 v2}`` unless they have a ``String`` method, nil as ``<nil>`` inside containers
and ``<no value>`` at the top.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from modelfile.errors import MfcError
from modelfile.go.encoding_json import shortest_digits
from modelfile.go.value import GoValue, is_missing


class PrintError(MfcError, ValueError):
    """A value Go prints non-reproducibly (a pointer address) or that mfc cannot print."""

    code = "template-execution-failed"


def format_float(value: float, verb: str = "g", precision: int = -1, bits: int = 64) -> str:
    """``strconv.FormatFloat(value, verb, precision, bits)`` for verbs g, e, f: ``bits``
    32 gives a float32's shortest digits (``0.1`` for the float32 nearest 0.1)."""
    if math.isnan(value):
        return "NaN"
    if math.isinf(value):
        return "+Inf" if value > 0 else "-Inf"
    sign = "-" if value < 0 or (value == 0 and math.copysign(1.0, value) < 0) else ""
    if verb == "f":
        text = f"{abs(value):.{precision}f}" if precision >= 0 else _fixed_shortest(abs(value), bits)
        return sign + text
    if verb == "e":
        if precision >= 0:
            text = f"{abs(value):.{precision}e}"
            mantissa, power = text.split("e")
            return sign + mantissa + "e" + _exponent(int(power))
        digits, point = shortest_digits(value, bits)
        return sign + _e_form(digits, point)
    # 'g'
    if precision >= 0:
        text = f"{abs(value):.{max(precision, 1)}g}"
        if "e" in text:
            mantissa, power = text.split("e")
            return sign + mantissa + "e" + _exponent(int(power))
        return sign + text
    digits, point = shortest_digits(value, bits)
    exponent = point - 1
    return sign + (_e_form(digits, point) if exponent < -4 or exponent >= 6 else _plain(digits, point))


def _exponent(exp: int) -> str:
    return f"{'-' if exp < 0 else '+'}{abs(exp):02d}"


def _e_form(digits: str, point: int) -> str:
    mantissa = digits[0] + ("." + digits[1:] if len(digits) > 1 else "")
    return f"{mantissa}e{_exponent(point - 1)}"


def _plain(digits: str, point: int) -> str:
    if point <= 0:
        return "0." + "0" * -point + digits
    if point >= len(digits):
        return digits + "0" * (point - len(digits))
    return digits[:point] + "." + digits[point:]


def _fixed_shortest(value: float, bits: int = 64) -> str:
    digits, point = shortest_digits(value, bits)
    return _plain(digits, point)


def sprint_value(value: Any, *, top: bool = True) -> str:
    """``fmt.Sprint`` of one template value (``%v``)."""
    if is_missing(value):
        return "<no value>" if top else "<nil>"
    if isinstance(value, GoValue):
        return value.go_string(top=top)
    if value is None:
        return "<no value>" if top else "<nil>"
    if value is True:
        return "true"
    if value is False:
        return "false"
    if isinstance(value, int):
        return str(value)
    if isinstance(value, float):
        return format_float(value)
    if isinstance(value, str):
        return value
    if isinstance(value, bytes | bytearray):
        return "[" + " ".join(str(b) for b in value) + "]"
    if isinstance(value, Mapping):
        items = sorted(value.items(), key=lambda kv: _map_key(kv[0]))
        return "map[" + " ".join(f"{sprint_value(k, top=False)}:{sprint_value(v, top=False)}" for k, v in items) + "]"
    if isinstance(value, Sequence):
        return "[" + " ".join(sprint_value(item, top=False) for item in value) + "]"
    raise PrintError(f"cannot print a value of type {type(value).__name__}")


def _map_key(key: Any) -> tuple[int, Any]:
    if isinstance(key, str):
        return (0, key.encode("utf-8", "surrogatepass"))
    return (1, key)


def sprint(*args: Any) -> str:
    """``fmt.Sprint``: a space between operands when neither is a string."""
    out: list[str] = []
    previous_string = True
    for i, arg in enumerate(args):
        is_string = isinstance(arg, str)
        if i > 0 and not is_string and not previous_string:
            out.append(" ")
        out.append(sprint_value(arg, top=False) if not is_missing(arg) else "<nil>")
        previous_string = is_string
    return "".join(out)


def sprintln(*args: Any) -> str:
    """``fmt.Sprintln``: spaces always, and a newline."""
    return " ".join(sprint_value(a, top=False) if not is_missing(a) else "<nil>" for a in args) + "\n"


_VERB = re.compile(r"%([-+# 0]*)(\*|\d+)?(?:\.(\*|\d*))?([a-zA-Z%])")


def sprintf(fmt: str, *args: Any) -> str:
    """``fmt.Sprintf`` for the verbs templates use: %s %v %d %q %t %x %X %f %e %g %c %%."""
    out: list[str] = []
    position = 0
    index = 0
    for match in _VERB.finditer(fmt):
        out.append(fmt[position : match.start()])
        position = match.end()
        flags, width, precision, verb = match.group(1), match.group(2), match.group(3), match.group(4)
        if _too_large(width) or _too_large(precision):  # Go gives up on the rest of the format
            out.append("%!(NOVERB)")
            position = len(fmt)
            break
        if verb == "%":
            out.append("%")
            continue
        if index >= len(args):
            out.append(f"%!{verb}(MISSING)")
            continue
        arg = args[index]
        index += 1
        out.append(_pad(_format_one(verb, flags, precision, arg), flags, width))
    out.append(fmt[position:])
    if index < len(args):
        extra = ", ".join(f"{_go_type(a)}={sprint_value(a, top=False)}" for a in args[index:])
        out.append(f"%!(EXTRA {extra})")
    return "".join(out)


def _too_large(digits: str | None) -> bool:
    """Whether Go's ``parsenum`` abandons a width or precision: a digit that follows a
    number already over a million (so no padding runs to gigabytes).

    >>> _too_large("9999999"), _too_large("99999999"), _too_large(None)
    (False, True, False)
    """
    number = 0
    for digit in digits if digits and digits != "*" else "":
        if number > 1_000_000:
            return True
        number = number * 10 + int(digit)
    return False


def _format_one(verb: str, flags: str, precision: str | None, arg: Any) -> str:
    prec = int(precision) if precision not in (None, "", "*") else (0 if precision == "" else -1)
    if verb in "vs":
        if "+" in flags or "#" in flags:
            raise PrintError(f"printf verb %{flags}{verb} is not supported")
        if verb == "s" and not isinstance(arg, str | bytes | GoValue) and not is_missing(arg):
            return f"%!s({_go_type(arg)}={sprint_value(arg, top=False)})"
        text = sprint_value(arg, top=False) if not is_missing(arg) else "%!v(<nil>)" if verb == "v" else "%!s(<nil>)"
        return text[:prec] if precision is not None and prec >= 0 and isinstance(arg, str) else text
    if verb == "d":
        if isinstance(arg, int) and not isinstance(arg, bool):
            return f"+{arg}" if "+" in flags and arg >= 0 else str(arg)
        return f"%!d({_go_type(arg)}={sprint_value(arg, top=False)})"
    if verb == "t":
        if isinstance(arg, bool):
            return "true" if arg else "false"
        return f"%!t({_go_type(arg)}={sprint_value(arg, top=False)})"
    if verb == "q":
        if isinstance(arg, str):
            return go_quote(arg)
        if isinstance(arg, int) and not isinstance(arg, bool):
            return "'" + go_quote(chr(arg))[1:-1].replace('\\"', '"').replace("'", "\\'") + "'"
        return f"%!q({_go_type(arg)}={sprint_value(arg, top=False)})"
    if verb in "xX":
        if isinstance(arg, str):
            text = arg.encode("utf-8").hex()
        elif isinstance(arg, int) and not isinstance(arg, bool):
            text = format(arg, "x")
        else:
            return f"%!{verb}({_go_type(arg)}={sprint_value(arg, top=False)})"
        return text.upper() if verb == "X" else text
    if verb in "feEgG":
        if isinstance(arg, float | int) and not isinstance(arg, bool):
            text = format_float(
                float(arg), verb.lower(), prec if precision is not None else (6 if verb in "fe" else -1)
            )
            return text.upper() if verb.isupper() else text
        return f"%!{verb}({_go_type(arg)}={sprint_value(arg, top=False)})"
    if verb == "c":
        if isinstance(arg, int) and not isinstance(arg, bool):
            return chr(arg)
        return f"%!c({_go_type(arg)}={sprint_value(arg, top=False)})"
    raise PrintError(f"printf verb %{verb} is not supported")


def _pad(text: str, flags: str, width: str | None) -> str:
    if not width or width == "*":
        return text
    size = int(width)
    if "-" in flags:
        return text.ljust(size)
    if "0" in flags and text[:1] in "+-0123456789":
        sign = text[0] if text[0] in "+-" else ""
        return sign + text[len(sign) :].rjust(size - len(sign), "0")
    return text.rjust(size)


def _go_type(value: Any) -> str:
    if isinstance(value, GoValue):
        return value.go_type
    if value is None or is_missing(value):
        return "<nil>"
    return {bool: "bool", int: "int", float: "float64", str: "string"}.get(type(value), "interface {}")


def go_quote(text: str) -> str:
    """``strconv.Quote``: a Go double-quoted string with escapes for the unprintable."""
    from modelfile.go.printable import is_dropped

    out = ['"']
    for char in text:
        code = ord(char)
        if char in '"\\':
            out.append("\\" + char)
        elif char in "\a\b\f\n\r\t\v":
            out.append(
                {"\a": "\\a", "\b": "\\b", "\f": "\\f", "\n": "\\n", "\r": "\\r", "\t": "\\t", "\v": "\\v"}[char]
            )
        elif code < 0x20 or code == 0x7F:
            out.append(f"\\x{code:02x}")
        elif is_dropped(char) and char != " ":
            out.append(f"\\u{code:04x}" if code < 0x10000 else f"\\U{code:08x}")
        else:
            out.append(char)
    out.append('"')
    return "".join(out)
