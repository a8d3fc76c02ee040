"""``mfc embed``: embeddings from an embedding model."""

from __future__ import annotations

import click

from builder.cli.options import JSON_OUTPUT, echo_json, store_option


@click.command("embed")
@click.argument("name")
@click.argument("texts", nargs=-1, required=True, metavar="TEXT...")
@click.option(
    "--truncate/--no-truncate",
    default=True,
    show_default=True,
    help="Cut a text longer than the model's batch (else it is an error), as Ollama does.",
)
@click.option(
    "--dimensions", type=click.IntRange(min=1), help="Keep this many leading values of each vector, normalised again."
)
@click.option("--verbose", is_flag=True, help="Show llama.cpp's log.")
@click.option("--json", "as_json", is_flag=True, help='Add "ok": true, as every command\'s --json record has.')
@store_option
@click.pass_context
def embed_command(
    ctx: click.Context,
    name: str,
    texts: tuple[str, ...],
    truncate: bool,
    dimensions: int | None,
    verbose: bool,
    as_json: bool,
    store_root: str | None,
) -> None:
    """Print L2-normalised embeddings of each TEXT as JSON, in the shape of Ollama's
    /api/embed response ({model, embeddings, total_duration, load_duration,
    prompt_eval_count}).

    The output is JSON with or without --json, and so are errors ({"ok": false,
    "error": {...}}); --json adds "ok": true to the answer.

    Exit status: 0 embedded, 1 the model cannot embed (or be loaded), 2 usage error.
    """
    from builder import embed
    from builder.cli.options import open_store

    ctx.meta[JSON_OUTPUT] = True  # the output is JSON, so are its errors
    result = embed(name, texts, store=open_store(store_root), truncate=truncate, dimensions=dimensions, verbose=verbose)
    echo_json({"ok": True, **result.to_dict()} if as_json else result.to_dict())
