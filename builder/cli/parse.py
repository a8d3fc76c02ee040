"""``mfc parse``: ``modelfile.parse``, printed as the commands Ollama reads."""

from __future__ import annotations

import json

import click

from builder.cli.options import (
    display_name,
    echo_json,
    input_path,
    json_option,
    read_argument,
    stdin_filename_option,
)
from modelfile import check_text, parse


@click.command("parse")
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@stdin_filename_option
@json_option
def parse_command(file: str | None, stdin_filename: str | None, as_json: bool) -> None:
    """Parse FILE (or standard input) and print the commands Ollama reads from it.

    FILE defaults to ./Modelfile; - (or --stdin-filename) reads standard input.

    Exit status: 0 when Ollama would accept the file, 1 when it would not (or it is
    not a text file), 2 for a usage error.
    """
    path = input_path(file, stdin_filename)
    data, name = read_argument(path, "FILE", text=True), display_name(path, stdin_filename)
    check_text(data, path=name)  # weights given by mistake: refused at once (exit 1)
    modelfile = parse(data, path=name)  # a ModelfileError exits 1
    commands = [{"name": name, "args": args} for name, args in modelfile.ollama_commands()]
    if as_json:
        echo_json({"ok": True, "commands": commands})
        return
    for command, item in zip(modelfile.commands, commands, strict=True):
        start = command.span.start
        click.echo(f"{start.line}:{start.column}\t{item['name']}\t{json.dumps(item['args'], ensure_ascii=False)}")
