"""``mfc template``: translate, render and check Go chat templates (``modelfile.template``:
``load``, then the ``TemplateSource``'s ``translate``, ``render`` and ``check``)."""

from __future__ import annotations

import json
import os
import sys
from typing import Any

import click

import builder
from builder.cli.options import (
    display_name,
    echo_json,
    input_path,
    json_option,
    read_argument,
    stdin_filename_option,
    store_option,
)
from modelfile import template
from modelfile.errors import InputError


def _load(file: str | None, stdin_filename: str | None, *, stdin_used: bool = False) -> template.TemplateSource:
    """The template in FILE (a template file, or a Modelfile's last TEMPLATE), found by
    the rule every command follows (``input_path``)."""
    path = input_path(file, stdin_filename, stdin_used=stdin_used)
    if path == "-":
        return template.load(read_argument(path, "FILE"), display_name(path, stdin_filename))
    try:
        return template.load_file(path)  # a GGUF's header is read, not the whole file
    except OSError as error:
        raise click.BadParameter(f"cannot read {path}: {error.strerror}", param_hint="FILE") from None


@click.group("template")
def template_group() -> None:
    """Translate Ollama's Go chat templates to Jinja2 and render them like Ollama.

    FILE is a template file, or a Modelfile (its last TEMPLATE is used); - (or
    --stdin-filename) reads standard input; the default is ./Modelfile.  render also
    takes a model in the store.

    Exit status: 0 done, 1 the template fails (with line and column), 2 usage error.
    """


@template_group.command("translate")
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@stdin_filename_option
@click.option(
    "--target",
    type=click.Choice(template.TARGETS),
    default="mfc",
    show_default=True,
    help="mfc: runs in mfc's renderer (every construct); hf: a self-contained chat_template "
    "for transformers, GGUF tokenizer.chat_template or llama-cpp-python (exit 1 listing what it cannot express).",
)
@json_option
def translate_command(file: str | None, stdin_filename: str | None, target: str, as_json: bool) -> None:
    """Print the Jinja2 equivalent of the Go template in FILE.

    Exit status: 0 translated, 1 the template does not parse or the target cannot
    express it (each construct with line:column), 2 usage error.
    """
    translation = _load(file, stdin_filename).translate(target)
    if as_json:
        echo_json({"ok": True, "jinja": translation.jinja, "variables": list(translation.variables)})
    else:
        click.echo(translation.jinja)


@template_group.command("render")
@click.argument("file", metavar="[FILE|MODEL]", required=False)
@stdin_filename_option
@click.option(
    "--values",
    "values_path",
    required=True,
    type=click.Path(dir_okay=False, allow_dash=True),
    help="An /api/generate or /api/chat request body (JSON): prompt, system, suffix, template, raw, images,"
    " context; or messages, tools; and think, truncate, options ….",
)
@click.option(
    "--api", "kind", type=click.Choice(["generate", "chat"]), help="The endpoint of the body (default: from its keys)."
)
@store_option
@json_option
def render_command(
    file: str | None,
    stdin_filename: str | None,
    values_path: str,
    kind: str | None,
    store_root: str | None,
    as_json: bool,
) -> None:
    """Print the prompt Ollama builds from a request body, exactly.

    FILE is a Go template, a Modelfile (its TEMPLATE, SYSTEM and MESSAGEs, over
    those of its FROM model) or a model in the store (--store); - (or
    --stdin-filename) reads standard input; the default is ./Modelfile.  The body is
    what /api/generate or /api/chat would get: the prompt is the one Ollama's handler
    builds (what _debug_render_only returns), not cut to the context window.  Unknown
    keys and wrong types are usage errors (exit 2).

    Exit status: 0 rendered, 1 the template fails or the model cannot serve the
    request, 2 usage error (such as a bad request body).
    """
    if values_path == "-" and (file == "-" or stdin_filename is not None):
        raise InputError("standard input can be read once: give FILE or --values as a file")
    target = input_path(file, stdin_filename, stdin_used=values_path == "-")
    data = read_argument(target, "FILE") if target == "-" or os.path.isfile(target) else None
    named = (stdin_filename or target) if target == "-" else target
    model = builder.load_prompting(named, store=store_root, data=data)
    prompt = model.render(_body(values_path), kind=kind)
    if as_json:
        echo_json({"ok": True, "prompt": prompt, "template": model.description})
    else:
        click.echo(prompt, nl=False)


def _body(values_path: str) -> Any:
    """The JSON in --values (unreadable or invalid JSON: a usage error)."""
    try:
        return json.loads(read_argument(values_path, "--values"))
    except ValueError as error:
        raise click.BadParameter(f"{values_path}: not readable JSON: {error}", param_hint="--values") from None


@template_group.command("check")
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@stdin_filename_option
@json_option
def check_command(file: str | None, stdin_filename: str | None, as_json: bool) -> None:
    """Parse and translate the template in FILE, then render standard conversations.

    Fields Ollama's data lacks are reported as lint reports them (MF403).  A GGUF file's
    own Jinja tokenizer.chat_template is rendered in a sandbox, as transformers and
    llama.cpp run it.

    Exit status: 0 all well, 1 (with line and column) when any step fails or finds a
    problem, 2 usage error.
    """
    source = _load(file, stdin_filename)
    result = source.check()
    if as_json:
        echo_json(result.to_dict())  # {"ok", ...}: ok is false when a render fails or lint finds something
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
