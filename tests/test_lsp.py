"""``mfc lsp`` end to end: the real server over stdio, driven by pytest-lsp's client.

Diagnostics equal ``mfc lint --format json`` (every file of the parser corpus, and
while typing), hover texts, completion inside each command kind and inside TEMPLATE,
formatting equal to ``mfc fmt``, a quick fix resolving each fixable diagnostic, semantic
tokens covering every character of a template, definition targets, the workspace's
``[tool.mfc.lint]`` honoured and reloaded, memory flat over 10,000 edits."""

from __future__ import annotations

import asyncio
import atexit
import errno
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_lsp
from lsp_client import expected, open_document, position_of, published, received, replace, server_config
from lsprotocol import types
from pytest_lsp import LanguageClient, client_capabilities
from serving import tiny_model
from vectors import corpus_dir

import modelfile
from modelfile.go.decoding import decode

REPO = Path(__file__).resolve().parent.parent
WORK = Path(tempfile.mkdtemp(prefix="mfc-lsp-"))
LOG = WORK / "server.log"
atexit.register(shutil.rmtree, WORK, True)  # the servers are stopped by then
STORE = WORK / "store"


@pytest_lsp.fixture(
    config=server_config(LOG, {**os.environ, "MFC_MODELS": str(STORE), "XDG_CACHE_HOME": str(WORK / "cache")})
)
async def client(lsp_client: LanguageClient) -> AsyncIterator[None]:
    params = types.InitializeParams(capabilities=client_capabilities("neovim"), root_uri=WORK.as_uri())
    lsp_client.init_result = await lsp_client.initialize_session(params)  # type: ignore[attr-defined]
    yield
    await lsp_client.shutdown_session()


def mfc(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "builder.cli.main", *args], input=data, capture_output=True, env=env)


def file_uri(name: str, text: str | None = None) -> tuple[Path, str]:
    path = WORK / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if text is not None:
        path.write_text(text, encoding="utf-8", newline="")
    return path, path.as_uri()


def log_is_clean() -> None:
    text = LOG.read_text(encoding="utf-8") if LOG.exists() else ""
    assert "Traceback" not in text and "ERROR" not in text, text


@pytest.mark.asyncio
async def test_capabilities(client: LanguageClient) -> None:
    caps = client.init_result.capabilities  # type: ignore[attr-defined]
    sync = caps.text_document_sync
    assert sync is not None and getattr(sync, "change", sync) == types.TextDocumentSyncKind.Incremental
    assert caps.hover_provider and caps.document_formatting_provider and caps.definition_provider
    assert caps.completion_provider is not None and "." in (caps.completion_provider.trigger_characters or [])
    assert caps.code_action_provider and caps.document_symbol_provider
    assert caps.semantic_tokens_provider is not None


@pytest.mark.asyncio
async def test_corpus_diagnostics_equal_mfc_lint(client: LanguageClient) -> None:
    """Every corpus file, opened as an editor shows it, gets what `mfc lint --format
    json` prints for the file: codes, severities, ranges (UTF-16), messages and hints."""
    folder = corpus_dir()
    if folder is None:
        pytest.skip("parser corpus not found (../shared/vectors/parser/corpus; set MFC_VECTORS)")
    files = sorted(p for p in folder.iterdir() if modelfile.is_modelfile_name(p.name))
    assert files
    lint = json.loads(mfc("lint", "--format", "json", *map(str, files)).stdout)
    for path in files:
        text = decode(path.read_bytes())
        got = received(await open_document(client, path.as_uri(), text))
        assert got == expected(text, [d for d in lint if d["path"] == str(path)]), path.name
        links = {d.code: d.code_description for d in client.diagnostics[path.as_uri()]}
        assert all(link is not None and link.href.endswith("#" + code.lower()) for code, link in links.items())
    log_is_clean()


