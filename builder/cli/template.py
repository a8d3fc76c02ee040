"""``mfc template``: translate, render and check Go chat templates."""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass
from typing import Any

import click

from builder.cli.options import display_name, echo_json, json_option, read_argument
from modelfile import ModelfileError, parse
from modelfile.decoding import decode
from modelfile.errors import TemplateError
from modelfile.ir import Template
from modelfile.template import render, translate, translate_template
from modelfile.template.locate import value_position


@dataclass
class Loaded:
    """A template read from a file: the Go text, and where it lives for error messages."""

    text: str
    name: str
    position: Any  # (line, column) -> (line, column) in the file


def load(path: str) -> Loaded:
    """A template file, or the last TEMPLATE of a Modelfile."""
    data = read_argument(path, "FILE")
    name = display_name(path)
    try:
        modelfile = parse(data, path=name)
    except ModelfileError:
        modelfile = None
    if modelfile is not None and not modelfile.of_type(Template):
        raise click.UsageError(f"{name} is a Modelfile without a TEMPLATE")
    if modelfile is not None and modelfile.source is not None:
        templates = modelfile.of_type(Template)
        command, source = templates[-1], modelfile.source

        def where(line: int, column: int) -> tuple[int, int]:
            at = value_position(source, command, line, column)
            return at.line, at.column

        return Loaded(command.value.text, name, where)
    return Loaded(decode(data), name, lambda line, column: (line, column))


def fail(loaded: Loaded, error: TemplateError, as_json: bool) -> None:
    line, column = loaded.position(error.line, error.column)
    if as_json:
        echo_json(
            {
                "ok": False,
                "error": {
                    "path": loaded.name,
                    "line": line,
                    "column": column,
                    "code": error.code,
                    "message": error.message,
                    "hint": error.hint,
                },
            }
        )
    else:
        click.echo(f"{loaded.name}:{line}:{column}: {error.code} {error.message}", err=True)
        if error.hint:
            click.echo(f"  = help: {error.hint}", err=True)
    sys.exit(1)


@click.group("template")
def template_group() -> None:
    """Translate Ollama's Go chat templates to Jinja2 and render them like Ollama.

    FILE is a template file, or a Modelfile (its last TEMPLATE is used); - reads
    standard input.
    """


@template_group.command("translate")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@json_option
def translate_command(file: str, as_json: bool) -> None:
    """Print the Jinja2 equivalent of the Go template in FILE."""
    loaded = load(file)
    try:
        jinja = translate(loaded.text)
    except TemplateError as error:
        fail(loaded, error, as_json)
        return
    if as_json:
        echo_json({"ok": True, "jinja": jinja, "variables": list(translate_template(loaded.text).variables)})
    else:
        click.echo(jinja)


@template_group.command("render")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--values",
    "values_path",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="JSON with Ollama's API names: messages, tools, prompt, suffix, think, think_level, is_think_set.",
)
@json_option
def render_command(file: str, values_path: str, as_json: bool) -> None:
    """Print the prompt Ollama builds from the template in FILE and the values given, exactly."""
    loaded = load(file)
    try:
        values = json.loads(read_argument(values_path, "--values"))
    except ValueError as error:
        raise click.BadParameter(f"{values_path}: not readable JSON: {error}", param_hint="--values") from None
    if not isinstance(values, dict):
        raise click.BadParameter(f"{values_path}: expected a JSON object", param_hint="--values")
    try:
        prompt = render(loaded.text, values)
    except TemplateError as error:
        fail(loaded, error, as_json)
        return
    if as_json:
        echo_json({"ok": True, "prompt": prompt})
    else:
        click.echo(prompt, nl=False)


CONVERSATIONS: dict[str, dict[str, Any]] = {
    "user": {"messages": [{"role": "user", "content": "Hello!"}]},
    "system and turns": {
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Hi"},
            {"role": "assistant", "content": "Hello."},
            {"role": "user", "content": "How are you?"},
        ]
    },
    "tools": {
        "messages": [
            {"role": "user", "content": "Weather in Paris?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [{"function": {"index": 0, "name": "get_weather", "arguments": {"city": "Paris"}}}],
            },
            {"role": "tool", "content": "18 C", "tool_name": "get_weather"},
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Current weather",
                    "parameters": {
                        "type": "object",
                        "required": ["city"],
                        "properties": {"city": {"type": "string", "description": "City"}},
                    },
                },
            }
        ],
    },
    "prefill": {"messages": [{"role": "user", "content": "Say hi"}, {"role": "assistant", "content": "Hi"}]},
    "thinking": {
        "messages": [{"role": "user", "content": "2+2?"}],
        "think": True,
        "think_level": "medium",
        "is_think_set": True,
    },
}


@template_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@json_option
def check_command(file: str, as_json: bool) -> None:
    """Parse and translate the template in FILE, then render standard conversations.

    Exit 1, with line and column, when any step fails.
    """
    loaded = load(file)
    try:
        translation = translate_template(loaded.text)
    except TemplateError as error:
        fail(loaded, error, as_json)
        return
    results = []
    for name, values in CONVERSATIONS.items():
        try:
            prompt = render(loaded.text, values)
            results.append({"conversation": name, "ok": True, "characters": len(prompt)})
        except TemplateError as error:
            results.append({"conversation": name, "ok": False, "error": error.message})
    failed = [r for r in results if not r["ok"]]
    path = "messages" if translation.uses_messages else "legacy (.System/.Prompt/.Response)"
    if as_json:
        echo_json({"ok": not failed, "path": path, "variables": list(translation.variables), "renders": results})
    else:
        click.echo(f"{loaded.name}: parses; renders through the {path} path")
        for r in results:
            status = f"ok ({r['characters']} characters)" if r["ok"] else f"FAILED: {r['error']}"
            click.echo(f"  {r['conversation']:<18} {status}")
    if failed:
        sys.exit(1)
