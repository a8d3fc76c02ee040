"""``mfc lsp``: ``builder.serve_lsp``, the Modelfile language server."""

from __future__ import annotations

import click

from builder.cli.options import store_option


@click.command("lsp")
@click.option(
    "--tcp", "port", type=click.IntRange(1, 65535), metavar="PORT", help="Listen on 127.0.0.1:PORT, not stdio."
)
@click.option("--log", "log_file", metavar="FILE", help="Write the server's log to FILE (default: standard error).")
@store_option
def lsp_command(port: int | None, log_file: str | None, store_root: str | None) -> None:
    """Run the Modelfile language server (LSP) for editors, on standard input and output.

    Diagnostics as `mfc lint` reports them (with [tool.mfc.lint] of the nearest
    pyproject.toml), hover, completion, formatting as `mfc fmt`, quick fixes, an
    outline, semantic highlighting and go to definition, for files named Modelfile,
    *.Modelfile and Modelfile.* or of language id modelfile.  The store gives FROM's
    model names.  --tcp is for debugging.  docs/editors.md sets it up in VS Code,
    Neovim, Helix and Zed.  Needs the lsp extra: pip install 'mfc[lsp]'.

    Exit status: 0 the editor ended the session, 1 the extra is missing or the port
    cannot be bound, 2 usage error.
    """
    import builder

    builder.serve_lsp(store_root, tcp=port, log_file=log_file)
