"""``golang.org/x/mod/semver.IsValid``, which ``ollama create`` applies to REQUIRES.

Ollama prefixes ``v`` when it is missing, then asks ``semver.IsValid``: ``v1`` and
``v1.2`` are valid shorthands, a pre-release or build suffix needs all three numbers,
numbers have no leading zeros, and identifiers are ASCII letters, digits and ``-``.
"""

from __future__ import annotations

import re

_NUMBER = r"(?:0|[1-9][0-9]*)"
_IDENT = r"[0-9A-Za-z-]+"
_VERSION = re.compile(
    rf"v{_NUMBER}(?:\.{_NUMBER}(?:\.{_NUMBER}(?:-(?P<pre>{_IDENT}(?:\.{_IDENT})*))?(?:\+{_IDENT}(?:\.{_IDENT})*)?)?)?\Z"
)


def is_valid(version: str) -> bool:
    """``semver.IsValid(version)`` (the ``v`` prefix is required, as in Go)."""
    match = _VERSION.match(version)
    if match is None:
        return False
    pre = match.group("pre")
    return pre is None or not any(_bad_number(part) for part in pre.split("."))


def _bad_number(part: str) -> bool:
    return part.isdigit() and len(part) > 1 and part.startswith("0")


def ollama_requires_valid(value: str) -> bool:
    """What ``ollama create`` accepts after ``REQUIRES``."""
    return is_valid(value if value.startswith("v") else "v" + value)
