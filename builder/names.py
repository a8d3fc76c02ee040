"""Ollama model names: ``[[scheme://]host/][namespace/]model[:tag]``.

Parsed as Ollama's ``ParseNameBare`` does (``types/model/name.go``): the tag is cut at
the last ``:`` when it comes after the last ``/``, then model, namespace and host are
cut at the last ``/`` each; an empty side of a separator is invalid.  Defaults fill
in ``registry.ollama.ai``, ``library`` and ``latest``.  A name is usable only when all
four parts are valid; the manifest lives at ``manifests/<host>/<namespace>/<model>/<tag>``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from builder.errors import ModelNameError

DEFAULT_HOST = "registry.ollama.ai"
DEFAULT_NAMESPACE = "library"
DEFAULT_TAG = "latest"
_MISSING = "!MISSING!"

# part: (first character, other characters, longest)
_RULES = {
    "host": (r"[A-Za-z0-9_]", r"[A-Za-z0-9_.:-]", 350),
    "namespace": (r"[A-Za-z0-9_]", r"[A-Za-z0-9_-]", 80),
    "model": (r"[A-Za-z0-9_]", r"[A-Za-z0-9_.-]", 80),
    "tag": (r"[A-Za-z0-9_]", r"[A-Za-z0-9_.-]", 80),
}
_PATTERNS = {part: re.compile(f"{first}{rest}*\\Z") for part, (first, rest, _) in _RULES.items()}


@dataclass(frozen=True)
class ModelName:
    host: str
    namespace: str
    model: str
    tag: str
    scheme: str = "https"

    def __str__(self) -> str:
        return f"{self.host}/{self.namespace}/{self.model}:{self.tag}"

    @property
    def parts(self) -> tuple[str, str, str, str]:
        return (self.host, self.namespace, self.model, self.tag)

    def display(self) -> str:
        """Ollama's ``DisplayShortest``: default host and namespace left out."""
        defaults = (DEFAULT_HOST, DEFAULT_NAMESPACE)
        parts = list(self.parts[:3])
        for i, default in enumerate(defaults):
            if parts[i].lower() != default:
                break
            parts[i] = ""
        prefix = "/".join(p for p in parts[:2] if p)
        return f"{prefix + '/' if prefix else ''}{parts[2]}:{self.tag}"

    def equal_fold(self, other: ModelName) -> bool:
        return [p.lower() for p in self.parts] == [p.lower() for p in other.parts]


def _cut_last(text: str, sep: str) -> tuple[str, str, bool]:
    at = text.rfind(sep)
    if at < 0:
        return text, "", False
    before, after = text[:at], text[at + len(sep) :]
    return before or _MISSING, after or _MISSING, True


def parse_bare(text: str) -> dict[str, str]:
    """The parts as written (empty when absent)."""
    parts = {"host": "", "namespace": "", "model": "", "tag": "", "scheme": ""}
    if text.rfind(":") > text.rfind("/"):
        text, parts["tag"], _ = _cut_last(text, ":")
    text, parts["model"], found = _cut_last(text, "/")
    if not found:
        parts["model"] = text
        return parts
    text, parts["namespace"], found = _cut_last(text, "/")
    if not found:
        parts["namespace"] = text
        return parts
    scheme, sep, host = text.partition("://")
    parts["host"], parts["scheme"] = (host, scheme) if sep else (text, "")
    return parts


def parse_name(text: str) -> ModelName:
    """A fully qualified model name, or ``ModelNameError`` saying what is wrong."""
    problem = name_problem(text)
    if problem:
        raise ModelNameError(f"invalid model name {text!r}: {problem}")
    return ModelName(**_filled(parse_bare(text)))


def without_cloud_suffix(text: str) -> str:
    """``name:tag:cloud`` as the model it stands for in a store, ``name:tag-cloud``
    (Ollama's normalisation for delete and pull); any other name unchanged.

    >>> without_cloud_suffix("gpt-oss:20b:cloud"), without_cloud_suffix("gpt-oss:cloud")
    ('gpt-oss:20b-cloud', 'gpt-oss:cloud')
    """
    base, _, suffix = text.rpartition(":")
    if suffix == "cloud" and ":" in base[base.rfind("/") + 1 :]:
        return f"{base}-cloud"
    return text


def name_problem(text: str) -> str | None:
    """What makes ``text`` an invalid model name (``None`` for a valid one), naming the
    part at fault only where it is not the whole name.

    >>> name_problem("a:b:c")
    "2 ':' after the last '/', where one at most may be (before the tag)"
    >>> name_problem("bad name!"), name_problem("me/assistant:v1")
    ('it may contain only letters, digits, _ . -', None)
    """
    colons = text.count(":", text.rfind("/") + 1)
    if colons > 1:
        return f"{colons} ':' after the last '/', where one at most may be (before the tag)"
    for part, value in _filled(parse_bare(text)).items():
        if part != "scheme":
            problem = _problem(part, value)
            if problem:
                return problem.replace(f"the {part} {value!r}", "it") if value == text else problem
    return None


def _filled(parts: dict[str, str]) -> dict[str, str]:
    return {
        "host": parts["host"] or DEFAULT_HOST,
        "namespace": parts["namespace"] or DEFAULT_NAMESPACE,
        "model": parts["model"],
        "tag": parts["tag"] or DEFAULT_TAG,
        "scheme": parts["scheme"] or "https",
    }


_ALLOWED = {"host": "letters, digits, _ . : -", "namespace": "letters, digits, _ -"}


def _problem(part: str, value: str) -> str | None:
    if value == _MISSING or value == "":
        return f"the {part} is empty"
    first, _, longest = _RULES[part]
    if len(value) > longest:
        return f"the {part} is longer than {longest} characters"
    if not re.match(first, value):
        return f"the {part} {value!r} must start with a letter, digit or _"
    if not _PATTERNS[part].match(value):
        allowed = _ALLOWED.get(part, "letters, digits, _ . -")
        return f"the {part} {value!r} may contain only {allowed}"
    return None
