"""The language server: pygls wiring of the features, each a function of this package
over the library.  Diagnostics are published for the version they were computed from:
at once on open, on a configuration change and on the first change after a pause in
typing, else a debounce after the last change of a burst (``ModelfileServer.schedule``)."""

from __future__ import annotations

import asyncio
import logging
import os
import sys
from pathlib import Path

from lsprotocol import types
from pygls.lsp.server import LanguageServer

from builder.errors import LspError
from builder.lsp.actions import FIX_ALL, code_actions
from builder.lsp.analysis import Analysis, analyse
from builder.lsp.completion import complete
from builder.lsp.config import Configs
from builder.lsp.definition import definition
from builder.lsp.diagnostics import publishable
from builder.lsp.documents import Change, Document, Documents, is_modelfile
from builder.lsp.formatting import format_edits
from builder.lsp.hover import hover_markdown
from builder.lsp.semantic import LEGEND, document_tokens, encode
from builder.lsp.symbols import document_symbols
from builder.lsp.targets import store_or_none
from builder.store import Store, default_root

log = logging.getLogger("mfc.lsp")

#: Seconds after the last change of a burst before a document is linted again.
DEBOUNCE = 0.02


class ModelfileServer(LanguageServer):
    """The server's state: open documents, their analyses, configurations, the store."""

    def __init__(self, store_root: Path | None, debounce: float = DEBOUNCE) -> None:
        super().__init__("mfc-lsp", _version())
        self.documents = Documents()
        self.configs = Configs()
        self.analyses: dict[str, Analysis] = {}
        self.pending: dict[str, asyncio.Handle] = {}
        self.last_change: dict[str, float] = {}
        self.store_root = store_root
        self.debounce = debounce
        self.warned: set[str] = set()

    @property
    def store(self) -> Store | None:
        return store_or_none(self.store_root)

    def analysis(self, uri: str) -> Analysis | None:
        """The analysis of the document's current version (computed now if need be)."""
        document = self.documents.get(uri)
        if document is None:
            return None
        cached = self.analyses.get(uri)
        if cached is not None and cached.document is document:
            return cached
        loaded = self.configs.for_document(document.path)
        if loaded.error is not None and str(loaded.error) not in self.warned:
            self.warned.add(str(loaded.error))
            self.window_show_message(types.ShowMessageParams(types.MessageType.Error, str(loaded.error)))
        self.analyses[uri] = analyse(document, loaded)
        return self.analyses[uri]

    def publish(self, uri: str) -> None:
        self.pending.pop(uri, None)
        found = self.analysis(uri)
        if found is None:
            return
        document = found.document
        self.text_document_publish_diagnostics(
            types.PublishDiagnosticsParams(uri, publishable(document.lines, found.diagnostics), document.version)
        )

    def forget_done_futures(self) -> None:
        """Drop finished handler futures that pygls keeps forever: it files the future of
        every notification handled by a generator (its own didOpen/didChange/didClose
        wrappers) under a fresh id that nothing removes, which would grow the server by
        about 2 KB per keystroke (tests/test_lsp_typing.py measures it flat)."""
        futures = getattr(self.protocol, "_request_futures", None)
        if isinstance(futures, dict) and len(futures) > 256:
            for key in [key for key, future in futures.items() if future.done()]:
                del futures[key]

    def schedule(self, uri: str) -> None:
        """Lint after a change: at once after a pause in typing (the leading edge), else
        once the changes stop for ``debounce`` seconds (the trailing edge), so that a
        keystroke is answered at once and a burst of them costs one lint."""
        self.forget_done_futures()
        loop = asyncio.get_running_loop()
        now = loop.time()
        timer = self.pending.pop(uri, None)
        if timer is not None:
            timer.cancel()
        quiet = now - self.last_change.get(uri, float("-inf")) > self.debounce
        self.last_change[uri] = now
        if quiet or self.debounce <= 0:
            self.pending[uri] = loop.call_soon(self.publish, uri)
        else:
            self.pending[uri] = loop.call_later(self.debounce, self.publish, uri)


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("mfc")
    except PackageNotFoundError:
        return "0"


def _base(document: Document) -> Path:
    return Path(document.path).resolve().parent if document.path else Path.cwd()


