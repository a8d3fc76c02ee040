"""``mfc show``: ``builder.show_text`` (one part, or the summary) and ``builder.show_json``."""

from __future__ import annotations

import click

from builder.cli.options import echo_json, json_option, store_option


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
    import builder

    if as_json:
        echo_json(builder.show_json(name, store=store_root))
        return
    text = builder.show_text(name, part or "summary", store=store_root)
    # the summary and the Modelfile end with their own line end; the parts are printed on a line
    click.echo(text, nl=part not in (None, "modelfile"))
