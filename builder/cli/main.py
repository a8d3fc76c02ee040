"""``mfc``: the command group.  Commands load lazily, so ``mfc lint`` does not pay for
what ``mfc build`` imports, and ``mfc --help`` lists them without importing any (start-up
is measured by benchmarks/startup.py; what each command imports, by tests/test_imports.py).
Exit codes: 0 ok, 1 findings or failure, 2 usage error; a closed standard output (``mfc
rule | head -1``) ends a command quietly with 0."""

from __future__ import annotations

import gc
import importlib
import os
import sys
from typing import Any, NamedTuple, NoReturn

import click

from builder.cli.options import JSON_OUTPUT, closed_stdout, json_requested, report_error


class LazyCommand(NamedTuple):
    """Where a subcommand lives, and the one-line summary ``mfc --help`` lists for it
    (the first sentence of its docstring; tests/test_imports.py checks they agree), so
    that the listing needs no command module imported."""

    module: str
    attribute: str
    summary: str


COMMANDS = {
    "parse": LazyCommand(
        "builder.cli.parse",
        "parse_command",
        "Parse FILE (or standard input) and print the commands Ollama reads from it.",
    ),
    "lint": LazyCommand(
        "builder.cli.lint",
        "lint_command",
        "Check Modelfiles for what Ollama rejects and for what it silently gets wrong.",
    ),
    "fmt": LazyCommand(
        "builder.cli.fmt", "fmt_command", "Rewrite Modelfiles in canonical form, keeping exactly what Ollama reads."
    ),
    "rule": LazyCommand(
        "builder.cli.rule", "rule_command", "Explain the lint rule CODE (or name), or list every rule."
    ),
    "template": LazyCommand(
        "builder.cli.template",
        "template_group",
        "Translate Ollama's Go chat templates to Jinja2 and render them like Ollama.",
    ),
    "build": LazyCommand(
        "builder.cli.build",
        "build_command",
        "Build the model NAME (or -t NAME) from a Modelfile into an Ollama-compatible store.",
    ),
    "create": LazyCommand(  # ollama create NAME -f Modelfile
        "builder.cli.build",
        "create_command",
        "Build NAME from a Modelfile as `ollama create NAME -f Modelfile` does (mfc build NAME).",
    ),
    "list": LazyCommand(
        "builder.cli.listing", "list_command", "List the models in the store: name, ID, size, when modified."
    ),
    "show": LazyCommand("builder.cli.show", "show_command", "Show the model NAME: its details, or one part of it."),
    "cp": LazyCommand(
        "builder.cli.manage",
        "cp_command",
        "Copy the model SOURCE to the name DESTINATION (same manifest, same ID; no blob is copied).",
    ),
    "rm": LazyCommand("builder.cli.manage", "rm_command", "Remove models, and the blobs that no other model uses."),
    "prune": LazyCommand(
        "builder.cli.manage", "prune_command", "Delete blobs that no model uses, and files a killed build left behind."
    ),
    "serve": LazyCommand(
        "builder.cli.serve",
        "serve_command",
        "Serve Ollama's REST API for the models in the store, until SIGINT or SIGTERM.",
    ),
    "pull": LazyCommand(
        "builder.cli.registry",
        "pull_command",
        "Pull the model NAME (host/namespace/model:tag) from its registry into the store.",
    ),
    "push": LazyCommand(
        "builder.cli.registry", "push_command", "Push the stored model NAME (host/namespace/model:tag) to its registry."
    ),
    "login": LazyCommand(
        "builder.cli.registry",
        "login_command",
        "Save credentials for the registry HOST, for pull, push and build caches.",
    ),
    "logout": LazyCommand(
        "builder.cli.registry",
        "logout_command",
        "Forget the credentials `mfc login` saved for HOST (Docker's own are left alone).",
    ),
    "lsp": LazyCommand(
        "builder.cli.lsp",
        "lsp_command",
        "Run the Modelfile language server (LSP) for editors, on standard input and output.",
    ),
    "verify": LazyCommand(
        "builder.cli.verify",
        "verify_command",
        "Check the store (or the models NAME...): every manifest readable, every blob it names present, "
        "of the right size, and hashing to its name.",
    ),
    "inspect": LazyCommand(
        "builder.cli.inspect_gguf",
        "inspect_command",
        "Print a GGUF file's header, metadata and tensors (name, GGML type, shape).",
    ),
    "run": LazyCommand(
        "builder.cli.run",
        "run_command",
        "Run the model NAME on PROMPT (or on standard input), streaming the answer.",
    ),
    "embed": LazyCommand(
        "builder.cli.embed",
        "embed_command",
        "Print L2-normalised embeddings of each TEXT as JSON, in the shape of Ollama's /api/embed response "
        "({model, embeddings, total_duration, load_duration, prompt_eval_count}).",
    ),
    "quantize": LazyCommand(
        "builder.cli.quantize", "quantize_command", "Quantize IN.gguf to OUT.gguf as TYPE with llama.cpp's quantizer."
    ),
    "convert": LazyCommand(
        "builder.cli.convert",
        "convert_command",
        "Convert the Hugging Face model in DIR (config.json, *.safetensors, tokenizer) to a GGUF file that "
        "llama.cpp and Ollama run.",
    ),
}


