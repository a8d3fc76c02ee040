"""The JSON Schema of a request body, made from the ``Shape`` the route validates it
with (``builder.serve.decoding``), so that the document cannot drift from the checks.

Each field of the shape becomes a property of its JSON type; as the server reads it,
every field may also be ``null`` (left at its zero value) and unknown fields are
ignored (no ``additionalProperties: false``).  A field the shape accepts as any JSON
value (``object``: ``format``, ``keep_alive``, ``think``, ``input``) or whose items the
route checks itself gets its precise schema from ``refine``, which may narrow a
field's type but never name one the shape does not accept.

>>> from builder.serve.decoding import COPY
>>> shape_schema(COPY)["properties"]["source"]
{'type': ['string', 'null']}
>>> from builder.serve.decoding import CREATE
>>> shape_schema(CREATE)["properties"]["license"]["type"]
['string', 'array', 'null']
>>> from builder.serve.decoding import GENERATE
>>> shape_schema(GENERATE)["properties"]["context"]["items"]["type"]
['integer', 'null']
"""

from __future__ import annotations

from typing import Any

from builder.serve.decoding import Shape

Schema = dict[str, Any]

#: A shape's Python type → its JSON Schema type.
JSON_TYPES: dict[type, str] = {str: "string", bool: "boolean", int: "integer", dict: "object", list: "array"}


#: The range of Go's ``int``, which a field of that type takes (a larger number is a 400).
GO_INT: Schema = {"minimum": -(2**63), "maximum": 2**63 - 1}


def json_types(kind: type | tuple[type, ...]) -> list[str]:
    """The JSON types a shape's field accepts (all of them for ``object``).

    >>> json_types(int), json_types((str, list)), len(json_types(object))
    (['integer'], ['string', 'array'], 6)
    """
    if kind is object:
        return ["string", "number", "integer", "boolean", "object", "array"]
    kinds = kind if isinstance(kind, tuple) else (kind,)
    return [JSON_TYPES[one] for one in kinds]


def declared_types(schema: Schema) -> set[str] | None:
    """The JSON types a schema names at its top level (through ``anyOf``/``oneOf`` and
    ``enum``/``const``); None where a ``$ref`` or an untyped branch leaves it open.

    >>> sorted(declared_types({"oneOf": [{"enum": ["json", ""]}, {"type": "object"}]}))
    ['object', 'string']
    """
    if "type" in schema:
        kind = schema["type"]
        return set(kind) if isinstance(kind, list) else {kind}
    branches = schema.get("anyOf") or schema.get("oneOf")
    if branches:
        found: set[str] = set()
        for branch in branches:
            types = declared_types(branch)
            if types is None:
                return None
            found |= types
        return found
    values = schema.get("enum", [schema["const"]] if "const" in schema else None)
    if values is None:
        return None
    names = {bool: "boolean", str: "string", int: "integer", float: "number", type(None): "null"}
    return {names.get(type(value), "object") for value in values}


def nullable(schema: Schema) -> Schema:
    """``schema`` that also accepts ``null``.

    >>> nullable({"type": "string"}), nullable({"$ref": "#/x"})
    ({'type': ['string', 'null']}, {'anyOf': [{'$ref': '#/x'}, {'type': 'null'}]})
    """
    kind = schema.get("type")
    plain = {"type", "items", "description", "properties", "additionalProperties", "minimum", "maximum"}
    if isinstance(kind, str) and set(schema) <= plain:
        return {**schema, "type": [kind, "null"]}
    if isinstance(kind, list) and set(schema) <= {"type", "items", "description"}:
        return {**schema, "type": [*kind, *([] if "null" in kind else ["null"])]}
    return {"anyOf": [schema, {"type": "null"}]}


def shape_schema(
    shape: Shape, *, refine: dict[str, Schema] | None = None, required: tuple[str, ...] = (), description: str = ""
) -> Schema:
    """The object schema of request bodies ``shape`` reads.  ``required`` names fields
    without which the route answers an error (documented, not enforced by the shape)."""
    refined = refine or {}
    unknown = set(refined) - set(shape.fields)
    if unknown:
        raise ValueError(f"{shape.name}: refine names fields the shape does not read: {sorted(unknown)}")
    properties: dict[str, Schema] = {}
    for name, kind in shape.fields.items():
        base = refined.get(name)
        named = None if base is None else declared_types(base)
        if named is not None and not named <= {*json_types(kind), "null"}:
            raise ValueError(f"{shape.name}.{name}: refined as {sorted(named)}, the shape reads {json_types(kind)}")
        if base is None:
            types = json_types(kind)
            base = {"type": types[0] if len(types) == 1 else types, **(GO_INT if kind is int else {})}
            if name in shape.items:
                item = shape.items[name][0]
                base["items"] = nullable({"type": JSON_TYPES[item], **(GO_INT if item is int else {})})
        properties[name] = nullable(base)
    schema: Schema = {"type": "object", "title": shape.name, "properties": properties}
    if description:
        schema["description"] = description
    if required:
        schema["required"] = list(required)
    return schema
