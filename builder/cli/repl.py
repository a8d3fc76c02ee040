"""The interactive chat of ``mfc run``, with ``ollama run``'s slash commands."""

from __future__ import annotations

import click

from builder.cli.options import write_through
from builder.run import Generation, Runner
from modelfile.errors import MfcError

HELP = """Available commands:
  /set parameter NAME VALUE   Set a parameter (e.g. /set parameter temperature 0.2)
  /set system TEXT            Set the system message
  /set verbose | quiet        Show or hide timings after each answer
  /show parameters            Show the parameters in effect
  /show system                Show the system message
  /show template              Show the prompt template
  /show info                  Show details about the model
  /clear                      Forget the conversation
  /bye                        Exit
  /?, /help                   This help

Use \"\"\" to begin and end a message that spans several lines."""


def chat(runner: Runner, *, verbose: bool = False) -> None:
    import readline  # noqa: F401 - line editing and history for input()

    state = {"verbose": verbose}
    while True:
        try:
            line = _read_message()
        except EOFError:
            click.echo()
            return
        except KeyboardInterrupt:
            click.echo("\nUse Ctrl + d or /bye to exit.")
            continue
        if not line.strip():
            continue
        if line.startswith("/"):
            if not _command(runner, line.strip(), state):
                return
            continue
        new = [{"role": "user", "content": line}]
        try:
            result = runner.generate(new, on_text=write_through)
        except KeyboardInterrupt:
            click.echo()
            continue
        except MfcError as error:
            click.echo(f"error: {error}", err=True)
            continue
        runner.remember(new, result.response)
        click.echo("\n")
        for note in runner.take_notes():
            click.echo(f"note: {note}", err=True)
        if state["verbose"]:
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


def _command(runner: Runner, line: str, state: dict[str, bool]) -> bool:
    """Do one slash command; False to leave the chat."""
    words = line.split(maxsplit=3)
    command, args = words[0], words[1:]
    try:
        if command in ("/bye", "/exit"):
            return False
        if command in ("/?", "/help"):
            click.echo(HELP)
        elif command == "/clear":
            runner.clear()
            click.echo("Cleared session context")
        elif command == "/set" and args[:1] == ["parameter"] and len(args) == 3:
            name, value = args[1], line.split(maxsplit=3)[3]
            runner.set_option(name, value)
            click.echo(f"Set parameter '{name}' to '{value}'")
        elif command == "/set" and args[:1] == ["system"]:
            runner.system = line.split(maxsplit=2)[2] if len(args) > 1 else ""
            click.echo("Set system message.")
        elif command == "/set" and args[:1] in (["verbose"], ["quiet"]):
            state["verbose"] = args[0] == "verbose"
            click.echo(f"Set '{args[0]}' mode.")
        elif command == "/show" and args[:1] == ["parameters"]:
            from builder.show import parameters_text

            changed = {k: v for k, v in runner.options.items() if k in runner.view.parameters or k == "seed"}
            click.echo(parameters_text(changed) or "No parameters were set.")
        elif command == "/show" and args[:1] == ["system"]:
            click.echo(runner.system or "No system message was specified for this model.")
        elif command == "/show" and args[:1] == ["template"]:
            click.echo(runner.view.template or f"({runner.format.description})")
        elif command == "/show" and args[:1] == ["info"]:
            from builder.show import summary

            click.echo(summary(runner.store, runner.view), nl=False)
        else:
            click.echo(f"Unknown command '{line}'. Type /? for help", err=True)
    except MfcError as error:
        click.echo(f"error: {error}", err=True)
    return True


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
