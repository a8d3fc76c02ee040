"""Ollama's template data, as Go-typed Python values.

Go prints, compares and serializes by type, so the API JSON given to ``render`` is
turned into stand-ins that carry Go's behaviour: ``GoStruct`` (field order, JSON tags,
an optional ``String`` method, pointer-ness), ``JSONMap``/``JSONList`` (types whose
``String`` is JSON), ``PropertyType``.  JSON numbers become floats, as Go's ``any``
holds them.  A key missing from the data is ``GoUndefined``: it prints ``<no value>``.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping
from typing import Any

from modelfile.go.encoding_json import marshal
from modelfile.go.fmt import PrintError, sprint_value
from modelfile.go.value import GoUndefined, GoValue


class FieldSpec:
    """A struct field: Go name, JSON name (``None``: the Go name), ``omitempty``."""

    __slots__ = ("go", "json", "omitempty")

    def __init__(self, go: str, json: str | None = None, omitempty: bool = False) -> None:
        self.go, self.json, self.omitempty = go, json, omitempty


class GoStruct(GoValue):
    """A Go struct (or pointer to one) with named, ordered fields."""

    def __init__(
        self,
        go_type: str,
        specs: tuple[FieldSpec, ...],
        values: Mapping[str, Any],
        *,
        stringer: Callable[[GoStruct], str] | None = None,
        pointer: bool = False,
    ) -> None:
        self.go_type, self.specs, self.values = go_type, specs, dict(values)
        self.stringer, self.pointer = stringer, pointer

    def go_field(self, name: str) -> Any:
        if name not in self.values:
            raise KeyError(name)
        return self.values[name]

    def go_string(self, *, top: bool) -> str:

        if self.stringer is not None:
            return self.stringer(self)
        if self.pointer and not top:
            raise PrintError(f"printing a *{self.go_type} inside a value writes a memory address")
        return "{" + " ".join(sprint_value(self.values[s.go], top=False) for s in self.specs) + "}"

    def __gojson__(self) -> str:
        parts = []
        for spec in self.specs:
            value = self.values[spec.go]
            if spec.omitempty and _empty(value):
                continue
            parts.append(f'"{spec.json or spec.go}":{marshal(value)}')
        return "{" + ",".join(parts) + "}"

    def __bool__(self) -> bool:
        return True

    def __repr__(self) -> str:
        return f"GoStruct({self.go_type}, {self.values!r})"


def _empty(value: Any) -> bool:
    """Go's ``omitempty``: false, 0, "", nil, and empty slices and maps are left out."""
    if isinstance(value, JSONList | JSONMap | OrderedProperties | GoSlice):
        return value.nil or len(value) == 0
    if isinstance(value, GoStruct):
        return False
    if value is None or value is False:
        return True
    if isinstance(value, int | float) and not isinstance(value, bool):
        return value == 0
    if isinstance(value, str | bytes | list | tuple | dict):
        return len(value) == 0
    return False


class JSONMap(dict[str, Any], GoValue):
    """A map whose ``String`` is its JSON (``templateArgs``, ``templateProperties``).

    ``nil_prints`` is what a nil map prints (``{}`` for properties); it marshals as null.
    """

    go_type = "map[string]interface {}"

    def __init__(self, items: Mapping[str, Any] | None, *, nil_prints: str = "{}") -> None:
        super().__init__(items or {})
        self.nil = items is None
        self.nil_prints = nil_prints

    def go_string(self, *, top: bool) -> str:
        return self.nil_prints if self.nil else marshal(dict(self))

    def __gojson__(self) -> str:
        return "null" if self.nil else marshal(dict(self))

    def go_field(self, name: str) -> Any:
        return self[name] if name in self else GoUndefined(name=name)


