"""A real LSP client (pytest-lsp's, over stdio) for ``mfc lsp``, keeping every
``publishDiagnostics`` with its version so that a test can wait for the diagnostics
of the text it just sent; and the conversion of ``mfc lint``'s positions to LSP's,
written out here independently of the server's."""

from __future__ import annotations

import asyncio
import re
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.protocol import default_converter
from pytest_lsp import ClientServerConfig, LanguageClient
from pytest_lsp.client import DEFAULT_CLIENT_FEATURES, register_lsp_features


def make_client() -> LanguageClient:
    client = LanguageClient(converter_factory=default_converter)
    client.published = []  # type: ignore[attr-defined]

    def publish(client: LanguageClient, params: types.PublishDiagnosticsParams) -> None:
        client.diagnostics[params.uri] = params.diagnostics
        client.published.append(params)  # type: ignore[attr-defined]

    def register(client: LanguageClient, params: types.RegistrationParams) -> None:
        """Accept the server's dynamic registrations, as editors do (and keep them)."""
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    client.registrations = []  # type: ignore[attr-defined]
    features = {
        **DEFAULT_CLIENT_FEATURES,
        types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS: publish,
        types.CLIENT_REGISTER_CAPABILITY: register,
    }
    register_lsp_features(client, features)
    return client


def server_config(log: Path, env: dict[str, str] | None = None) -> ClientServerConfig:
    command = [sys.executable, "-m", "builder.cli.main", "lsp", "--log", str(log)]
    return ClientServerConfig(server_command=command, client_factory=make_client, server_env=env)


async def published(
    client: LanguageClient, uri: str, version: int | None, timeout: float = 60
) -> list[types.Diagnostic]:
    """The diagnostics published for ``uri`` at ``version`` (waiting for them)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while True:
        for params in reversed(client.published):  # type: ignore[attr-defined]
            if params.uri == uri and (version is None or params.version == version):
                return list(params.diagnostics)
        if loop.time() > deadline:
            raise AssertionError(f"no diagnostics for {uri} version {version}")
        await asyncio.sleep(0.002)


def utf16_column(line: str, column: int) -> int:
    """LSP character of a 1-based code-point column of ``line``."""
    prefix = line[: column - 1]
    return len(prefix.encode("utf-16-le")) // 2 + max(0, column - 1 - len(line))


def expected(text: str, found: list[dict[str, Any]]) -> list[tuple[Any, ...]]:
    """``mfc lint --format json`` records as (code, severity, range, message) in LSP terms."""
    lines = re.split(r"\r\n|\r|\n", text)
    severities = {"error": 1, "warning": 2, "info": 3}

    def at(line: int, column: int) -> tuple[int, int]:
        return line - 1, utf16_column(lines[line - 1] if line - 1 < len(lines) else "", column)

    return [
        (
            d["code"],
            severities[d["severity"]],
            (at(d["line"], d["column"]), at(d["end_line"], d["end_column"])),
            d["message"] + (f"\n{d['hint']}" if d["hint"] else ""),
        )
        for d in found
    ]


def received(diagnostics: list[types.Diagnostic]) -> list[tuple[Any, ...]]:
    return [
        (
            d.code,
            int(d.severity) if d.severity is not None else None,
            ((d.range.start.line, d.range.start.character), (d.range.end.line, d.range.end.character)),
            d.message,
        )
        for d in diagnostics
    ]


async def open_document(client: LanguageClient, uri: str, text: str, version: int = 1) -> list[types.Diagnostic]:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            types.TextDocumentItem(uri=uri, language_id="modelfile", version=version, text=text)
        )
    )
    return await published(client, uri, version)


def replace(
    client: LanguageClient, uri: str, version: int, start: tuple[int, int], end: tuple[int, int], text: str
) -> None:
    change = types.TextDocumentContentChangePartial(
        range=types.Range(types.Position(*start), types.Position(*end)), text=text
    )
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(uri=uri, version=version), [change])
    )


def position_of(text: str, offset: int) -> tuple[int, int]:
    """LSP position of a code-point offset."""
    before = text[:offset]
    line = len(re.findall(r"\r\n|\r|\n", before))
    start = max(before.rfind("\n"), before.rfind("\r")) + 1
    return line, len(before[start:].encode("utf-16-le")) // 2
