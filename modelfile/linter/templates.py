"""The last TEMPLATE of a Modelfile (the one Ollama uses), parsed and translated once
per lint run for the MF4xx rules."""

from __future__ import annotations

from dataclasses import dataclass

from modelfile.errors import TemplateError, UnsupportedTemplateError
from modelfile.ir import Template
from modelfile.linter.rule import LintContext
from modelfile.source import Position, Span
from modelfile.template.locate import value_position
from modelfile.template.parser import ParsedTemplate, parse_template
from modelfile.template.translate import Translation, translate_template


@dataclass(frozen=True)
class TemplateAnalysis:
    command: Template
    parsed: ParsedTemplate | None = None
    translation: Translation | None = None
    syntax_error: TemplateError | None = None
    unsupported: UnsupportedTemplateError | None = None


def analysis(ctx: LintContext) -> TemplateAnalysis | None:
    templates = ctx.modelfile.of_type(Template)
    if not templates:
        return None
    command = templates[-1]
    if command.value.text == "":
        return None  # Ollama treats an empty TEMPLATE as unset (MF302)
    result: TemplateAnalysis = ctx.memo("template", lambda: _analyse(command))
    return result


def _analyse(command: Template) -> TemplateAnalysis:
    try:
        parsed = parse_template(command.value.text)
    except TemplateError as error:
        return TemplateAnalysis(command, syntax_error=error)
    try:
        translation = translate_template(command.value.text)
    except UnsupportedTemplateError as error:
        return TemplateAnalysis(command, parsed, unsupported=error)
    except TemplateError as error:  # Ollama's own Vars() refuses it
        return TemplateAnalysis(command, parsed, syntax_error=error)
    return TemplateAnalysis(command, parsed, translation)


def span_in_template(ctx: LintContext, command: Template, line: int, column: int, length: int = 1) -> Span:
    """A span at line/column of a TEMPLATE's text, in Modelfile coordinates."""
    start: Position = value_position(ctx.source, command, line, column)
    end = ctx.source.position(start.offset + max(1, length))
    return Span(start, end)