@pytest.mark.asyncio
async def test_hover(client: LanguageClient) -> None:
    text = (
        "FROM ./weights.gguf\nPARAMETER temperature 0.7\nPARAMETER mirostat 1\nPARAMETER num_ctx 9000\n"
        'TEMPLATE """{{ .System }}{{ range .Messages }}{{ json .ToolCalls }}{{ end }}"""\nMESSAGE user hi\n'
    )
    _, uri = file_uri("hover/Modelfile", text)
    from ggufs import write_gguf

    write_gguf(WORK / "hover" / "weights.gguf", {"general.architecture": "llama", "llama.context_length": 4096})
    await open_document(client, uri, text)

    async def hover(needle: str, shift: int = 1) -> str:
        line, character = position_of(text, text.index(needle) + shift)
        found = await client.text_document_hover_async(
            types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(line, character))
        )
        assert found is not None, needle
        assert isinstance(found.contents, types.MarkupContent)
        return found.contents.value

    assert (await hover("FROM")).startswith("**FROM**")
    weights = await hover("./weights")
    assert "architecture: llama" in weights and "context length: 4096" in weights
    temperature = await hover("temperature")
    assert "float, per request" in temperature and "default: 0.8" in temperature and "between 0 and 2" in temperature
    assert "deprecated" in await hover("mirostat")
    num_ctx = await hover("num_ctx")
    assert "load time" in num_ctx and "context length: 4096" in num_ctx and "9000 is above" in num_ctx
    assert (await hover(".System", 2)).startswith("**.System**")
    assert "(function)" in await hover("json")
    assert (await hover("range")).startswith("**range**")
    assert "message from the user" in await hover("user hi")


async def items_at(client: LanguageClient, uri: str, text: str, offset: int) -> list[str]:
    line, character = position_of(text, offset)
    found = await client.text_document_completion_async(
        types.CompletionParams(types.TextDocumentIdentifier(uri), types.Position(line, character))
    )
    assert isinstance(found, types.CompletionList)
    return [item.label for item in found.items]


@pytest.mark.asyncio
async def test_completion_in_each_command_kind(client: LanguageClient) -> None:
    tiny_model(WORK / "tiny", STORE, "tiny-model", 'TEMPLATE """{{ .Prompt }}<|im_end|>"""\n')
    (WORK / "complete").mkdir(exist_ok=True)
    (WORK / "complete" / "adapter.gguf").write_bytes(b"GGUF")
    cases = [
        ("FROM x\nPA", "keyword", ["PARAMETER"]),
        ("FROM x\nPARAMETER tem", "parameter", ["temperature", "top_k"]),
        ("FROM x\nPARAMETER use_mmap ", "bool", ["true", "false"]),
        ("FROM x\nMESSAGE ", "role", ["system", "user", "assistant"]),
        ("FROM ", "model", ["tiny-model:latest"]),
        ("FROM x\nADAPTER ./", "path", ["./adapter.gguf"]),
        ("FROM tiny-model\nPARAMETER stop ", "stop from the store model", ["<|im_end|>"]),
        ('FROM x\nTEMPLATE """<|eot_id|>"""\nPARAMETER stop ', "stop from TEMPLATE", ["<|eot_id|>"]),
        ('FROM x\nTEMPLATE """{{ .', "template field", [".System", ".Messages", ".ToolCalls"]),
        ('FROM x\nTEMPLATE """{{ if .System }}{{ js', "template function", ["json", "slice", "range"]),
    ]
    for index, (text, what, wanted) in enumerate(cases):
        _, uri = file_uri(f"complete/case{index}.Modelfile", text)
        await open_document(client, uri, text)
        labels = await items_at(client, uri, text, len(text))
        assert all(label in labels or f'"{label}"' in labels for label in wanted), (what, labels)
    text = 'FROM x\nTEMPLATE """literal text'
    _, uri = file_uri("complete/literal.Modelfile", text)
    await open_document(client, uri, text)
    assert await items_at(client, uri, text, len(text)) == []  # not inside an action