class OrderedProperties(dict[str, Any], GoValue):
    """``*ToolPropertiesMap``: JSON keeps insertion order; printing it writes an address."""

    go_type = "*api.ToolPropertiesMap"

    def __init__(self, items: Mapping[str, Any] | None) -> None:
        super().__init__(items or {})
        self.nil = items is None

    def go_string(self, *, top: bool) -> str:

        raise PrintError("printing nested tool properties (a Go pointer) writes a memory address")

    def __gojson__(self) -> str:
        if self.nil:
            return "null"
        return "{" + ",".join(f"{marshal(k)}:{marshal(v)}" for k, v in self.items()) + "}"

    def __bool__(self) -> bool:
        return not self.nil


class JSONList(list[Any], GoValue):
    """A slice whose ``String`` is its JSON (``templateTools``); nil prints ``null``."""

    go_type = "[]api.Tool"

    def __init__(self, items: list[Any] | None) -> None:
        super().__init__(items or [])
        self.nil = items is None

    def go_string(self, *, top: bool) -> str:
        return self.__gojson__()

    def __gojson__(self) -> str:
        return "null" if self.nil else "[" + ",".join(marshal(t) for t in self) + "]"


class GoSlice(list[Any], GoValue):
    """A Go slice that remembers being nil: prints ``[]`` either way, marshals ``null`` when nil."""

    go_type = "[]interface {}"

    def __init__(self, items: list[Any] | None) -> None:
        super().__init__(items or [])
        self.nil = items is None

    def go_string(self, *, top: bool) -> str:

        return "[" + " ".join(sprint_value(item, top=False) for item in self) + "]"

    def __gojson__(self) -> str:
        return "null" if self.nil else marshal(list(self))


class PropertyType(list[str], GoValue):
    """``api.PropertyType``: one type prints bare and marshals as a string."""

    go_type = "api.PropertyType"

    def go_string(self, *, top: bool) -> str:
        return self[0] if len(self) == 1 else "[" + " ".join(self) + "]"

    def __gojson__(self) -> str:
        return marshal(self[0]) if len(self) == 1 else marshal(list(self))


class GoPointerList(list[Any], GoValue):
    """``[]*T``: ranging and indexing work; printing it writes memory addresses."""

    go_type = "[]*template.Message"

    def go_string(self, *, top: bool) -> str:

        raise PrintError("printing .Messages writes Go memory addresses; print fields such as .Content instead")

    def __gojson__(self) -> str:
        return "[" + ",".join(marshal(m) for m in self) + "]"


# ---- from Ollama's API JSON -------------------------------------------------------------

MESSAGE_FIELDS = tuple(
    FieldSpec(n) for n in ("Role", "Content", "Thinking", "Images", "ToolCalls", "ToolName", "ToolCallID")
)
TOOL_CALL_FIELDS = (FieldSpec("ID"), FieldSpec("Function"))
CALL_FUNCTION_FIELDS = (FieldSpec("Index"), FieldSpec("Name"), FieldSpec("Arguments"))
TOOL_FIELDS = (FieldSpec("Type", "type"), FieldSpec("Items", "items", True), FieldSpec("Function", "function"))
FUNCTION_FIELDS = (
    FieldSpec("Name", "name"),
    FieldSpec("Description", "description"),
    FieldSpec("Parameters", "parameters"),
)
PARAMETERS_FIELDS = (
    FieldSpec("Type", "type"),
    FieldSpec("Defs", "$defs", True),
    FieldSpec("Items", "items", True),
    FieldSpec("Required", "required", True),
    FieldSpec("Properties", "properties"),
)
PROPERTY_FIELDS = (
    FieldSpec("AnyOf", "anyOf", True),
    FieldSpec("Type", "type", True),
    FieldSpec("Items", "items", True),
    FieldSpec("Description", "description", True),
    FieldSpec("Enum", "enum", True),
    FieldSpec("Properties", "properties", True),
    FieldSpec("Required", "required", True),
)


def go_any(value: Any) -> Any:
    """A JSON value as Go's ``any`` holds it: numbers are float64."""
    if isinstance(value, bool) or value is None or isinstance(value, str):
        return value
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, list):
        return [go_any(v) for v in value]
    if isinstance(value, dict):
        return {k: go_any(v) for k, v in value.items()}
    return value


