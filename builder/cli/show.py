"""``mfc show``: ``builder.show_text`` (one part, or the summary) and ``builder.show_json``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from builder.cli.options import echo_json, json_option, store_option

F = TypeVar("F", bound=Callable[..., Any])

#: The parts one flag each selects, and what each flag's help says.
PART_FLAGS = {
    "modelfile": "A Modelfile that rebuilds this exact model.",
    "template": "The Go chat template.",
    "system": "The system prompt.",
    "parameters": "The parameters, one per line.",
    "license": "The license text(s).",
}


def part_options(command: F) -> F:
    """``--modelfile``, ``--template`` …: a flag per part, at most one of them given."""
    for name in reversed(PART_FLAGS):
        flag = click.option(f"--{name}", is_flag=True, expose_value=False, callback=_choose_part, help=PART_FLAGS[name])
        command = flag(command)
    return command


def _choose_part(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """Remember the part a flag asks for; as in Ollama, two parts at once are refused."""
    if not value:
        return
    if ctx.meta.get("part", param.name) != param.name:
        flags = [f"'--{name}'" for name in sorted(PART_FLAGS)]
        raise click.UsageError(f"only one of {', '.join(flags[:-1])}, or {flags[-1]} can be specified", ctx)
    ctx.meta["part"] = param.name


@click.command("show")
@click.argument("name")
@part_options
@store_option
@json_option
@click.pass_context
def show_command(ctx: click.Context, name: str, store_root: str | None, as_json: bool) -> None:
    """Show the model NAME: its details, or one part of it.

    Unlike Ollama's, the --modelfile output builds back to the same model ID
    (it says so in its header, after checking with a dry-run build).  --json prints the
    fields of Ollama's /api/show response.

    Exit status: 0 shown, 1 no such model, 2 usage error (such as two parts at once).
    """
    import builder

    if as_json:
        echo_json({"ok": True, **builder.show_json(name, store=store_root)})
        return
    part = ctx.meta.get("part")
    text = builder.show_text(name, part or "summary", store=store_root)
    # the summary and the Modelfile end with their own line end; the parts are printed on a line
    click.echo(text, nl=part not in (None, "modelfile"))
