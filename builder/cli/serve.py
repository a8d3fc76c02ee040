"""``mfc serve``: ``builder.serve.serve``, Ollama's REST API over the store."""

from __future__ import annotations

import click

from builder.cli.options import store_option


@click.command("serve")
@click.option("--host", default="127.0.0.1", show_default=True, help="Address to listen on (loopback by default).")
@click.option("--port", default=11434, show_default=True, type=click.IntRange(0, 65535), help="Port (0: any free one).")
@store_option
@click.option("--verbose", is_flag=True, help="Log in detail (uvicorn's debug log).")
def serve_command(host: str, port: int, store_root: str | None, verbose: bool) -> None:
    """Serve Ollama's REST API for the models in the store, until SIGINT or SIGTERM.

    Answers what Ollama answers on /, /api/version, /api/tags, /api/show, /api/ps,
    /api/copy, /api/delete and /api/blobs/:digest (pull and push answer with Ollama's
    error); one log line per request (method, path, status, duration) on standard
    error.  Needs the serve extra: pip install 'mfc[serve]'.

    Exit status: 0 stopped by SIGTERM (after a graceful shutdown), 1 the extra is
    missing or the address cannot be bound, 2 usage error, 130 interrupted (Ctrl-C).
    """
    from builder.serve import serve

    serve(store_root, host=host, port=port, verbose=verbose)
