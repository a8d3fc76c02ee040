"""Translated templates are data to Jinja, never code: text and strings that look like
Jinja print literally, Go fields never reach Python attributes, and the Jinja emitted
compiles in a plain ``ImmutableSandboxedEnvironment`` (no extensions) with the runtime
functions registered."""

from __future__ import annotations

import pytest
from jinja2 import meta
from jinja2.exceptions import SecurityError
from jinja2.sandbox import ImmutableSandboxedEnvironment

from modelfile import template
from modelfile.template.environment import environment
from modelfile.template.named import index
from modelfile.template.runtime import GLOBALS

PAYLOAD = "{{ ''.__class__.__mro__[1].__subclasses__() }}{% for c in [].__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}"
MESSAGES = {"messages": [{"role": "user", "content": "hi"}]}


def test_jinja_in_template_text_is_printed_not_run() -> None:
    text = "{% for c in [].__class__.__base__.__subclasses__() %}{# c #}{%- endfor %}"
    out = template.render(text + "{{ range .Messages }}{{ .Content }}{{ end }}", MESSAGES)
    assert out == text + "hi"


def test_jinja_in_go_strings_and_messages_is_printed_not_run() -> None:
    go = "{{ " + '"' + PAYLOAD.replace('"', '\\"') + '"' + " }}{{ range .Messages }}{{ .Content }}{{ end }}"
    values = {"messages": [{"role": "user", "content": PAYLOAD}]}
    assert template.render(go, values) == PAYLOAD + PAYLOAD


def test_go_fields_are_not_python_attributes() -> None:
    assert template.render("{{ .__class__ }}{{ .Messages | len }}", MESSAGES) == "<no value>1"
    with pytest.raises(template.TemplateExecutionError, match="can't evaluate field __class__"):
        template.render("{{ range .Messages }}{{ .__class__ }}{{ end }}", MESSAGES)


def test_the_sandbox_itself_refuses_an_escape() -> None:
    with pytest.raises(SecurityError):
        environment().from_string("{{ ''.__class__.__mro__[1].__subclasses__() }}").render()


LOOP_CONTROL = "{{ range $i, $m := .Messages }}{{ if $i }}{{ break }}{{ end }}{{ continue }}{{ end }}"


def _templates() -> list[str]:
    return [t.template for t in index()] + [LOOP_CONTROL]


@pytest.mark.parametrize("go", _templates())
def test_translation_compiles_in_a_plain_sandbox(go: str) -> None:
    """It compiles with no extension, and reaches nothing but the registered runtime
    functions and ``_root`` (the template's data, Go's ``$``)."""
    plain = ImmutableSandboxedEnvironment()
    plain.globals.update(GLOBALS)
    jinja = template.translate(go)
    plain.from_string(jinja)
    assert meta.find_undeclared_variables(plain.parse(jinja)) - set(GLOBALS) <= {"_root"}
