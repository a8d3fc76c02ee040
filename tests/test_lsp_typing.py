"""``mfc lsp`` while a Modelfile is typed: diagnostics always equal a fresh lint of the
text the editor holds, the server never logs an exception, and its memory stays flat.

The replay types every file of the parser corpus (84 files, about 40 s on a quiet
2-core machine), each in about 30 incremental edits: a stride over its prefixes, not
every one of them (every prefix of the 604 KB corpus would be some 600,000 edits, each
linted again: hours), with a deletion and retyping every fifth edit and a
40-character paste every tenth; after each edit the diagnostics published for that
version are checked, and every tenth version hover, completion, tokens, symbols,
definition and code actions are asked for at the cursor."""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsp_client import expected, open_document, position_of, published, received, replace, server_config
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from vectors import corpus_dir

import modelfile
from modelfile.go.decoding import decode

WORK = Path(tempfile.mkdtemp(prefix="mfc-lsp-typing-"))
LOG = WORK / "server.log"
atexit.register(shutil.rmtree, WORK, True)  # the servers are stopped by then


@pytest_lsp.fixture(config=server_config(LOG, {**os.environ, "MFC_MODELS": str(WORK / "store")}))
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    await lsp_client.initialize_session(types.InitializeParams(capabilities=client_capabilities("neovim")))
    yield
    await lsp_client.shutdown_session()


def steps(text: str, count: int = 30) -> list[tuple[int, int, str]]:
    """Edits (start offset, end offset, new text) that type ``text`` from nothing."""
    stride = max(1, len(text) // count)
    edits: list[tuple[int, int, str]] = []
    at = 0
    index = 0
    while at < len(text):
        index += 1
        size = 40 if index % 10 == 0 else stride
        chunk = text[at : at + size]
        edits.append((at, at, chunk))
        at += len(chunk)
        if index % 5 == 0 and at >= 3:
            edits.append((at - 3, at, ""))  # a deletion, then the same text typed again
            edits.append((at - 3, at - 3, text[at - 3 : at]))
    return edits


def check(path: Path, text: str, got: list[types.Diagnostic]) -> None:
    fresh = [d.to_dict() for d in modelfile.lint_bytes(text.encode("utf-8", "replace"), path=str(path))]
    assert received(got) == expected(text, fresh), (path.name, text[-80:])


@pytest.mark.asyncio
async def test_typing_replay(client: LanguageClient) -> None:
    folder = corpus_dir()
    if folder is None:
        pytest.skip("parser corpus not found (../shared/vectors/parser/corpus; set MFC_VECTORS)")
    files = sorted(p for p in folder.iterdir() if modelfile.is_modelfile_name(p.name))
    for path in files:
        target = decode(path.read_bytes())
        uri = (WORK / path.name).as_uri()
        text = ""
        check(path, text, await open_document(client, uri, text))
        for version, (start, end, new) in enumerate(steps(target), start=2):
            replace(client, uri, version, position_of(text, start), position_of(text, end), new)
            text = text[:start] + new + text[end:]
            check(WORK / path.name, text, await published(client, uri, version))
            if version % 10 == 0:  # the other features, on a half-typed file, at the cursor
                await every_feature(client, uri, position_of(text, start + len(new)))
        assert text == target
        client.text_document_did_close(types.DidCloseTextDocumentParams(types.TextDocumentIdentifier(uri)))
    log = LOG.read_text(encoding="utf-8") if LOG.exists() else ""
    assert "Traceback" not in log and "ERROR" not in log, log


async def every_feature(client: LanguageClient, uri: str, at: tuple[int, int]) -> None:
    """Hover, completion, tokens, symbols, actions and definition answer without failing."""
    doc = types.TextDocumentIdentifier(uri)
    position = types.Position(*at)
    await client.text_document_hover_async(types.HoverParams(doc, position))
    await client.text_document_completion_async(types.CompletionParams(doc, position))
    await client.text_document_semantic_tokens_full_async(types.SemanticTokensParams(doc))
    await client.text_document_document_symbol_async(types.DocumentSymbolParams(doc))
    await client.text_document_definition_async(types.DefinitionParams(doc, position))
    whole = types.Range(types.Position(0, 0), position)
    await client.text_document_code_action_async(types.CodeActionParams(doc, whole, types.CodeActionContext([])))


def rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@pytest.mark.asyncio
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="reads the server's RSS from /proc")
async def test_memory_flat_over_ten_thousand_edits(client: LanguageClient) -> None:
    text = "FROM llama3.2\nPARAMETER temperature 0.7\nSYSTEM Be brief.\n" * 20
    uri = (WORK / "memory.Modelfile").as_uri()
    await open_document(client, uri, text)
    pid = client._server.pid  # type: ignore[attr-defined]
    version = 1
    sizes = []
    for _round in range(10):
        for _ in range(1000):
            version += 1
            if version % 2 == 0:
                replace(client, uri, version, (1, 22), (1, 22), "5")
            else:
                replace(client, uri, version, (1, 22), (1, 23), "")
        await published(client, uri, version)
        sizes.append(rss_kib(pid))
    growth = sizes[-1] - sizes[1]  # after the first thousand: warmed up
    assert growth < 8 * 1024, f"RSS grew {growth} KiB over 9,000 edits: {sizes}"
