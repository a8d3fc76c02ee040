"""Bytes to text, exactly as Ollama's Modelfile reader decodes them.

Ollama reads a Modelfile through ``unicode.BOMOverride(unicode.UTF8.NewDecoder())``
from ``golang.org/x/text``:

* ``EF BB BF`` at the start is dropped and the rest is UTF-8;
* ``FF FE`` / ``FE FF`` switch to UTF-16 little / big endian (the BOM is dropped);
* anything else is UTF-8.

Only one leading BOM is removed.  Ill-formed UTF-8 becomes U+FFFD once per maximal
ill-formed subpart, which is also what Python's ``"replace"`` handler does.  The
UTF-16 decoder differs from Python's in one corner: a trailing surrogate followed by
another trailing surrogate becomes a single U+FFFD, so UTF-16 is decoded here.
"""

from __future__ import annotations

import re

_UTF8_BOM = b"\xef\xbb\xbf"
_UTF16_LE_BOM = b"\xff\xfe"
_UTF16_BE_BOM = b"\xfe\xff"

# After a "surrogatepass" decode, well-formed pairs are already combined; what is left
# is lone surrogates.  x/text joins a trailing surrogate and the trailing surrogate
# after it into one replacement character; every other lone surrogate is one.
_LONE_SURROGATES = re.compile("[\udc00-\udfff]{2}|[\ud800-\udfff]")


def decode(data: bytes) -> str:
    """Decode a Modelfile's bytes the way Ollama does."""
    if data.startswith(_UTF8_BOM):
        return data[3:].decode("utf-8", "replace")
    if data.startswith(_UTF16_LE_BOM):
        return _decode_utf16(data[2:], "utf-16-le")
    if data.startswith(_UTF16_BE_BOM):
        return _decode_utf16(data[2:], "utf-16-be")
    return data.decode("utf-8", "replace")


def _decode_utf16(data: bytes, codec: str) -> str:
    odd = len(data) % 2
    text = data[: len(data) - odd].decode(codec, "surrogatepass")
    text = _LONE_SURROGATES.sub("\ufffd", text)
    return text + "\ufffd" * odd


def encoding_of(data: bytes) -> str:
    """The encoding Ollama reads ``data`` in: ``utf-8``, ``utf-8-sig``, ``utf-16-le``/``-be`` (with BOM)."""
    if data.startswith(_UTF8_BOM):
        return "utf-8-sig"
    if data.startswith(_UTF16_LE_BOM):
        return "utf-16-le"
    if data.startswith(_UTF16_BE_BOM):
        return "utf-16-be"
    return "utf-8"


def encode(text: str, encoding: str) -> bytes:
    """Text back to bytes in the encoding (and with the BOM) it was read in."""
    if encoding == "utf-16-le":
        return _UTF16_LE_BOM + text.encode("utf-16-le")
    if encoding == "utf-16-be":
        return _UTF16_BE_BOM + text.encode("utf-16-be")
    return text.encode(encoding)


def round_trips(data: bytes) -> bool:
    """True when ``data`` decodes without replacement, so it can be rewritten losslessly."""
    return encode(decode(data), encoding_of(data)) == data


def text_from_str(source: str) -> str:
    """Text given as ``str`` is read as the UTF-8 file it stands for."""
    if source.isascii():
        return source
    return decode(source.encode("utf-8", "surrogatepass"))
