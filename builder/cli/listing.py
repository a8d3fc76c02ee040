"""``mfc list``: the models in a store, as ``ollama list`` shows them."""

from __future__ import annotations

from datetime import UTC, datetime

import click

from builder.cli.options import echo_json, json_option, open_store, store_option


@click.command("list")
@store_option
@json_option
def list_command(store_root: str | None, as_json: bool) -> None:
    """List the models in the store: name, ID, size, when modified.

    --json prints Ollama's /api/tags shape: {"models": [{name, model, modified_at,
    size, digest, details}]}.
    """
    from builder.errors import StoreError
    from builder.humanize import human_bytes, human_time
    from builder.manifest import Config
    from builder.show import details_of

    store = open_store(store_root)
    models = sorted(store.models(), key=lambda m: m.modified, reverse=True)
    if as_json:
        rows = []
        for model in models:
            try:
                config = Config.decode(store.read_blob(model.manifest.config.digest))
            except StoreError:  # a missing or damaged config: list the model anyway, as Ollama does
                config = Config(model_format="")
            rows.append(
                {
                    "name": model.name.display(),
                    "model": model.name.display(),
                    "modified_at": datetime.fromtimestamp(model.modified, UTC).isoformat(),
                    "size": model.manifest.size,
                    "digest": model.digest,
                    "details": details_of(model, config),
                }
            )
        echo_json({"models": rows})
        return
    table = [("NAME", "ID", "SIZE", "MODIFIED")]
    table += [(m.name.display(), m.digest[:12], human_bytes(m.manifest.size), human_time(m.modified)) for m in models]
    widths = [max(len(row[i]) for row in table) for i in range(3)]
    for row in table:
        click.echo(
            "    ".join(cell.ljust(width) for cell, width in zip(row[:3], widths, strict=True)) + "    " + row[3]
        )
