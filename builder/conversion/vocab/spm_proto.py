"""The one SentencePiece setting the processor API does not expose: whether the model
adds a dummy prefix space (``NormalizerSpec.add_dummy_prefix``, default true).

Read straight from the protobuf wire format (``ModelProto`` field 3 is the normalizer
spec; its field 3 is the flag) rather than through the ``protobuf`` package, which
sentencepiece's generated module would otherwise need.
"""

from __future__ import annotations

from builder.errors import ConvertError


def add_dummy_prefix(model: bytes, where: str) -> bool:
    spec = _field(model, 3, where)
    if not isinstance(spec, bytes):
        return True
    flag = _field(spec, 3, where)
    return True if flag is None else bool(flag)


def _field(data: bytes, number: int, where: str) -> bytes | int | None:
    """The last value of field ``number`` in a message (bytes for length-delimited, int for varint)."""
    found: bytes | int | None = None
    position = 0
    try:
        while position < len(data):
            key, position = _varint(data, position)
            field, wire = key >> 3, key & 7
            if wire == 0:
                value, position = _varint(data, position)
                if field == number:
                    found = value
            elif wire == 2:
                length, position = _varint(data, position)
                if field == number:
                    found = data[position : position + length]
                position += length
            elif wire == 5:
                position += 4
            elif wire == 1:
                position += 8
            else:
                raise ValueError(f"wire type {wire}")
    except (IndexError, ValueError) as error:
        raise ConvertError(f"{where}: not a SentencePiece model ({error})") from None
    return found


def _varint(data: bytes, position: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[position]
        position += 1
        value |= (byte & 0x7F) << shift
        if byte < 0x80:
            return value, position
        shift += 7
