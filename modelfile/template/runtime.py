"""The functions translated templates call: Go's template builtins and Ollama's.

Registered as globals of the Jinja environment (``GLOBALS``).  Each follows Go's
``text/template`` (argument rules, errors) on the typed values of ``values.py``; a
Go execution error raises ``TemplateExecutionError``, as Ollama's render fails.
"""

from __future__ import annotations

import datetime
import html as _html_module
from collections.abc import Callable, Mapping, Sequence
from typing import Any
from urllib.parse import quote_plus

from modelfile.errors import TemplateExecutionError
from modelfile.go.encoding_json import UnsupportedValueError, marshal
from modelfile.go.fmt import PrintError, sprint, sprint_value, sprintf, sprintln
from modelfile.go.value import GoUndefined, GoValue, is_missing
from modelfile.template.values import GoStruct


def fail(message: str) -> TemplateExecutionError:
    return TemplateExecutionError(message)


# ---- printing and fields ---------------------------------------------------------------


def p(value: Any) -> str:
    """``{{ value }}``: Go's printing of the result of a pipeline."""
    if isinstance(value, str):
        return value
    try:
        return sprint_value(value)
    except PrintError as error:
        raise fail(str(error)) from None


def f(value: Any, *names: str) -> Any:
    """``value.A.B``: struct fields, map keys; Go's errors on nil and unknown fields."""
    for name in names:
        if is_missing(value) or value is None:
            raise fail(f"nil pointer evaluating interface {{}}.{name}")
        if isinstance(value, GoStruct):
            try:
                value = value.go_field(name)
            except KeyError:
                raise fail(f"can't evaluate field {name} in type *{value.go_type}") from None
        elif isinstance(value, Mapping):
            value = value[name] if name in value else GoUndefined(name=name)
        else:
            raise fail(f"can't evaluate field {name} in type {_type(value)}")
    return value


def range_items(value: Any) -> list[tuple[Any, Any]]:
    """What ``range`` visits: (index, element) of slices, (key, value) of maps in sorted
    key order, 0…n-1 of an int; nothing for nil."""
    if is_missing(value) or value is None:
        return []
    if isinstance(value, bool):
        raise fail("range can't iterate over bool")
    if isinstance(value, int):
        return [(i, i) for i in range(value)]
    if isinstance(value, Mapping):
        return [(k, value[k]) for k in sorted(value, key=_sort_key)]
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        shown = _type(value) if isinstance(value, GoValue) else sprint_value(value, top=False)
        raise fail(f"range can't iterate over {shown}")
    return list(enumerate(value))


def _sort_key(key: Any) -> Any:
    return key.encode("utf-8", "surrogatepass") if isinstance(key, str) else key


# ---- comparison -----------------------------------------------------------------------

_INT, _FLOAT, _STRING, _BOOL, _NIL, _OTHER = "int", "float", "string", "bool", "nil", "other"


def _kind(value: Any) -> str:
    if is_missing(value) or value is None:
        return _NIL
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, int):
        return _INT
    if isinstance(value, float):
        return _FLOAT
    if isinstance(value, str):
        return _STRING
    return _OTHER


def eq(first: Any, *others: Any) -> bool:
    """``eq a b c``: a == b || a == c; Go refuses to compare int with float, string with int."""
    if not others:
        raise fail("error calling eq: missing argument for comparison")
    k1 = _kind(first)
    for other in others:
        k2 = _kind(other)
        if k1 != k2:
            if k1 != _NIL and k2 != _NIL:
                raise fail("error calling eq: incompatible types for comparison")
            continue
        if k1 == _OTHER:
            raise fail(f"error calling eq: non-comparable type {_type(first)}")
        if k1 == _NIL or first == other:
            return True
    return False


def ne(first: Any, second: Any) -> bool:
    return not eq(first, second)


def _ordered(name: str, a: Any, b: Any) -> tuple[Any, Any]:
    ka, kb = _kind(a), _kind(b)
    if ka in (_BOOL, _NIL, _OTHER) or kb in (_BOOL, _NIL, _OTHER):
        raise fail(f"error calling {name}: invalid type for comparison")
    if ka != kb:
        raise fail(f"error calling {name}: incompatible types for comparison")
    if ka == _STRING:
        return a.encode("utf-8", "surrogatepass"), b.encode("utf-8", "surrogatepass")
    return a, b


