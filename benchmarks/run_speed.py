"""Tokens per second of ``mfc run`` against llama-cpp-python called directly on the
same GGUF with the same prompt, settings and seed.

    python benchmarks/run_speed.py [ROUNDS] [TOKENS]

Both load the model once, from the same file with the same llama.cpp settings, and
produce the same tokens; rounds alternate which goes first, so that both see the same
machine load.  Generation speed (eval tokens / eval time) is measured the same way for
both: from the first sampled token to the end.  Prints medians and the ratio.
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from models import smollm2_gguf  # noqa: E402

from builder import Store, build  # noqa: E402
from builder.run import Runner  # noqa: E402

PROMPT = "Write a long story about a lighthouse keeper and a storm."


def direct_rate(llm: Any, prompt: str, tokens: int, seed: int) -> float:
    from llama_cpp import StoppingCriteriaList

    stamps: list[int] = []

    def stamp(ids: Any, logits: Any) -> bool:
        stamps.append(time.perf_counter_ns())
        return False

    for _ in llm.create_completion(
        prompt,
        max_tokens=tokens,
        temperature=0.8,
        top_k=40,
        top_p=0.9,
        min_p=0.0,
        repeat_penalty=1.0,
        seed=seed,
        stream=True,
        stopping_criteria=StoppingCriteriaList([stamp]),
    ):
        pass
    end = time.perf_counter_ns()
    return (min(len(stamps), tokens)) / ((end - stamps[0]) / 1e9)


def main(rounds: int = 5, tokens: int = 128) -> None:
    from llama_cpp import Llama

    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        (folder / "Modelfile").write_text(
            f"FROM {smollm2_gguf()}\nPARAMETER num_ctx 2048\nPARAMETER num_predict {tokens}\nPARAMETER seed 1\n"
            "PARAMETER stop <|never|>\n"
        )
        store = Store(folder / "store")
        build(folder / "Modelfile", "bench", store=store)
        runner = Runner(store, "bench")
        prompt = runner.prompt_for([{"role": "user", "content": PROMPT}])
        # the same file (the store's blob), so that both memory-map the same pages
        llm = Llama(model_path=str(runner.model_path), n_ctx=2048, n_gpu_layers=-1, verbose=False)
        ours, theirs = [], []
        for index in range(rounds):
            runner.options["seed"] = index + 1

            def mfc_rate() -> float:
                result = runner.generate([{"role": "user", "content": PROMPT}])
                return result.eval_count / (result.eval_duration / 1e9)

            if index % 2:  # alternate who goes first
                ours.append(mfc_rate())
                theirs.append(direct_rate(llm, prompt, tokens, seed=index + 1))
            else:
                theirs.append(direct_rate(llm, prompt, tokens, seed=index + 1))
                ours.append(mfc_rate())
    print("rounds (direct, mfc):", [(round(a, 1), round(b, 1)) for a, b in zip(theirs, ours, strict=True)])
    mine, direct = statistics.median(ours), statistics.median(theirs)
    print(f"SmolLM2-135M Q4_1, {tokens} tokens, {rounds} rounds (medians)")
    print(f"llama-cpp-python directly: {direct:.1f} tokens/s")
    print(f"mfc run:                   {mine:.1f} tokens/s   ratio {mine / direct:.3f} (goal: within 5%)")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
