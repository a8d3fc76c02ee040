"""Ollama's template tests (``../shared/vectors/templates/cases.json``): every rendering
case byte for byte through ``render``, in Jinja's default environment and in the
transformers/llama-cpp-python one (``trim_blocks``, ``lstrip_blocks``); parse errors;
``Vars()``; ``Named()``; ``collate``."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from jinja2.sandbox import ImmutableSandboxedEnvironment
from vectors import params

from modelfile import template
from modelfile.errors import TemplateError
from modelfile.go.value import GoUndefined
from modelfile.template import environment
from modelfile.template.runtime import GLOBALS
from modelfile.template.values import collate, message

RENDERED = {
    "TestTemplate",
    "TestExecuteWithMessages",
    "TestExecuteWithSuffix",
    "TestDateFunctions",
    "TestTemplateArgumentsJSON",
    "TestTemplatePropertiesJSON",
    "TestTemplateArgumentsRange",
    "TestTemplatePropertiesRange",
}


def cases(*sources: str) -> list[Any]:
    return params("templates/cases.json", lambda c: c["source"] in sources, ident=lambda c: c["id"])


@pytest.fixture(params=["default", "transformers"])
def jinja_settings(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    if request.param == "transformers":
        env = ImmutableSandboxedEnvironment(
            undefined=GoUndefined, trim_blocks=True, lstrip_blocks=True, extensions=["jinja2.ext.loopcontrols"]
        )
        env.globals.update(GLOBALS)
        monkeypatch.setattr(environment, "environment", lambda: env)
    environment.compile_jinja.cache_clear()
    yield request.param
    environment.compile_jinja.cache_clear()


@pytest.mark.parametrize("case", cases(*RENDERED))
def test_render_like_ollama(case: dict[str, Any], jinja_settings: str) -> None:
    got = template.render(case["template"], case["input"])
    if case.get("expected") is not None:
        assert got == case["expected"]
    else:
        assert re.fullmatch(case["expected_regex"], got), got


@pytest.mark.parametrize("case", cases("TestParseError"))
def test_parse_errors(case: dict[str, Any]) -> None:
    with pytest.raises(TemplateError) as caught:
        template.translate(case["template"])
    assert case["expected_error"].lower() in str(caught.value).lower()


@pytest.mark.parametrize("case", cases("TestParse"))
def test_vars(case: dict[str, Any]) -> None:
    assert list(template.translate_template(case["template"]).variables) == case["expected_vars"]


@pytest.mark.parametrize("case", cases("TestNamed"))
def test_named(case: dict[str, Any]) -> None:
    name = template.match_jinja(case["input"]["jinja_chat_template"])
    assert name == case["expected_name"]
    found = template.match_named(case["input"]["jinja_chat_template"])
    assert found is not None
    template.translate(found.template)  # the chosen template parses and translates


@pytest.mark.parametrize("case", cases("TestCollate"))
def test_collate(case: dict[str, Any]) -> None:
    system, collated = collate([message(m) for m in case["input"]["messages"]])
    expected = case["expected_collated"]
    assert system == expected["system"]
    got = [{"role": m.values["Role"], "content": m.values["Content"]} for m in collated]
    want = [{"role": m["role"], "content": m["content"]} for m in expected["messages"]]
    assert got == want