class LazyGroup(click.Group):
    """Subcommands imported when named; every ``MfcError`` a command lets through is
    reported here, once: one line (with the caret excerpt where the error has one), or
    the JSON error record when the command was given ``--json``, and the error's exit
    code."""

    # Set by ``main``, for a process that is one ``mfc`` command: the objects its imports
    # make are then frozen out of garbage collection.  Not for callers in a process of
    # their own (tests, scripts): freezing would keep their garbage forever.
    freeze_imports = False

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        """Note a ``--json`` anywhere on the command line (before ``--``), so that a usage
        error found before the option is processed is reported as JSON too."""
        if json_requested(args):
            ctx.meta[JSON_OUTPUT] = True
        return super().parse_args(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        from modelfile.errors import MfcError, UsageError

        try:
            return super().invoke(ctx)
        except MfcError as error:
            report_error(error, as_json=bool(ctx.meta.get(JSON_OUTPUT)))
            ctx.exit(error.exit_code)
        except click.ClickException as error:
            if not ctx.meta.get(JSON_OUTPUT):
                raise
            report_error(UsageError(error.format_message()), as_json=True)
            ctx.exit(error.exit_code)
        except BrokenPipeError:  # the reader of standard output is gone (mfc rule | head -1)
            closed_stdout()
            ctx.exit(0)

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(COMMANDS)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """A name that is no command is a usage error with a did-you-mean: click draws
        its guesses from the commands it holds, and this group holds them only by name."""
        name = args[0]
        if name not in COMMANDS and not name.startswith("-") and not ctx.resilient_parsing:
            raise click.exceptions.NoSuchCommand(name, possibilities=list(COMMANDS), ctx=ctx)
        return super().resolve_command(ctx, args)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        if cmd_name not in COMMANDS:
            return None
        entry = COMMANDS[cmd_name]
        module = _import_frozen(entry.module) if self.freeze_imports else importlib.import_module(entry.module)
        command: click.Command = getattr(module, entry.attribute)
        return command

    def format_commands(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        """The command list of ``mfc --help``, from the summaries in ``COMMANDS``: click's
        own listing imports every command module to read its docstring, which would make
        ``--help`` pay for what ``build`` and ``run`` import."""
        limit = formatter.width - 6 - max(len(name) for name in COMMANDS)
        # a stand-in command shortens each summary exactly as click would the docstring
        rows = [
            (name, click.Command(name, help=COMMANDS[name].summary).get_short_help_str(limit))
            for name in self.list_commands(ctx)
        ]
        with formatter.section("Commands"):
            formatter.write_dl(rows)


def _import_frozen(name: str) -> object:
    """Import a command module with the cyclic garbage collector paused, then leave the
    objects made out of its later walks (``gc.freeze``).  The imports (for lint: its
    rules, the grammars, the IR) make tens of thousands of objects that live as long as
    the process; walking them again and again would be a tenth of ``mfc lint``."""
    gc.disable()
    try:
        return importlib.import_module(name)
    finally:
        gc.freeze()
        gc.enable()


def _show_version(ctx: click.Context, _param: click.Parameter, value: bool) -> None:
    """``-V``: the installed version, looked up only when asked for (reading package
    metadata at import time cost every command about 20 ms)."""
    if not value or ctx.resilient_parsing:
        return
    from importlib.metadata import PackageNotFoundError, version

    try:
        found = version("mfc")
    except PackageNotFoundError:
        found = "unknown"
    click.echo(f"mfc, version {found}")
    ctx.exit()


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.option(
    "-V",
    "--version",
    is_flag=True,
    expose_value=False,
    is_eager=True,
    callback=_show_version,
    help="Show the version and exit.",
)
def cli() -> None:
    """mfc: a compiler for Ollama Modelfiles.

    Parse, lint and format Modelfiles exactly as Ollama reads them, with errors that
    point at the line and column; translate and render Ollama's Go chat templates;
    build models into an Ollama-compatible store and run them, without a daemon.

    Exit status: 0 ok, 1 findings or failure, 2 usage error; a closed standard output
    (mfc rule | head -1) is a normal end (0).  With --json every command prints one
    JSON object, {"ok": true, ...} or {"ok": false, "error": {code, message, ...}}
    (docs/cli-output.schema.json).
    """


def main(argv: list[str] | None = None) -> Any:
    """Entry point: run the group, turning any unexpected failure into one line.
    Usage errors exit 2, Ctrl-C 130 (as shells report SIGINT), a closed standard
    output 0, anything else 1; under --json each of them is a JSON error record."""
    cli.freeze_imports = True
    args = sys.argv[1:] if argv is None else list(argv)
    try:
        code = cli.main(args=args, prog_name="mfc", standalone_mode=False)
    except (click.Abort, KeyboardInterrupt, Exception) as error:
        if os.environ.get("MFC_DEBUG") and not isinstance(
            error, click.ClickException | click.Abort | KeyboardInterrupt
        ):
            raise
        _fail(error, as_json=json_requested(args))
    _exit(code if isinstance(code, int) else 0)


def _fail(error: BaseException, *, as_json: bool) -> NoReturn:
    """Report what ended the command (``_failure``) in one line, or as the JSON error
    record, and exit with its code."""
    failure, text = _failure(error)
    if as_json:
        report_error(failure, as_json=True)
    elif isinstance(error, click.ClickException):
        error.show()
    else:
        click.echo(text, err=True)
    sys.exit(error.exit_code if isinstance(error, click.ClickException) else failure.exit_code)


def _failure(error: BaseException) -> tuple[Any, str]:
    """What ended the command, as an ``MfcError`` (for ``--json``) and as the line printed
    otherwise: a usage error click found before any command ran, an interrupt, or a bug."""
    from modelfile.errors import InternalError, Interrupted, UsageError

    if isinstance(error, click.ClickException):
        return UsageError(error.format_message()), error.format_message()
    if isinstance(error, click.Abort | KeyboardInterrupt):
        return Interrupted("interrupted"), "mfc: interrupted"
    failure = InternalError(f"internal error: {type(error).__name__}: {error} (set MFC_DEBUG=1 for details)")
    return failure, f"mfc: {failure}"


def _exit(code: int) -> NoReturn:
    """Flush standard output and exit with ``code``; a reader that has gone by then (a
    closed pipe is a normal end) makes it 0, quietly."""
    try:
        sys.stdout.flush()
    except BrokenPipeError:
        closed_stdout()
        code = 0
    sys.exit(code)


if __name__ == "__main__":
    main()
