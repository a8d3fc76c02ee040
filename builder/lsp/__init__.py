"""``mfc lsp``: a language server for Modelfiles (LSP over stdio or TCP), thin over the
``modelfile`` library: diagnostics as ``mfc lint`` reports them, hover, completion,
formatting as ``mfc fmt``, code actions for lint fixes, document symbols, semantic tokens
and go to definition.  Needs the ``lsp`` extra (``pip install 'mfc[lsp]'``): without
it, importing this package is a one-line ``LspError`` naming it.

Modules: ``server`` (the pygls wiring and state), ``documents`` (open documents and
incremental changes), ``positions`` (UTF-16 columns), ``config`` (``[tool.mfc.lint]``,
reloaded on change), ``analysis`` (parse and lint per version), ``diagnostics``,
``locate`` (what the cursor is on), ``hover``, ``completion``, ``stops``, ``actions``,
``formatting``, ``symbols``, ``semantic`` with ``template_tokens``, ``definition``,
``targets`` (what FROM names), ``keywords`` and ``template_docs`` (the texts).
"""

from __future__ import annotations

from builder.errors import LspError
from builder.extras import require

require("lsp", "mfc lsp", LspError)

from builder.lsp.server import ModelfileServer, create_server, serve_lsp  # noqa: E402  (after the check for the extra)

__all__ = ["LspError", "ModelfileServer", "create_server", "serve_lsp"]
