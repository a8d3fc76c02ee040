"""Latency of ``mfc lsp`` as an editor sees it, through a real LSP client over stdio:
diagnostics published after an edit of a 200-line Modelfile (goal: median within 50 ms,
the debounce included), hover and completion answers (goal: median within 20 ms).

    python benchmarks/lsp_latency.py [ROUNDS]

Each round is one incremental edit (a character typed or deleted in a MESSAGE line)
followed by waiting for the diagnostics of that version, then a hover and a completion
request.  The cores may be shared: the load average is printed too.

Measured 2026-12-06 09:23 UTC on a quiet 2-core machine (load average 0.8): diagnostics
median 35.3 ms (p90 36.0), hover 1.3 ms, completion 1.9 ms: every goal met.  With four
other engineers' tests running (load average 5-8) the diagnostics median was 61-114 ms:
the time is the lint itself (mostly Lark parsing), which a loaded core slows.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import sys
import time

from lsprotocol import types
from processes import REPO, load
from pygls.lsp.client import LanguageClient

DIAGNOSTICS_GOAL = 0.050
REQUEST_GOAL = 0.020


def modelfile_200() -> str:
    """A 200-line Modelfile: FROM, a template, parameters, a system prompt, messages."""
    template = (
        "{{- range $i, $m := .Messages }}\n<|im_start|>{{ .Role }}\n{{ .Content }}<|im_end|>\n{{ end }}\n"
        "{{ if .Tools }}{{ json .Tools }}{{ end }}\n<|im_start|>assistant\n"
    )
    lines = ["FROM ./model.gguf", f'TEMPLATE """{template}"""', "PARAMETER temperature 0.7", "PARAMETER top_k 40"]
    lines += ['PARAMETER stop "<|im_end|>"', 'SYSTEM """You are a helpful assistant.', "Answer briefly.", '"""']
    while len(lines) < 200:
        lines.append(f"MESSAGE user question {len(lines)} about the weather?")
        lines.append(f"MESSAGE assistant answer {len(lines)}: it is sunny.")
    return "\n".join(lines[:200]) + "\n"


async def measure(rounds: int) -> dict[str, list[float]]:
    client = LanguageClient("bench", "1")
    versions: dict[int, float] = {}
    arrived: dict[int, float] = {}

    @client.feature(types.TEXT_DOCUMENT_PUBLISH_DIAGNOSTICS)
    def published(params: types.PublishDiagnosticsParams) -> None:
        if params.version is not None:
            arrived[params.version] = time.perf_counter()

    env = {**os.environ, "PYTHONPATH": str(REPO), "MFC_MODELS": ""}
    await client.start_io(sys.executable, "-m", "builder.cli.main", "lsp", env=env)
    await client.initialize_async(types.InitializeParams(capabilities=types.ClientCapabilities()))
    client.initialized(types.InitializedParams())
    text = modelfile_200()
    uri = (REPO / "benchmarks" / "bench.Modelfile").as_uri()
    client.text_document_did_open(types.DidOpenTextDocumentParams(types.TextDocumentItem(uri, "modelfile", 1, text)))
    times: dict[str, list[float]] = {"diagnostics": [], "hover": [], "completion": []}
    doc = types.TextDocumentIdentifier(uri)
    for version in range(2, rounds + 2):
        line = 100 + version % 50
        start = types.Position(line, 15)
        end = types.Position(line, 15 if version % 2 == 0 else 16)
        change = types.TextDocumentContentChangePartial(
            range=types.Range(start, end), text="x" if version % 2 == 0 else ""
        )
        sent = versions[version] = time.perf_counter()
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(types.VersionedTextDocumentIdentifier(version=version, uri=uri), [change])
        )
        while version not in arrived:
            await asyncio.sleep(0.0005)
        times["diagnostics"].append(arrived[version] - sent)
        began = time.perf_counter()
        await client.text_document_hover_async(types.HoverParams(doc, types.Position(2, 12)))
        times["hover"].append(time.perf_counter() - began)
        began = time.perf_counter()
        await client.text_document_completion_async(types.CompletionParams(doc, types.Position(3, 10)))
        times["completion"].append(time.perf_counter() - began)
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return times


def main(rounds: int = 200) -> None:
    print(f"{rounds} rounds on a 200-line Modelfile; {load()}")
    times = asyncio.run(measure(rounds))
    for name, values in times.items():
        goal = DIAGNOSTICS_GOAL if name == "diagnostics" else REQUEST_GOAL
        median = statistics.median(values)
        verdict = "meets" if median <= goal else "MISSES"
        p90 = sorted(values)[int(len(values) * 0.9)]
        print(
            f"{name:12} median {median * 1000:6.1f} ms  p90 {p90 * 1000:6.1f} ms  goal {goal * 1000:.0f} ms: {verdict}"
        )


if __name__ == "__main__":
    main(*(int(arg) for arg in sys.argv[1:2]))
