"""Stop strings a chat template suggests: the special tokens of its literal text
(``<|eot_id|>``, ``<end_of_turn>``, ``[/INST]`` …), turn ends first."""

from __future__ import annotations

import re

_ACTION = re.compile(r"\{\{.*?\}\}", re.S)
_TOKEN = re.compile(r"<\|[^|<>\s]{1,40}\|>|</?[A-Za-z_][A-Za-z0-9_:|-]{0,38}>|\[/?[A-Z_]{2,20}\]")
_ENDING = re.compile(r"end|eot|eos|/|stop", re.I)


def stop_candidates(template: str) -> list[str]:
    """Special tokens of ``template``'s literal text, ending ones first, each once.

    >>> stop_candidates("{{ range .Messages }}<|start_header_id|>{{ .Role }}<|end_header_id|>"
    ...                 "{{ .Content }}<|eot_id|>{{ end }}")
    ['<|end_header_id|>', '<|eot_id|>', '<|start_header_id|>']
    """
    literal = _ACTION.sub(" ", template)
    found = list(dict.fromkeys(_TOKEN.findall(literal)))
    return sorted(found, key=lambda token: 0 if _ENDING.search(token) else 1)