def create_server(store_root: Path | None = None, debounce: float = DEBOUNCE) -> ModelfileServer:
    """A language server for Modelfiles; ``store_root``: the store for FROM names."""
    server = ModelfileServer(store_root, debounce)

    @server.feature(types.TEXT_DOCUMENT_DID_OPEN)
    def did_open(ls: ModelfileServer, params: types.DidOpenTextDocumentParams) -> None:
        doc = params.text_document
        if is_modelfile(doc.uri, doc.language_id):
            ls.documents.open(doc.uri, doc.version, doc.text)
            ls.publish(doc.uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
    def did_change(ls: ModelfileServer, params: types.DidChangeTextDocumentParams) -> None:
        uri = params.text_document.uri
        if ls.documents.get(uri) is None:
            return
        changes: list[Change] = []
        for change in params.content_changes:
            if isinstance(change, types.TextDocumentContentChangePartial):
                start, end = change.range.start, change.range.end
                changes.append(((start.line, start.character), (end.line, end.character), change.text))
            else:
                changes.append((None, None, change.text))
        ls.documents.change(uri, params.text_document.version, changes)
        ls.analyses.pop(uri, None)
        ls.schedule(uri)

    @server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
    def did_close(ls: ModelfileServer, params: types.DidCloseTextDocumentParams) -> None:
        uri = params.text_document.uri
        timer = ls.pending.pop(uri, None)
        if timer is not None:
            timer.cancel()
        if ls.documents.get(uri) is not None:
            ls.documents.close(uri)
            ls.analyses.pop(uri, None)
            ls.last_change.pop(uri, None)
            ls.text_document_publish_diagnostics(types.PublishDiagnosticsParams(uri, []))

    @server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
    def watched(ls: ModelfileServer, params: types.DidChangeWatchedFilesParams) -> None:
        ls.configs.forget()
        ls.warned.clear()
        ls.analyses.clear()
        for document in ls.documents.all():
            ls.publish(document.uri)

    @server.feature(types.INITIALIZED)
    async def initialized(ls: ModelfileServer, params: types.InitializedParams) -> None:
        watching = ls.client_capabilities.workspace and ls.client_capabilities.workspace.did_change_watched_files
        if watching and watching.dynamic_registration:
            options = types.DidChangeWatchedFilesRegistrationOptions(
                watchers=[types.FileSystemWatcher(glob_pattern="**/pyproject.toml")]
            )
            registration = types.Registration("mfc-pyproject", types.WORKSPACE_DID_CHANGE_WATCHED_FILES, options)
            try:
                await ls.client_register_capability_async(types.RegistrationParams([registration]))
            except Exception as error:  # noqa: BLE001 - a client that refuses: pyproject.toml is still checked per lint
                log.info("the client did not register the pyproject.toml watcher: %s", error)

    @server.feature(types.TEXT_DOCUMENT_HOVER)
    def hover(ls: ModelfileServer, params: types.HoverParams) -> types.Hover | None:
        found = ls.analysis(params.text_document.uri)
        if found is None:
            return None
        doc = found.document
        offset = doc.lines.offset(params.position.line, params.position.character)
        text = hover_markdown(doc.text, found.modelfile, offset, _base(doc), ls.store)
        return types.Hover(types.MarkupContent(types.MarkupKind.Markdown, text)) if text else None

    @server.feature(
        types.TEXT_DOCUMENT_COMPLETION, types.CompletionOptions(trigger_characters=[".", " ", "/", "$", '"'])
    )
    def completion(ls: ModelfileServer, params: types.CompletionParams) -> types.CompletionList:
        found = ls.analysis(params.text_document.uri)
        if found is None:
            return types.CompletionList(is_incomplete=False, items=[])
        doc = found.document
        offset = doc.lines.offset(params.position.line, params.position.character)
        items = complete(doc.text, doc.lines, found.modelfile, offset, _base(doc), ls.store)
        return types.CompletionList(is_incomplete=False, items=items)

    @server.feature(types.TEXT_DOCUMENT_FORMATTING)
    def formatting(ls: ModelfileServer, params: types.DocumentFormattingParams) -> list[types.TextEdit]:
        doc = ls.documents.get(params.text_document.uri)
        return format_edits(doc.lines, doc.path) if doc is not None else []

    @server.feature(
        types.TEXT_DOCUMENT_CODE_ACTION,
        types.CodeActionOptions(code_action_kinds=[types.CodeActionKind.QuickFix, FIX_ALL]),
    )
    def actions(ls: ModelfileServer, params: types.CodeActionParams) -> list[types.CodeAction]:
        found = ls.analysis(params.text_document.uri)
        if found is None:
            return []
        doc = found.document
        return code_actions(doc.uri, doc.lines, found.diagnostics, params.range, params.context.only)

    @server.feature(types.TEXT_DOCUMENT_DOCUMENT_SYMBOL)
    def symbols(ls: ModelfileServer, params: types.DocumentSymbolParams) -> list[types.DocumentSymbol]:
        found = ls.analysis(params.text_document.uri)
        return document_symbols(found.document.lines, found.modelfile) if found is not None else []

    @server.feature(types.TEXT_DOCUMENT_SEMANTIC_TOKENS_FULL, LEGEND)
    def semantic(ls: ModelfileServer, params: types.SemanticTokensParams) -> types.SemanticTokens:
        found = ls.analysis(params.text_document.uri)
        if found is None:
            return types.SemanticTokens(data=[])
        doc = found.document
        return types.SemanticTokens(data=encode(doc.lines, document_tokens(doc.text, found.modelfile)))

    @server.feature(types.TEXT_DOCUMENT_DEFINITION)
    def goto(ls: ModelfileServer, params: types.DefinitionParams) -> types.Location | None:
        found = ls.analysis(params.text_document.uri)
        if found is None:
            return None
        doc = found.document
        offset = doc.lines.offset(params.position.line, params.position.character)
        return definition(doc.text, found.modelfile, offset, _base(doc), ls.store)

    return server


def serve_lsp(store: str | None = None, *, tcp: int | None = None, log_file: str | None = None) -> None:
    """Serve on standard input and output, or on ``127.0.0.1:tcp``, until the client
    exits; ``store``: the model store (``default_root``'s choice when None); the log
    (warnings and errors) goes to ``log_file``, else standard error."""
    handler: logging.Handler = logging.FileHandler(log_file) if log_file else logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    logging.basicConfig(level=logging.WARNING, handlers=[handler], force=True)
    server = create_server(default_root(store))
    if tcp is not None:
        try:
            server.start_tcp("127.0.0.1", tcp)
        except OSError as error:
            reason = os.strerror(error.errno) if error.errno else str(error)
            raise LspError(f"mfc lsp: cannot listen on 127.0.0.1:{tcp}: {reason}") from None
    else:  # pygls closes its writer at the end: give it one that leaves standard output open
        server.start_io(sys.stdin.buffer, os.fdopen(sys.stdout.fileno(), "wb", closefd=False))