@pytest.mark.asyncio
async def test_formatting_equals_mfc_fmt(client: LanguageClient) -> None:
    text = 'from   llama3.2\n\n\n  parameter temperature   0.7\n# note\nsystem  "hello"\n'
    _, uri = file_uri("fmt/Modelfile", text)
    await open_document(client, uri, text)
    edits = await client.text_document_formatting_async(
        types.DocumentFormattingParams(types.TextDocumentIdentifier(uri), types.FormattingOptions(4, True))
    )
    assert edits is not None and len(edits) == 1
    cli = mfc("fmt", "-", "--stdin-filename", "Modelfile", data=text.encode())
    assert edits[0].new_text == cli.stdout.decode() != text
    assert edits[0].range.start == types.Position(0, 0)
    assert edits[0].range.end == types.Position(*position_of(text, len(text)))


def applied(text: str, edits: list[types.TextEdit]) -> str:
    def offset(position: types.Position) -> int:
        lines = text.splitlines(keepends=True)
        return sum(len(line) for line in lines[: position.line]) + position.character

    for edit in sorted(edits, key=lambda e: (e.range.start.line, e.range.start.character), reverse=True):
        text = text[: offset(edit.range.start)] + edit.new_text + text[offset(edit.range.end) :]
    return text


@pytest.mark.asyncio
async def test_code_actions_resolve_each_fixable_diagnostic(client: LanguageClient) -> None:
    text = "FROM llama3.2\nPARAMETER Temperature 0.7\nSYSTEM Be\u200b brief.\nparameter top_k 40\n"
    _, uri = file_uri("fix/Modelfile", text)
    diagnostics = await open_document(client, uri, text)
    fixable = [d for d in diagnostics if d.data and d.data["fixable"]]
    assert len(fixable) >= 2
    for diagnostic in fixable:
        actions = await client.text_document_code_action_async(
            types.CodeActionParams(
                types.TextDocumentIdentifier(uri), diagnostic.range, types.CodeActionContext([diagnostic])
            )
        )
        quick = [
            a
            for a in actions or []
            if isinstance(a, types.CodeAction)
            and a.kind == types.CodeActionKind.QuickFix
            and a.diagnostics
            and a.diagnostics[0].code == diagnostic.code
        ]
        assert quick, diagnostic
        assert quick[0].edit is not None and quick[0].edit.changes is not None
        fixed = applied(text, quick[0].edit.changes[uri])
        left = [(d.code, d.line) for d in modelfile.lint_bytes(fixed.encode())]
        assert (diagnostic.code, diagnostic.range.start.line + 1) not in left, (diagnostic, fixed)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            types.TextDocumentIdentifier(uri),
            types.Range(types.Position(0, 0), types.Position(0, 0)),
            types.CodeActionContext([], only=[types.CodeActionKind.SourceFixAll]),
        )
    )
    fix_all = [
        a for a in actions or [] if isinstance(a, types.CodeAction) and a.kind == types.CodeActionKind.SourceFixAll
    ]
    assert fix_all and fix_all[0].edit is not None and fix_all[0].edit.changes is not None
    assert applied(text, fix_all[0].edit.changes[uri]) == modelfile.fix(text.encode()).data.decode()