def lt(a: Any, b: Any) -> bool:
    x, y = _ordered("lt", a, b)
    return bool(x < y)


def le(a: Any, b: Any) -> bool:
    x, y = _ordered("le", a, b)
    return bool(x <= y)


def gt(a: Any, b: Any) -> bool:
    x, y = _ordered("gt", a, b)
    return bool(x > y)


def ge(a: Any, b: Any) -> bool:
    x, y = _ordered("ge", a, b)
    return bool(x >= y)


# ---- collections -----------------------------------------------------------------------


def length(value: Any) -> int:
    """``len``: bytes of a string, items of a slice or map."""
    if isinstance(value, str):
        return len(value.encode("utf-8", "surrogatepass"))
    if isinstance(value, bytes | Sequence | Mapping) and not isinstance(value, GoStruct):
        return len(value)
    if is_missing(value) or value is None:
        raise fail("error calling len: len of nil pointer")
    raise fail(f"error calling len: len of type {_type(value)}")


def index(value: Any, *keys: Any) -> Any:
    """``index x 1 2``: slice elements (bounds-checked), map values, string bytes."""
    for key in keys:
        if is_missing(value) or value is None:
            raise fail("error calling index: index of untyped nil")
        if isinstance(value, Mapping):
            if not isinstance(key, str):
                raise fail(f"error calling index: value has type {_type(key)}; should be string")
            value = value[key] if key in value else GoUndefined(name=key)
        elif isinstance(value, str | bytes) or (isinstance(value, Sequence) and not isinstance(value, GoStruct)):
            items = value.encode("utf-8", "surrogatepass") if isinstance(value, str) else value
            position = _int_arg("index", key)
            if not 0 <= position < len(items):
                raise fail(f"error calling index: index out of range: {position}")
            value = items[position]
        else:
            raise fail(f"error calling index: can't index item of type {_type(value)}")
    return value


def slice_(value: Any, *bounds: Any) -> Any:
    """``slice x 1 2``: sub-slices; strings by byte offsets."""
    if is_missing(value) or value is None:
        raise fail("error calling slice: slice of untyped nil")
    if len(bounds) > 3:
        raise fail(f"error calling slice: too many slice indexes: {len(bounds)}")
    is_string = isinstance(value, str)
    items = value.encode("utf-8", "surrogatepass") if is_string else value
    if not isinstance(items, bytes | Sequence) or isinstance(value, GoStruct):
        raise fail(f"error calling slice: can't slice item of type {_type(value)}")
    if is_string and len(bounds) == 3:
        raise fail("error calling slice: cannot 3-index slice a string")
    positions = [_int_arg("slice", b) for b in bounds]
    start = positions[0] if positions else 0
    end = positions[1] if len(positions) > 1 else len(items)
    if not 0 <= start <= end <= len(items) or (len(positions) == 3 and not end <= positions[2] <= len(items)):
        raise fail(f"error calling slice: index out of range: {end if start <= end else start}")
    part = items[start:end]
    if is_string:
        try:
            return bytes(part).decode("utf-8")
        except UnicodeDecodeError:
            raise fail("slice cuts a UTF-8 character in half: Go would write broken bytes") from None
    return type(value)(list(part)) if isinstance(value, list) else list(part)


