"""``mfc template``: translate, render and check Go chat templates (``modelfile.template``:
``load``, then the ``TemplateSource``'s ``translate``, ``render`` and ``check``)."""

from __future__ import annotations

import json
import sys

import click

from builder.cli.options import display_name, echo_json, json_option, read_argument
from modelfile import template


def _load(path: str) -> template.TemplateSource:
    """The template in FILE (a template file, or a Modelfile's last TEMPLATE)."""
    return template.load(read_argument(path, "FILE"), display_name(path))


@click.group("template")
def template_group() -> None:
    """Translate Ollama's Go chat templates to Jinja2 and render them like Ollama.

    FILE is a template file, or a Modelfile (its last TEMPLATE is used); - reads
    standard input.
    """


@template_group.command("translate")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option(
    "--target",
    type=click.Choice(template.TARGETS),
    default="mfc",
    show_default=True,
    help="mfc: runs in mfc's renderer (every construct); hf: a self-contained chat_template "
    "for transformers, GGUF tokenizer.chat_template or llama-cpp-python (exit 1 listing what it cannot express).",
)
@json_option
def translate_command(file: str, target: str, as_json: bool) -> None:
    """Print the Jinja2 equivalent of the Go template in FILE."""
    translation = _load(file).translate(target)
    if as_json:
        echo_json({"ok": True, "jinja": translation.jinja, "variables": list(translation.variables)})
    else:
        click.echo(translation.jinja)


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
    source = _load(file)
    try:
        values = json.loads(read_argument(values_path, "--values"))
    except ValueError as error:
        raise click.BadParameter(f"{values_path}: not readable JSON: {error}", param_hint="--values") from None
    if not isinstance(values, dict):
        raise click.BadParameter(f"{values_path}: expected a JSON object", param_hint="--values")
    prompt = source.render(values)
    if as_json:
        echo_json({"ok": True, "prompt": prompt})
    else:
        click.echo(prompt, nl=False)


@template_group.command("check")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@json_option
def check_command(file: str, as_json: bool) -> None:
    """Parse and translate the template in FILE, then render standard conversations.

    Fields Ollama's data lacks are reported as lint reports them (MF403).  A GGUF file's
    own Jinja tokenizer.chat_template is rendered in a sandbox, as transformers and
    llama.cpp run it.  Exit 1, with line and column, when any step fails or finds a problem.
    """
    source = _load(file)
    result = source.check()
    if as_json:
        echo_json(result.to_dict())
    else:
        click.echo(f"{source.name}: {result.summary}")
        for f in result.findings:
            click.echo(f"{source.name}:{f.line}:{f.column}: {f.code} {f.message}")
            if f.hint:
                click.echo(f"  = help: {f.hint}")
        for r in result.renders:
            status = f"ok ({r.characters} characters)" if r.ok else f"FAILED: {r.error}"
            click.echo(f"  {r.conversation:<18} {status}")
    if not result.ok:
        sys.exit(1)
