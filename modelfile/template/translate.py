"""Go template -> one Jinja2 source, with what the renderer needs to know about it.

Templates that use ``.Messages`` become one Jinja body.  Legacy templates (``.System``,
``.Prompt``, ``.Response``) become two macros, ``_turn`` (the whole template, as Ollama
renders each earlier turn) and ``_final`` (the tree cut after the first ``.Response``,
without Ollama's functions, as Ollama renders the last turn), and a loop over the
``_turns`` that the renderer computes; given a single ``_root`` instead (the suffix
path), the whole template runs once.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import lru_cache

from modelfile.template.jinja import JinjaEmitter, Scope, quote_jinja
from modelfile.template.ollama import CutPanic, cut_after_response, vars_of, with_response
from modelfile.template.parser import ParsedTemplate, parse_template

_PANIC = (
    "interface conversion: parse.Node is nil, not *parse.ListNode (Ollama panics cutting this template after .Response)"
)


@dataclass(frozen=True)
class Translation:
    """A translated template."""

    go: str
    jinja: str
    variables: tuple[str, ...]  # Ollama's Vars()
    parsed: ParsedTemplate

    @property
    def uses_messages(self) -> bool:
        """Ollama's choice of data path: the messages path, or the legacy turn loop."""
        return "messages" in self.variables


#: Translation targets: ``mfc`` runs in mfc's renderer (``environment``), with Go's
#: runtime functions and every construct; ``hf`` is a self-contained Hugging Face
#: ``chat_template`` (``hf``), refused when the template needs more than plain Jinja.
TARGETS = ("mfc", "hf")


@lru_cache(maxsize=256)
def translate_template(go: str, target: str = "mfc") -> Translation:
    """Translate Go template text for ``target`` (one of ``TARGETS``); raise
    ``TemplateError`` where it does not parse, ``UnsupportedTemplateError`` where the
    target cannot express it."""
    if target not in TARGETS:
        raise ValueError(f"unknown translation target {target!r}: expected one of {', '.join(TARGETS)}")
    if target == "hf":
        from modelfile.template.hf import translate_hf

        mfc = translate_template(go)
        return replace(mfc, jinja=translate_hf(mfc.parsed, mfc.variables))
    parsed = parse_template(go)
    variables = vars_of(parsed)
    root = with_response(parsed, variables)
    if root is not parsed.root:  # Ollama's Vars() runs after Parse appended {{ .Response }}
        variables = sorted({*variables, "response"})
    emitter = JinjaEmitter(parsed)
    scope = Scope("_root", {})
    if "messages" in variables:
        jinja = emitter.body(root, scope)
    else:
        whole = emitter.body(root, scope, last=False)
        try:
            final = emitter.body(cut_after_response(root), Scope("_root", {}, functions=False), last=False)
        except CutPanic:
            final = "{{ _fail(" + quote_jinja(_PANIC) + ") }}"
        jinja = (
            "{% macro _turn(_root) %}" + whole + "{% endmacro %}"
            "{% macro _final(_root) %}" + final + "{% endmacro %}"
            "{% if _turns is defined %}{% for _t in _turns %}{% if loop.last %}{{ _final(_t) }}"
            "{% else %}{{ _turn(_t) }}{% endif %}{% endfor %}{% else %}{{ _turn(_root) }}{% endif %}"
        )
    return Translation(go, jinja, tuple(variables), parsed)