@pytest.mark.asyncio
async def test_semantic_tokens_cover_every_character_of_a_template(client: LanguageClient) -> None:
    template = (
        "{{- range $i, $m := .Messages }}{{/* note */}}<|im_start|>{{ .Role }}\r\n"
        '{{ if eq .Role "user" }}{{ slice .Content 0 3 }}{{ else }}{{ json .ToolCalls }}{{ end }}😀\n{{ end -}}'
    )
    text = f'FROM x\nPARAMETER top_k 40\n# c\nTEMPLATE """{template}"""\n'
    _, uri = file_uri("tokens/Modelfile", text)
    await open_document(client, uri, text)
    found = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(types.TextDocumentIdentifier(uri))
    )
    assert found is not None
    legend = client.init_result.capabilities.semantic_tokens_provider.legend.token_types  # type: ignore[attr-defined]
    covered: dict[tuple[int, int], str] = {}
    line = start = 0
    data = found.data
    for index in range(0, len(data), 5):
        line += data[index]
        start = data[index + 1] if data[index] else start + data[index + 1]
        for unit in range(data[index + 2]):
            assert (line, start + unit) not in covered  # no overlaps
            covered[(line, start + unit)] = legend[data[index + 3]]
    begin = text.index(template)
    units = []  # every UTF-16 unit of the template, line ends excepted
    for offset in range(begin, begin + len(template)):
        if text[offset] in "\r\n":
            continue
        row, column = position_of(text, offset)
        units += [(row, column + k) for k in range(len(text[offset].encode("utf-16-le")) // 2)]
    assert [u for u in units if u not in covered] == []
    kinds = {covered[position_of(text, text.index(n) + 1)] for n in (".Messages", "range", "$m", "json", '"user"')}
    assert kinds == {"property", "keyword", "variable", "function", "string"}
    assert covered[position_of(text, text.index("top_k"))] == "property"
    assert covered[position_of(text, text.index("40"))] == "number"


@pytest.mark.asyncio
async def test_definition_targets(client: LanguageClient) -> None:
    tiny_model(WORK / "tiny2", STORE, "defined", "SYSTEM Be brief.\n")
    (WORK / "define" / "lora").mkdir(parents=True, exist_ok=True)
    (WORK / "define" / "lora" / "adapter_model.safetensors").write_bytes(b"x")
    (WORK / "define" / "w.gguf").write_bytes(b"GGUF")
    text = "FROM ./w.gguf\nADAPTER ./lora\nDRAFT defined\n"
    _, uri = file_uri("define/Modelfile", text)
    await open_document(client, uri, text)

    async def target(needle: str) -> str:
        found = await client.text_document_definition_async(
            types.DefinitionParams(
                types.TextDocumentIdentifier(uri), types.Position(*position_of(text, text.index(needle) + 2))
            )
        )
        assert isinstance(found, types.Location), needle
        return found.uri

    assert await target("./w.gguf") == (WORK / "define" / "w.gguf").as_uri()
    assert await target("./lora") == (WORK / "define" / "lora" / "adapter_model.safetensors").as_uri()
    shown = Path(
        types.Location(await target("defined"), types.Range(types.Position(0, 0), types.Position(0, 0))).uri[7:]
    )
    assert shown.read_text() == mfc("show", "defined", "--modelfile", "--store", str(STORE)).stdout.decode()
    assert not os.access(shown, os.W_OK) or os.geteuid() == 0


@pytest.mark.asyncio
async def test_symbols(client: LanguageClient) -> None:
    text = "FROM llama3.2\nPARAMETER temperature 0.7\nMESSAGE user hi\n"
    _, uri = file_uri("symbols/Modelfile", text)
    await open_document(client, uri, text)
    found = await client.text_document_document_symbol_async(
        types.DocumentSymbolParams(types.TextDocumentIdentifier(uri))
    )
    assert [s.name for s in found or []] == ["FROM llama3.2", "PARAMETER temperature", "MESSAGE user"]


@pytest.mark.asyncio
async def test_workspace_config_honoured_and_reloaded(client: LanguageClient) -> None:
    folder = WORK / "configured"
    folder.mkdir(exist_ok=True)
    (folder / "pyproject.toml").write_text('[tool.mfc.lint]\nignore = ["MF201"]\n')
    text = "FROM llama3.2\nPARAMETER temprature 0.7\n"
    _, uri = file_uri("configured/Modelfile", text)
    assert "MF201" not in [d.code for d in await open_document(client, uri, text)]
    (folder / "pyproject.toml").write_text("[tool.mfc.lint]\nignore = []\n")
    before = len(client.published)  # type: ignore[attr-defined]
    client.workspace_did_change_watched_files(
        types.DidChangeWatchedFilesParams(
            [types.FileEvent((folder / "pyproject.toml").as_uri(), types.FileChangeType.Changed)]
        )
    )
    while not [p for p in client.published[before:] if p.uri == uri]:  # type: ignore[attr-defined]
        await asyncio.sleep(0.005)
    assert "MF201" in [d.code for d in client.diagnostics[uri]]


@pytest.mark.asyncio
async def test_inline_suppression(client: LanguageClient) -> None:
    text = "FROM llama3.2\n# mfc: ignore[MF201]\nPARAMETER temprature 0.7\nPARAMETER top_kk 4\n"
    _, uri = file_uri("suppressed/Modelfile", text)
    found = await open_document(client, uri, text)
    assert [(d.code, d.range.start.line) for d in found if d.code == "MF201"] == [("MF201", 3)]


@pytest_lsp.fixture(
    config=server_config(LOG, {**os.environ, "MFC_MODELS": str(STORE)}),
    params=["visual-studio-code", "neovim", "emacs"],
)
async def editor(lsp_client: LanguageClient, request: pytest.FixtureRequest) -> AsyncIterator[None]:
    """A client announcing a real editor's capabilities (pytest-lsp's recorded ones)."""
    lsp_client.editor_name = request.param  # type: ignore[attr-defined]
    await lsp_client.initialize_session(types.InitializeParams(capabilities=client_capabilities(request.param)))
    yield
    await lsp_client.shutdown_session()


@pytest.mark.asyncio
async def test_a_session_with_each_editors_capabilities(editor: LanguageClient) -> None:
    text = 'FROM llama3.2\nPARAMETER temprature 0.7\nTEMPLATE """{{ .Prompt }}"""\n'
    _, uri = file_uri("editors/Modelfile", text)
    assert [d.code for d in await open_document(editor, uri, text)] == ["MF201"]
    replace(editor, uri, 2, (1, 10), (1, 20), "temperature")
    assert await published(editor, uri, 2) == []
    hover = await editor.text_document_hover_async(
        types.HoverParams(types.TextDocumentIdentifier(uri), types.Position(1, 12))
    )
    assert hover is not None and "temperature" in str(hover.contents)
    tokens = await editor.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(types.TextDocumentIdentifier(uri))
    )
    assert tokens is not None and tokens.data
    capabilities = client_capabilities(editor.editor_name)  # type: ignore[attr-defined]
    dynamic = capabilities.workspace and capabilities.workspace.did_change_watched_files
    if dynamic and dynamic.dynamic_registration:  # the server asks to be told of pyproject.toml changes
        for _ in range(1000):
            if editor.registrations:  # type: ignore[attr-defined]
                break
            await asyncio.sleep(0.005)
        assert [r.method for r in editor.registrations] == [types.WORKSPACE_DID_CHANGE_WATCHED_FILES]  # type: ignore[attr-defined]
    log_is_clean()


@pytest.mark.asyncio
async def test_hover_on_a_store_model_and_tokens_while_a_template_is_open(client: LanguageClient) -> None:
    tiny_model(WORK / "tiny3", STORE, "hovered", "SYSTEM Be brief.\n", **{"test.context_length": 2048})
    text = 'FROM hovered\nPARAMETER num_ctx 4096\nTEMPLATE """{{ .Prompt'
    _, uri = file_uri("store-hover/Modelfile", text)
    await open_document(client, uri, text)

    async def hover(needle: str) -> str:
        position = types.Position(*position_of(text, text.index(needle) + 1))
        found = await client.text_document_hover_async(types.HoverParams(types.TextDocumentIdentifier(uri), position))
        assert found is not None and isinstance(found.contents, types.MarkupContent), needle
        return found.contents.value

    shown = await hover("hovered")
    assert "a model of the store" in shown and "layer `model`" in shown and "layer `system`" in shown
    assert "context length: 2048" in shown and "4096 is above the model's context length 2048" in await hover("num_ctx")
    tokens = await client.text_document_semantic_tokens_full_async(
        types.SemanticTokensParams(types.TextDocumentIdentifier(uri))
    )
    assert tokens is not None
    legend = client.init_result.capabilities.semantic_tokens_provider.legend.token_types  # type: ignore[attr-defined]
    kinds = [legend[tokens.data[i + 3]] for i in range(0, len(tokens.data), 5)]
    assert kinds == ["keyword", "keyword", "keyword", "macro", "property"]  # the file does not parse yet


def rpc(payload: dict[str, object]) -> bytes:
    body = json.dumps(payload).encode()
    return b"Content-Length: %d\r\n\r\n" % len(body) + body


def test_a_session_ends_with_exit_code_0() -> None:
    """initialize, initialized, shutdown, exit: the process ends cleanly with 0."""
    init = {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"processId": None, "capabilities": {}}}
    session = [init, {"jsonrpc": "2.0", "method": "initialized", "params": {}}]
    session += [{"jsonrpc": "2.0", "id": 2, "method": "shutdown"}, {"jsonrpc": "2.0", "method": "exit"}]
    result = mfc("lsp", data=b"".join(rpc(message) for message in session))
    assert result.returncode == 0, result.stderr
    assert result.stdout.count(b"Content-Length") == 2 and b'"id": 2' in result.stdout.replace(b'"id":2', b'"id": 2')
    assert result.stderr == b""


