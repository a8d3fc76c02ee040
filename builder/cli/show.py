"""``mfc show``: a stored model's parts, or a Modelfile that rebuilds it."""

from __future__ import annotations

import click

from builder.cli.options import echo_json, fail, json_option, open_store, store_option

PARTS = ("modelfile", "template", "system", "parameters", "license")


@click.command("show")
@click.argument("name")
@click.option("--modelfile", "part", flag_value="modelfile", help="A Modelfile that rebuilds this exact model.")
@click.option("--template", "part", flag_value="template", help="The Go chat template.")
@click.option("--system", "part", flag_value="system", help="The system prompt.")
@click.option("--parameters", "part", flag_value="parameters", help="The parameters, one per line.")
@click.option("--license", "part", flag_value="license", help="The license text(s).")
@store_option
@json_option
def show_command(name: str, part: str | None, store_root: str | None, as_json: bool) -> None:
    """Show the model NAME: its details, or one part of it.

    Unlike Ollama's, the --modelfile output builds back to the same model ID
    (it says so in its header, after checking with a dry-run build).  --json prints the
    fields of Ollama's /api/show response.
    """
    from builder import show
    from builder.create import build
    from modelfile.errors import MfcError
    from modelfile.parser import parse

    store = open_store(store_root)
    try:
        view = show.load(store, name)

        def verify(text: str) -> str:
            return build(parse(text), view.name, store=store, dry_run=True).digest

        if as_json:
            echo_json(show.show_json(store, view, show.modelfile_text(view, store, verify)))
            return
        if part == "modelfile":
            click.echo(show.modelfile_text(view, store, verify), nl=False)
        elif part == "template":
            click.echo(view.template or "")
        elif part == "system":
            click.echo(view.system or "")
        elif part == "parameters":
            click.echo(show.parameters_text(view.parameters))
        elif part == "license":
            click.echo("\n".join(view.licenses))
        else:
            click.echo(show.summary(store, view), nl=False)
    except MfcError as error:
        fail(str(error), as_json=as_json)
    except OSError as error:
        fail(f"{error.filename or name}: {error.strerror or error}", as_json=as_json)
