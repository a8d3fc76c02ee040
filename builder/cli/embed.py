"""``mfc embed``: embeddings from an embedding model."""

from __future__ import annotations

import time

import click

from builder.cli.options import echo_json, fail, store_option


@click.command("embed")
@click.argument("name")
@click.argument("texts", nargs=-1, required=True, metavar="TEXT...")
@click.option("--verbose", is_flag=True, help="Show llama.cpp's log.")
@store_option
def embed_command(name: str, texts: tuple[str, ...], verbose: bool, store_root: str | None) -> None:
    """Print L2-normalised embeddings of each TEXT as JSON, in the shape of Ollama's
    /api/embed response ({model, embeddings, total_duration, load_duration,
    prompt_eval_count})."""
    from builder.cli.options import open_store
    from builder.run import Runner
    from modelfile.errors import MfcError

    started = time.perf_counter_ns()
    try:
        runner = Runner(open_store(store_root), name, verbose=verbose, embedding=True)
        vectors = runner.embed(texts)
        count = sum(runner.count_tokens(text) for text in texts)
    except MfcError as error:
        fail(str(error), as_json=True)
    echo_json(
        {
            "model": runner.name,
            "embeddings": vectors,
            "total_duration": time.perf_counter_ns() - started,
            "load_duration": runner.load_duration,
            "prompt_eval_count": count,
        }
    )
