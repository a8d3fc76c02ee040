"""``mfc serve``: ``builder.serve.serve``, Ollama's REST API over the store."""

from __future__ import annotations

import click

from builder.cli.options import store_option


@click.command("serve")
@click.option(
    "--host",
    metavar="HOST[:PORT]",
    help="Address to listen on, as OLLAMA_HOST takes it (default: $MFC_HOST, else $OLLAMA_HOST, else 127.0.0.1:11434).",
)
@click.option("--port", type=click.IntRange(0, 65535), help="Port, over the one in --host (0: any free one).")
@click.option(
    "--api-key",
    metavar="KEY",
    help="Require 'Authorization: Bearer KEY' on every route (default: $MFC_API_KEY; none: Ollama's open API).",
)
@store_option
@click.option("--verbose", is_flag=True, help="Log in detail (uvicorn's debug log).")
def serve_command(
    host: str | None, port: int | None, api_key: str | None, store_root: str | None, verbose: bool
) -> None:
    """Serve Ollama's REST API for the models in the store, until SIGINT or SIGTERM.

    Answers what Ollama answers on /, /api/version, /api/tags, /api/show, /api/ps,
    /api/copy, /api/delete and /api/blobs/:digest (pull and push answer with Ollama's
    error); one log line per request (method, path, status, duration) on standard
    error.  OLLAMA_ORIGINS (CORS) and the Host-header check on loopback are Ollama's.
    Needs the serve extra: pip install 'mfc[serve]'.

    Exit status: 0 stopped by SIGTERM (after a graceful shutdown), 1 the extra is
    missing or the address cannot be bound, 2 usage error (also an invalid
    OLLAMA_HOST or OLLAMA_ORIGINS), 130 interrupted (Ctrl-C).
    """
    import os

    from builder.serve import ServerConfig, serve

    config = ServerConfig.from_env(os.environ, host=host, port=port, api_key=api_key)
    serve(store_root, config=config, verbose=verbose)
