"""``mfc``: the command group.  Commands load lazily, so ``mfc lint`` does not pay for
what ``mfc build`` imports.  Exit codes: 0 ok, 1 findings or failure, 2 usage error."""

from __future__ import annotations

import importlib
import os
import sys
from typing import Any

import click

COMMANDS = {
    "parse": ("builder.cli.parse", "parse_command"),
    "lint": ("builder.cli.lint", "lint_command"),
    "fmt": ("builder.cli.fmt", "fmt_command"),
    "rule": ("builder.cli.rule", "rule_command"),
    "template": ("builder.cli.template", "template_group"),
    "build": ("builder.cli.build", "build_command"),
    "list": ("builder.cli.listing", "list_command"),
    "show": ("builder.cli.show", "show_command"),
    "cp": ("builder.cli.manage", "cp_command"),
    "rm": ("builder.cli.manage", "rm_command"),
    "prune": ("builder.cli.manage", "prune_command"),
    "verify": ("builder.cli.verify", "verify_command"),
    "inspect": ("builder.cli.inspect_gguf", "inspect_command"),
    "run": ("builder.cli.run", "run_command"),
    "embed": ("builder.cli.embed", "embed_command"),
    "quantize": ("builder.cli.quantize", "quantize_command"),
    "convert": ("builder.cli.convert", "convert_command"),
}


class LazyGroup(click.Group):
    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        module, attribute = COMMANDS[cmd_name]
        command: click.Command = getattr(importlib.import_module(module), attribute)
        return command


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mfc")
    except PackageNotFoundError:
        return "unknown"


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(_version(), "-V", "--version", prog_name="mfc")
def cli() -> None:
    """mfc: a compiler for Ollama Modelfiles.

    Parse, lint and format Modelfiles exactly as Ollama reads them, with errors that
    point at the line and column; translate and render Ollama's Go chat templates;
    build models into an Ollama-compatible store and run them, without a daemon.
    """


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the group, turning any unexpected failure into one line.
    Usage errors exit 2, Ctrl-C 130 (as shells report SIGINT), anything else 1."""
    try:
        code = cli.main(args=argv, prog_name="mfc", standalone_mode=False)
    except click.ClickException as error:
        error.show()
        sys.exit(error.exit_code)
    except (click.Abort, KeyboardInterrupt):
        click.echo("mfc: interrupted", err=True)
        sys.exit(130)
    except Exception as error:
        if os.environ.get("MFC_DEBUG"):
            raise
        click.echo(f"mfc: internal error: {type(error).__name__}: {error} (set MFC_DEBUG=1 for details)", err=True)
        sys.exit(1)
    sys.exit(code if isinstance(code, int) else 0)


if __name__ == "__main__":
    main()
