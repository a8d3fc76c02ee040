"""``mfc list``: ``builder.list_models``, printed as ``ollama list`` prints it."""

from __future__ import annotations

import click

from builder.cli.options import echo_json, json_option, store_option


@click.command("list")
@store_option
@json_option
def list_command(store_root: str | None, as_json: bool) -> None:
    """List the models in the store: name, ID, size, when modified.

    --json prints Ollama's /api/tags shape: {"ok": true, "models": [{name, model,
    modified_at, size, digest, details}]}.

    Exit status: 0 listed, 1 the store cannot be read, 2 usage error.
    """
    import builder
    from builder.humanize import human_bytes, human_time

    models = builder.list_models(store_root)
    if as_json:
        echo_json({"ok": True, "models": [model.to_dict() for model in models]})
        return
    table = [("NAME", "ID", "SIZE", "MODIFIED")]
    table += [(m.name, m.digest[:12], human_bytes(m.size), human_time(m.modified)) for m in models]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        click.echo(
            "    ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "    " + row[3]
        )