def _int_arg(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        raise fail(f"error calling {name}: cannot index slice/array with type {_type(value)}")
    if value < 0:
        raise fail(f"error calling {name}: index out of range: {value}")
    return value


# ---- text ------------------------------------------------------------------------------


def print_(*args: Any) -> str:
    return _safe(sprint, *args)


def println(*args: Any) -> str:
    return _safe(sprintln, *args)


def printf(fmt: Any, *args: Any) -> str:
    if not isinstance(fmt, str):
        raise fail(f"error calling printf: wrong type for value; expected string; got {_type(fmt)}")
    return _safe(sprintf, fmt, *args)


def _safe(function: Callable[..., str], *args: Any) -> str:
    try:
        return function(*args)
    except PrintError as error:
        raise fail(str(error)) from None


def _escaper_text(args: tuple[Any, ...]) -> str:
    if len(args) == 1 and isinstance(args[0], str):
        return args[0]
    return _safe(sprint, *args)


def html(*args: Any) -> str:
    """``html``: Go's HTMLEscapeString (``&#39;`` and ``&#34;`` for quotes)."""
    text = _escaper_text(args).replace("\x00", "\ufffd")
    return _html_module.escape(text, quote=False).replace("'", "&#39;").replace('"', "&#34;")


_JS = {"\\": "\\\\", "'": "\\'", '"': '\\"', "<": "\\u003C", ">": "\\u003E", "&": "\\u0026", "=": "\\u003D"}


def js(*args: Any) -> str:
    """``js``: Go's JSEscapeString."""
    from modelfile.go.printable import is_dropped

    out = []
    for char in _escaper_text(args):
        if char in _JS:
            out.append(_JS[char])
        elif char < " " or (ord(char) >= 0x80 and (is_dropped(char) or char in "\t\r\n")):
            out.append(f"\\u{ord(char):04X}")
        else:
            out.append(char)
    return "".join(out)


def urlquery(*args: Any) -> str:
    """``urlquery``: Go's url.QueryEscape."""
    return quote_plus(_escaper_text(args), safe="-_.~")


# ---- Ollama's functions -----------------------------------------------------------------


def json(value: Any) -> str:
    """Ollama's ``json``: Go's json.Marshal, errors ignored (an empty string)."""
    try:
        return marshal(None if is_missing(value) else value)
    except UnsupportedValueError:
        return ""


def current_date(*_: Any) -> str:
    """Ollama's ``currentDate``: today in the local time zone; arguments are ignored."""
    return datetime.date.today().isoformat()


def yesterday_date(*_: Any) -> str:
    return (datetime.date.today() - datetime.timedelta(days=1)).isoformat()


_TS_TYPES = {
    "string": "string",
    "number": "number",
    "integer": "number",
    "boolean": "boolean",
    "array": "any[]",
    "object": "Record<string, any>",
    "null": "null",
}


def to_typescript_type(prop: Any) -> str:
    """Ollama's ``toTypeScriptType`` for a tool property."""
    if not isinstance(prop, GoStruct) or prop.go_type != "api.ToolProperty":
        return "any"
    any_of = prop.values["AnyOf"]
    if any_of:
        return " | ".join(to_typescript_type(p) for p in any_of)
    kinds = list(prop.values["Type"])
    if not kinds:
        return "any"
    return " | ".join(_TS_TYPES.get(k, "any") for k in kinds)


def missing_function(name: str) -> Callable[..., Any]:
    """Ollama renders the last turn of a legacy template without its functions."""

    def call(*_: Any) -> Any:
        raise fail(f'"{name}" is not a defined function')

    return call


def fail_now(message: str) -> str:
    raise fail(message)


def _type(value: Any) -> str:
    if isinstance(value, GoValue):
        return value.go_type
    return {
        bool: "bool",
        int: "int",
        float: "float64",
        str: "string",
        dict: "map[string]interface {}",
        list: "[]interface {}",
        bytes: "[]uint8",
    }.get(type(value), type(value).__name__)


#: Name in translated Jinja -> implementation.
GLOBALS: dict[str, Callable[..., Any]] = {
    "_p": p,
    "_f": f,
    "_range": range_items,
    "_eq": eq,
    "_ne": ne,
    "_lt": lt,
    "_le": le,
    "_gt": gt,
    "_ge": ge,
    "_len": length,
    "_index": index,
    "_slice": slice_,
    "_print": print_,
    "_println": println,
    "_printf": printf,
    "_html": html,
    "_js": js,
    "_urlquery": urlquery,
    "_json": json,
    "_currentDate": current_date,
    "_yesterdayDate": yesterday_date,
    "_toTypeScriptType": to_typescript_type,
    "_missing_function": missing_function,
    "_fail": fail_now,
}
