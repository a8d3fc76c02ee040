"""``mfc run``: answer a prompt with a stored model, or chat on a terminal."""

from __future__ import annotations

from typing import TYPE_CHECKING

import click

from builder.cli.options import (
    echo_json,
    json_option,
    piped_text,
    stdin_is_terminal,
    store_option,
    write_through,
)
from modelfile.errors import InputError

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
    "answer_format",
    metavar="json|SCHEMA",
    help="Constrain the answer (as Ollama's --format): json, or a JSON schema (JSON text or a file holding it).",
)
@click.option("--verbose", is_flag=True, help="Print Ollama's timing block after each answer (and llama.cpp's log).")
@json_option
@store_option
def run_command(
    name: str,
    prompt: tuple[str, ...],
    parameters: tuple[tuple[str, str], ...],
    answer_format: str | None,
    verbose: bool,
    as_json: bool,
    store_root: str | None,
) -> None:
    """Run the model NAME on PROMPT (or on standard input), streaming the answer.

    On a terminal without a prompt, starts a chat: /set parameter NAME VALUE,
    /set system TEXT, /show parameters, /clear, /bye (/? lists them all).  The model's
    parameters, SYSTEM, MESSAGEs, TEMPLATE and ADAPTER apply as in Ollama.  --json
    prints one record, Ollama's final /api/generate response, instead of streaming (and
    never starts a chat: without a prompt it is a usage error).

    Exit status: 0 answered, 1 the model cannot be loaded or run, 2 usage error (an
    unknown or invalid -p parameter, a bad --format, no prompt).
    """
    from builder import Runner, TextChunk, parse_format, parse_options
    from builder.cli.options import open_store

    constraint = parse_format(answer_format) if answer_format is not None else None
    text = " ".join(prompt)
    piped = piped_text()
    text = f"{piped} {text}" if text and piped else piped or text
    interactive = not text and stdin_is_terminal() and not as_json  # --json: one record, never a chat
    runner = Runner(open_store(store_root), name, overrides=parse_options(parameters), verbose=verbose)
    runner.require("chat" if interactive else "generate")
    _notes(runner)
    if interactive:
        from builder.cli.repl import chat

        chat(runner, verbose=verbose, answer_format=constraint)
        return
    if not text:
        raise InputError("no prompt: give one as an argument or on standard input")
    if as_json:
        echo_json({"ok": True, **runner.generate(text, tools=[], format=constraint).to_dict()})
        return
    stream = runner.stream(text, tools=[], format=constraint)
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
