"""The ``WWW-Authenticate`` header of a registry's ``401`` (RFC 7235): the scheme and
its parameters, quoted values unescaped.

>>> challenge = parse_challenge('Bearer realm="https://auth.example/token",service="reg",scope="repository:a/b:pull"')
>>> challenge.scheme, challenge.params
('bearer', {'realm': 'https://auth.example/token', 'service': 'reg', 'scope': 'repository:a/b:pull'})
>>> parse_challenge('Basic realm="basic-realm"').scheme
'basic'
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_PARAM = re.compile(r'\s*([!#$%&\'*+.^_`|~0-9A-Za-z-]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,\s]*)\s*(?:,|$)')


@dataclass(frozen=True)
class Challenge:
    """``scheme`` in lower case (``basic``, ``bearer``) and the parameters."""

    scheme: str
    params: dict[str, str] = field(default_factory=dict)


def parse_challenge(header: str) -> Challenge:
    """The first challenge of ``header`` (registries send one)."""
    scheme, _, rest = header.strip().partition(" ")
    params: dict[str, str] = {}
    position = 0
    while position < len(rest):
        match = _PARAM.match(rest, position)
        if match is None or match.end() == position:
            break
        key, value = match.group(1).lower(), match.group(2)
        if value.startswith('"'):
            value = re.sub(r"\\(.)", r"\1", value[1:-1])
        params[key] = value
        position = match.end()
    return Challenge(scheme.lower(), params)
