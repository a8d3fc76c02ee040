"""Wall time of ``mfc quantize`` (the Python API: checks, temporary file, progress,
rename) against calling ``llama_model_quantize`` directly on the same F16 input, both
writing a new file.

    python benchmarks/quantize_speed.py [ROUNDS] [TYPE ...]

The F16 input is made once from the bundled SmolLM2 Q4_1 GGUF (requantized).  Rounds
alternate which goes first.  Prints medians and the ratio per type.
"""

from __future__ import annotations

import ctypes
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from models import smollm2_gguf  # noqa: E402

from builder import llama_log  # noqa: E402
from builder.quant_types import parse_type  # noqa: E402
from builder.quantizer import quantize  # noqa: E402


def direct(source: Path, target: Path, ftype: int) -> float:
    import llama_cpp

    params = llama_cpp.llama_model_quantize_default_params()
    params.ftype = ftype
    target.unlink(missing_ok=True)  # both write a new file
    start = time.perf_counter()
    rc = llama_cpp.llama_model_quantize(str(source).encode(), str(target).encode(), ctypes.byref(params))
    elapsed = time.perf_counter() - start
    assert rc == 0
    return elapsed


def ours(source: Path, target: Path, name: str) -> float:
    target.unlink(missing_ok=True)
    start = time.perf_counter()
    quantize(source, target, name)
    return time.perf_counter() - start


def main(rounds: int = 5, types: tuple[str, ...] = ("Q4_K_M", "Q8_0")) -> None:
    llama_log.install(verbose=False)  # both quiet: printing the log would cost time
    with tempfile.TemporaryDirectory() as scratch:
        folder = Path(scratch)
        f16 = folder / "f16.gguf"
        quantize(smollm2_gguf(), f16, "F16", allow_requantize=True)
        print(f"input: SmolLM2-135M F16 ({f16.stat().st_size / 1e6:.0f} MB), {rounds} rounds (medians)")
        for name in types:
            ftype = parse_type(name).ftype
            mine, theirs = [], []
            for index in range(rounds):
                if index % 2:
                    mine.append(ours(f16, folder / "a.gguf", name))
                    theirs.append(direct(f16, folder / "b.gguf", ftype))
                else:
                    theirs.append(direct(f16, folder / "b.gguf", ftype))
                    mine.append(ours(f16, folder / "a.gguf", name))
            a, b = statistics.median(mine), statistics.median(theirs)
            same = (folder / "a.gguf").read_bytes() == (folder / "b.gguf").read_bytes()
            print(
                f"{name:<8} llama_model_quantize {b:.3f} s   mfc quantize {a:.3f} s   ratio {a / b:.3f} "
                f"(goal <= 1.10)   identical output: {same}"
            )


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 5, tuple(sys.argv[2:]) or ("Q4_K_M", "Q8_0"))
