"""The interactive chat of ``mfc run``, with ``ollama run``'s slash commands: reading
lines and printing; the conversation is a ``builder.ChatSession``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import click

from builder import ChatSession, Generation, Runner, TextChunk
from builder.cli.options import write_through
from modelfile.errors import MfcError

HELP = """Available commands:
  /set parameter NAME VALUE   Set a parameter (e.g. /set parameter temperature 0.2)
  /set system TEXT            Set the system message
  /set verbose | quiet        Show or hide timings after each answer
  /show parameters            Show the parameters in effect
  /show system                Show the system message
  /show template              Show the prompt template
  /show info                  Show details about the model
  /show modelfile             Show a Modelfile that rebuilds the model
  /show license               Show the model's license
  /clear                      Forget the conversation
  /bye                        Exit
  /?, /help                   This help

Use \"\"\" to begin and end a message that spans several lines."""


#: What ``/show`` shows (``ChatSession.describe``).
SHOWN = ("parameters", "system", "template", "info", "modelfile", "license")


class Chat:
    """The chat on the terminal: a session, and whether timings are shown."""

    def __init__(self, runner: Runner, verbose: bool, answer_format: str | dict[str, Any] | None = None) -> None:
        self.session = ChatSession(runner, format=answer_format)
        self.verbose = verbose


def chat(runner: Runner, *, verbose: bool = False, answer_format: str | dict[str, Any] | None = None) -> None:
    import readline  # noqa: F401 - line editing and history for input()

    state = Chat(runner, verbose, answer_format)
    while (line := _next_line()) is not None:
        try:
            if not _step(state, line):
                return
        except MfcError as error:  # one message or command failed: say why, and go on with the chat
            click.echo(f"error: {error}", err=True)


def _step(state: Chat, line: str) -> bool:
    """Answer a message or do a slash command; False to leave the chat."""
    if line.startswith("/"):
        return _command(state, line.strip())
    if line.strip():
        _answer(state, line)
    return True


def _next_line() -> str | None:
    """The next message or command; ``None`` at the end of input."""
    try:
        return _read_message()
    except EOFError:
        click.echo()
        return None
    except KeyboardInterrupt:
        click.echo("\nUse Ctrl + d or /bye to exit.")
        return ""


def _answer(state: Chat, line: str) -> None:
    result: Generation | None = None
    try:
        chunks = state.session.send(line)
        for chunk in chunks:
            if isinstance(chunk, TextChunk):
                write_through(chunk.text)
            else:
                result = chunk.generation
    except KeyboardInterrupt:  # the stream is closed; the exchange is not kept
        click.echo()
        return
    _after(state, result)


def _after(state: Chat, result: Generation | None) -> None:
    click.echo("\n")
    for note in state.session.runner.take_notes():
        click.echo(f"note: {note}", err=True)
    if state.verbose and result is not None:
        print_stats(result)


def _read_message() -> str:
    line = input(">>> ")
    if not line.startswith('"""'):
        return line
    lines = [line[3:]]
    while not lines[-1].endswith('"""'):
        lines.append(input("... "))
    lines[-1] = lines[-1][:-3]
    return "\n".join(lines)


def _command(state: Chat, line: str) -> bool:
    """Do one slash command; False to leave the chat."""
    words = line.split(maxsplit=3)
    if words[0] in ("/bye", "/exit"):
        return False
    handler = _handler(words)
    if handler is None:
        click.echo(f"Unknown command '{line}'. Type /? for help", err=True)
    else:
        handler(state, line)
    return True


def _handler(words: list[str]) -> Callable[[Chat, str], None] | None:
    command, args = words[0], words[1:]
    if command == "/set" and args[:1] == ["parameter"]:
        return _set_parameter if len(args) == 3 else _parameter_usage
    if command == "/set" and args[:1] in (["system"], ["verbose"], ["quiet"]):
        return _set_system if args[0] == "system" else _set_verbosity
    if command == "/show" and len(args) == 1 and args[0] in SHOWN:
        return _show
    return {"/?": _help, "/help": _help, "/clear": _clear}.get(command)


def _help(state: Chat, line: str) -> None:
    click.echo(HELP)


def _clear(state: Chat, line: str) -> None:
    state.session.clear()
    click.echo("Cleared session context")


def _set_parameter(state: Chat, line: str) -> None:
    _, _, name, value = line.split(maxsplit=3)
    state.session.set_parameter(name, value)
    click.echo(f"Set parameter '{name}' to '{value}'")


def _parameter_usage(state: Chat, line: str) -> None:
    """``/set parameter`` short of a name or a value: say which is missing."""
    words = line.split()
    missing = f"a value for {words[2]}" if len(words) == 3 else "a parameter name and value"
    click.echo(f"/set parameter needs {missing}: /set parameter NAME VALUE (e.g. /set parameter seed 42)", err=True)


def _set_system(state: Chat, line: str) -> None:
    words = line.split(maxsplit=2)
    state.session.system = words[2] if len(words) > 2 else ""
    click.echo("Set system message.")


def _set_verbosity(state: Chat, line: str) -> None:
    mode = line.split()[1]
    state.verbose = mode == "verbose"
    click.echo(f"Set '{mode}' mode.")


def _show(state: Chat, line: str) -> None:
    part = line.split()[1]
    click.echo(state.session.describe(part), nl=part not in ("info", "modelfile"))


def print_stats(result: Generation) -> None:
    def rate(count: int, nanoseconds: int) -> str:
        return f"{count / (nanoseconds / 1e9):.2f} tokens/s" if nanoseconds else "-"

    click.echo(
        f"total duration:       {result.total_duration / 1e9:.3f}s\n"
        f"load duration:        {result.load_duration / 1e9:.3f}s\n"
        f"prompt eval count:    {result.prompt_eval_count} token(s)\n"
        f"prompt eval duration: {result.prompt_eval_duration / 1e9:.3f}s\n"
        f"prompt eval rate:     {rate(result.prompt_eval_count, result.prompt_eval_duration)}\n"
        f"eval count:           {result.eval_count} token(s)\n"
        f"eval duration:        {result.eval_duration / 1e9:.3f}s\n"
        f"eval rate:            {rate(result.eval_count, result.eval_duration)}",
        err=True,
    )