def message(data: Mapping[str, Any]) -> GoStruct:
    raw_images, raw_calls = data.get("images"), data.get("tool_calls")
    images = GoSlice(None if raw_images is None else [_image(i) for i in raw_images])
    calls = GoSlice(None if raw_calls is None else [tool_call(c) for c in raw_calls])
    return GoStruct(
        "template.Message",
        MESSAGE_FIELDS,
        {
            "Role": str(data.get("role", "")).lower(),
            "Content": data.get("content", "") or "",
            "Thinking": data.get("thinking", "") or "",
            "Images": images,
            "ToolCalls": calls,
            "ToolName": data.get("tool_name", "") or "",
            "ToolCallID": data.get("tool_call_id", "") or "",
        },
        pointer=True,
    )


def _image(data: Any) -> bytes:
    return base64.b64decode(data) if isinstance(data, str) else bytes(data)


def tool_call(data: Mapping[str, Any]) -> GoStruct:
    function = data.get("function") or {}
    arguments = function.get("arguments")
    values = {
        "Index": int(function.get("index", 0) or 0),
        "Name": function.get("name", "") or "",
        "Arguments": JSONMap(go_any(arguments) if isinstance(arguments, dict) else {}),
    }
    call_function = GoStruct("api.ToolCallFunction", CALL_FUNCTION_FIELDS, values)
    return GoStruct("api.ToolCall", TOOL_CALL_FIELDS, {"ID": data.get("id", "") or "", "Function": call_function})


def tools(data: list[Any] | None) -> JSONList:
    return JSONList(None if data is None else [tool(t) for t in data])


def tool(data: Mapping[str, Any]) -> GoStruct:
    function = data.get("function") or {}
    parameters = function.get("parameters") or {}
    properties = parameters.get("properties")
    params = GoStruct(
        "api.ToolFunctionParameters",
        PARAMETERS_FIELDS,
        {
            "Type": parameters.get("type", "") or "",
            "Defs": go_any(parameters.get("$defs")),
            "Items": go_any(parameters.get("items")),
            "Required": list(parameters.get("required") or []),
            "Properties": JSONMap(
                None if properties is None else {k: tool_property(v) for k, v in properties.items()}, nil_prints="{}"
            ),
        },
    )
    func = GoStruct(
        "api.ToolFunction",
        FUNCTION_FIELDS,
        {
            "Name": function.get("name", "") or "",
            "Description": function.get("description", "") or "",
            "Parameters": params,
        },
    )
    return GoStruct(
        "api.Tool",
        TOOL_FIELDS,
        {"Type": data.get("type", "") or "", "Items": go_any(data.get("items")), "Function": func},
        stringer=lambda struct: struct.__gojson__(),
    )


def tool_property(data: Mapping[str, Any]) -> GoStruct:
    kind = data.get("type")
    kinds = PropertyType([kind] if isinstance(kind, str) else list(kind or []))
    nested = data.get("properties")
    return GoStruct(
        "api.ToolProperty",
        PROPERTY_FIELDS,
        {
            "AnyOf": [tool_property(p) for p in data.get("anyOf") or []],
            "Type": kinds,
            "Items": go_any(data.get("items")),
            "Description": data.get("description", "") or "",
            "Enum": go_any(list(data.get("enum") or [])),
            "Properties": OrderedProperties(
                None if nested is None else {k: tool_property(v) for k, v in nested.items()}
            ),
            "Required": list(data.get("required") or []),
        },
    )


def collate(messages: list[GoStruct]) -> tuple[str, list[GoStruct]]:
    """Ollama's ``collate``: all system contents joined, consecutive same-role messages
    merged (content only; not ``tool``)."""
    system = [m.values["Content"] for m in messages if m.values["Role"] == "system"]
    collated: list[GoStruct] = []
    for current in messages:
        if collated and collated[-1].values["Role"] == current.values["Role"] and current.values["Role"] != "tool":
            collated[-1].values["Content"] += "\n\n" + current.values["Content"]
        else:
            collated.append(current)
    return "\n\n".join(system), collated