def test_a_busy_tcp_port_is_one_line_and_exit_1() -> None:
    import socket

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = mfc("lsp", "--tcp", str(port))
    assert result.returncode == 1
    assert result.stderr.decode().strip().splitlines() == [
        f"error: mfc lsp: cannot listen on 127.0.0.1:{port}: {os.strerror(errno.EADDRINUSE)}"
    ]


@pytest.mark.asyncio
async def test_a_broken_config_is_shown_once_and_linted_with_the_defaults(client: LanguageClient) -> None:
    folder = WORK / "broken-config"
    folder.mkdir(exist_ok=True)
    (folder / "pyproject.toml").write_text('[tool.mfc.lint]\nignore = ["MF9999"]\n')
    text = "FROM llama3.2\nPARAMETER temprature 0.7\n"
    _, uri = file_uri("broken-config/Modelfile", text)
    assert [d.code for d in await open_document(client, uri, text)] == ["MF201"]
    replace(client, uri, 2, (1, 0), (1, 0), "")
    await published(client, uri, 2)
    shown = [m for m in client.messages if "MF9999" in m.message]
    assert len(shown) == 1 and shown[0].type == types.MessageType.Error


def test_tcp_answers_initialize() -> None:
    """`mfc lsp --tcp PORT` (for debugging) speaks the same protocol on a socket."""
    import socket
    import time

    from serving import free_port

    port = free_port()
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    server = subprocess.Popen([sys.executable, "-m", "builder.cli.main", "lsp", "--tcp", str(port)], env=env)
    try:
        for _ in range(300):
            try:
                connection = socket.create_connection(("127.0.0.1", port), timeout=30)
                break
            except OSError:
                time.sleep(0.1)
        else:
            raise AssertionError("mfc lsp --tcp did not listen")
        with connection:
            init = {
                "jsonrpc": "2.0",
                "id": 1,
                "method": "initialize",
                "params": {"processId": None, "capabilities": {}},
            }
            connection.sendall(rpc(init))
            header = connection.recv(4096)
            while b"\r\n\r\n" not in header:
                header += connection.recv(4096)
            head, _, body = header.partition(b"\r\n\r\n")
            length = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
            while len(body) < length:
                body += connection.recv(4096)
        answer = json.loads(body)
        assert answer["id"] == 1 and answer["result"]["capabilities"]["hoverProvider"] is True
        assert answer["result"]["serverInfo"]["name"] == "mfc-lsp"
    finally:
        server.terminate()
        server.wait(30)
