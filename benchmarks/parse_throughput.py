"""Parse throughput of mfc's grammar parser, and whole-corpus lint time.

    python benchmarks/parse_throughput.py [CORPUS_DIR]

Reports MB/s for ``modelfile.parse`` over the real-world corpus (default:
``../shared/vectors/parser/corpus``, else the pinned copy), the ratio to the
character-at-a-time reference state machine in ``tests/ollama_oracle.py``, and the
wall time of one ``mfc lint`` process over the corpus (start-up included).
"""

from __future__ import annotations

import contextlib
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from ollama_oracle import ollama_parse  # noqa: E402

import modelfile  # noqa: E402


def corpus(folder: Path) -> list[bytes]:
    return [p.read_bytes() for p in sorted(folder.glob("*.Modelfile"))]


def throughput(parse: object, files: list[bytes], rounds: int) -> float:
    size = sum(map(len, files)) * rounds
    start = time.perf_counter()
    for _ in range(rounds):
        for data in files:
            with contextlib.suppress(modelfile.ModelfileError):
                parse(data)  # type: ignore[operator]
    return size / (time.perf_counter() - start) / 1e6


def main() -> None:
    default = REPO.parent / "shared" / "vectors" / "parser" / "corpus"
    folder = (
        Path(sys.argv[1])
        if len(sys.argv) > 1
        else default
        if default.exists()
        else REPO / "fixtures/vectors/parser/corpus"
    )
    files = corpus(folder)
    size = sum(map(len, files))
    modelfile.parse(b"FROM x\n")  # build the parser once
    ours = throughput(modelfile.parse, files, 20)
    oracle = throughput(ollama_parse, files, 5)
    print(f"corpus: {len(files)} files, {size / 1e3:.0f} kB ({folder})")
    print(f"mfc parse:            {ours:6.2f} MB/s")
    print(f"reference state machine: {oracle:6.2f} MB/s  (mfc is {ours / oracle:.1f}x)")
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "builder.cli.main", "lint", str(folder)], capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    print(f"mfc lint over the corpus, one process: {elapsed:.3f} s wall ({size / 1e3 / elapsed:.0f} kB/s)")


if __name__ == "__main__":
    main()
