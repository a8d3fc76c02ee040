"""The Jinja environment translated templates run in: sandboxed, immutable, with Go's
undefined value and the runtime functions, and nothing else (no extensions: break and
continue are translated without ``loopcontrols``)."""

from __future__ import annotations

from functools import lru_cache

from jinja2 import Template
from jinja2.sandbox import ImmutableSandboxedEnvironment

from modelfile.go.value import GoUndefined
from modelfile.template.runtime import GLOBALS


def new_environment() -> ImmutableSandboxedEnvironment:
    env = ImmutableSandboxedEnvironment(undefined=GoUndefined, autoescape=False)
    env.globals.update(GLOBALS)
    return env


@lru_cache(maxsize=1)
def environment() -> ImmutableSandboxedEnvironment:
    return new_environment()


@lru_cache(maxsize=256)
def compile_jinja(source: str) -> Template:
    return environment().from_string(source)
