"""``mfc run``: answer a prompt with a stored model, or chat on a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from builder.cli.options import (
    JSON_OUTPUT,
    echo_json,
    fail,
    piped_text,
    stdin_is_terminal,
    store_option,
    write_through,
)

if TYPE_CHECKING:
    from builder import Runner


@click.command("run")
@click.argument("name")
@click.argument("prompt", nargs=-1)
@click.option(
    "-p",
    "--parameter",
    "parameters",
    type=(str, str),
    multiple=True,
    metavar="NAME VALUE",
    help="Override a parameter for this run (repeatable), e.g. -p seed 42.",
)
@click.option(
    "--format",
    "output",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="json: print one record like Ollama's final /api/generate response instead of streaming.",
)
@click.option("--verbose", is_flag=True, help="Show llama.cpp's log, and timings after each answer.")
@store_option
@click.pass_context
def run_command(
    ctx: click.Context,
    name: str,
    prompt: tuple[str, ...],
    parameters: tuple[tuple[str, str], ...],
    output: str,
    verbose: bool,
    store_root: str | None,
) -> None:
    """Run the model NAME on PROMPT (or on standard input), streaming the answer.

    On a terminal without a prompt, starts a chat: /set parameter NAME VALUE,
    /set system TEXT, /show parameters, /clear, /bye (/? lists them all).  The model's
    parameters, SYSTEM, MESSAGEs, TEMPLATE and ADAPTER apply as in Ollama.
    """
    from builder import Runner, TextChunk, parse_options
    from builder.cli.options import open_store

    if output == "json":
        ctx.meta[JSON_OUTPUT] = True
    text = " ".join(prompt)
    piped = piped_text()
    text = f"{piped} {text}" if text and piped else piped or text
    interactive = not text and stdin_is_terminal()
    runner = Runner(open_store(store_root), name, overrides=parse_options(parameters), verbose=verbose)
    runner.require("chat" if interactive else "generate")
    _notes(runner)
    if interactive:
        from builder.cli.repl import chat

        chat(runner, verbose=verbose)
        return
    if not text:
        fail("no prompt: give one as an argument or on standard input", code=2, as_json=output == "json")
    if output == "json":
        echo_json(runner.generate(text, tools=[]).to_dict())
        return
    stream = runner.stream(text, tools=[])
    for chunk in stream:
        if isinstance(chunk, TextChunk):
            write_through(chunk.text)
    click.echo()
    _notes(runner)
    if verbose and stream.result is not None:
        from builder.cli.repl import print_stats

        print_stats(stream.result)


def _notes(runner: Runner) -> None:
    for note in runner.take_notes():
        click.echo(f"note: {note}", err=True)
