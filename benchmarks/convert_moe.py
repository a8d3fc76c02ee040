"""mfc's converter on a mixture of experts against llama.cpp's ``convert_hf_to_gguf.py``:
a synthetic Qwen3-MoE checkpoint (64 experts per layer, one tensor per expert, as the
Hub's are; float32, ``--gb`` in size) converted to f16 by both.

    python benchmarks/convert_moe.py [--llama-cpp DIR] [--gb 1.5] [--rounds 1]

Each run is its own process (after ``sync``): wall time and peak resident memory
(``wait4``).  The two GGUFs are then compared tensor by tensor (names, shapes, types and
bytes).  llama.cpp's script is found as ``convert_speed.py`` finds it (``--llama-cpp``,
``$LLAMA_CPP_DIR``, else the llama-cpp-python source package fetched once with ``pip
download``); without it, mfc's own figures are printed alone.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from convert_speed import REPO, llama_cpp_dir, run

MAKE = """
import sys
from pathlib import Path
sys.path.insert(0, {tests!r})
from moe_fixtures import synthetic_moe

hidden, ff, experts = 512, 256, 64
per_layer = experts * 3 * hidden * ff * 4
synthetic_moe(Path({root!r}), experts=experts, layers=max(1, int({gb} * 1e9 / per_layer)), hidden=hidden, ff=ff)
"""


def same_tensors(ours: Path, theirs: Path) -> str:
    """Whether two GGUFs hold the same tensors (names, shapes, types, bytes), in words."""
    import gguf
    import numpy as np

    a = {t.name: t for t in gguf.GGUFReader(ours).tensors}
    b = {t.name: t for t in gguf.GGUFReader(theirs).tensors}
    if set(a) != set(b):
        mine, theirs_only = sorted(set(a) - set(b))[:3], sorted(set(b) - set(a))[:3]
        return f"different tensor names: only mfc's {mine}, only theirs {theirs_only}"
    for name in sorted(a):
        x, y = a[name], b[name]
        if (list(x.shape), x.tensor_type) != (list(y.shape), y.tensor_type):
            return f"{name}: {list(x.shape)} {x.tensor_type.name} vs {list(y.shape)} {y.tensor_type.name}"
        if not np.array_equal(np.asarray(x.data), np.asarray(y.data)):
            return f"{name}: same shape and type, different bytes"
    return f"the same {len(a)} tensors, byte for byte"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llama-cpp", default=None)
    parser.add_argument("--gb", type=float, default=1.5)
    parser.add_argument("--rounds", type=int, default=1)
    args = parser.parse_args()
    reference = llama_cpp_dir(args.llama_cpp)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        model = root / "moe"
        subprocess.run(
            [sys.executable, "-c", MAKE.format(tests=str(REPO / "tests"), root=str(model), gb=args.gb)],
            check=True,
            cwd=REPO,
        )
        size = sum(p.stat().st_size for p in model.glob("*.safetensors"))
        print(f"synthetic Qwen3-MoE, 64 experts per layer: {size / 1e6:.0f} MB of float32 safetensors, --outtype f16")
        mfc = [sys.executable, "-m", "builder.cli.main", "convert", str(model), "-o", str(root / "mfc.gguf")]
        mfc_time, mfc_rss = run([*mfc, "--outtype", "f16"], [root / "mfc.gguf"], rounds=args.rounds)
        print(f"  mfc convert          {mfc_time:6.2f} s  peak {mfc_rss:6.0f} MB")
        if reference is None:
            print("  (no convert_hf_to_gguf.py: no ratio)")
            return
        script = [sys.executable, str(reference / "convert_hf_to_gguf.py"), str(model)]
        ref_time, ref_rss = run(
            [*script, "--outfile", str(root / "ref.gguf"), "--outtype", "f16"],
            [root / "ref.gguf"],
            env={"PYTHONPATH": str(reference / "gguf-py")},
            rounds=args.rounds,
        )
        print(f"  convert_hf_to_gguf   {ref_time:6.2f} s  peak {ref_rss:6.0f} MB")
        print(
            f"  mfc: {mfc_time / ref_time:.2f}x the time (goal <= 0.5x), {mfc_rss / ref_rss:.2f}x the peak memory "
            "(goal <= 0.5x)"
        )
        print(f"  outputs: {same_tensors(root / 'mfc.gguf', root / 'ref.gguf')}")


if __name__ == "__main__":
    main()
