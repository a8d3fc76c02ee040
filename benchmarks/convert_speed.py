"""mfc's safetensors → GGUF converter against llama.cpp's ``convert_hf_to_gguf.py`` on
the same input and output type, and against copying the same bytes with ``cp``.

    python benchmarks/convert_speed.py [--llama-cpp DIR] [--large-gb 1.5]

Two inputs, made in a separate process so that the measured ones start small:
* SmolLM2-135M-Instruct as a float32 Hugging Face checkpoint (from the bundled GGUF, by
  tests/hf_fixtures.py, 540 MB), converted to f16 by both converters;
* a larger random bfloat16 Llama (``--large-gb``), converted with ``--outtype auto``
  (bf16, as such checkpoints usually are) by both, and copied with ``cp``.
Each run is its own process (median of three, after ``sync``): wall time and peak
resident memory (``wait4``).  llama.cpp's
script comes from ``--llama-cpp`` or ``$LLAMA_CPP_DIR``, else from the llama-cpp-python
source package, fetched once with ``pip download`` into ~/.cache/mfc.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tarfile
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent

MAKE = """
import json, sys
from pathlib import Path
sys.path.insert(0, {tests!r})
import struct
import numpy as np
from hf_fixtures import smollm2_checkpoint, spm_tokenizer

root = Path({root!r})
smollm2_checkpoint(root / "smollm2")
large = root / "large"
spm_tokenizer(large)
hidden, ff, heads, vocab = 2048, 5632, 16, 800
per_layer = 4 * hidden * hidden + 3 * hidden * ff
layers = max(1, int({gb} * 1e9 / 2 / per_layer))
config = {{"architectures": ["LlamaForCausalLM"], "hidden_size": hidden, "intermediate_size": ff,
          "num_attention_heads": heads, "num_key_value_heads": heads, "num_hidden_layers": layers,
          "vocab_size": vocab, "max_position_embeddings": 2048, "rms_norm_eps": 1e-5, "rope_theta": 10000.0,
          "torch_dtype": "bfloat16", "tie_word_embeddings": False}}
(large / "config.json").write_text(json.dumps(config))
rng = np.random.default_rng(0)

def bf16(*shape):
    return (rng.standard_normal(shape, dtype=np.float32).view(np.uint32) >> 16).astype(np.uint16)

shard = 0
def save(tensors):  # safetensors with BF16 entries (numpy has no bfloat16)
    global shard
    shard += 1
    header, offset = {{}}, 0
    for name, array in tensors.items():
        header[name] = {{"dtype": "BF16", "shape": list(array.shape), "data_offsets": [offset, offset + array.nbytes]}}
        offset += array.nbytes
    raw = json.dumps(header).encode()
    raw += b" " * (-len(raw) % 8)
    with open(large / f"model-{{shard:05d}}.safetensors", "wb") as out:
        out.write(struct.pack("<Q", len(raw)) + raw)
        for array in tensors.values():
            array.tofile(out)

save({{"model.embed_tokens.weight": bf16(vocab, hidden), "lm_head.weight": bf16(vocab, hidden),
      "model.norm.weight": bf16(hidden)}})
for i in range(layers):
    p = f"model.layers.{{i}}."
    save({{p + "self_attn.q_proj.weight": bf16(hidden, hidden), p + "self_attn.k_proj.weight": bf16(hidden, hidden),
          p + "self_attn.v_proj.weight": bf16(hidden, hidden), p + "self_attn.o_proj.weight": bf16(hidden, hidden),
          p + "mlp.gate_proj.weight": bf16(ff, hidden), p + "mlp.up_proj.weight": bf16(ff, hidden),
          p + "mlp.down_proj.weight": bf16(hidden, ff), p + "input_layernorm.weight": bf16(hidden),
          p + "post_attention_layernorm.weight": bf16(hidden)}})
"""


def run(
    command: list[str], outputs: list[Path], env: dict[str, str] | None = None, rounds: int = 3
) -> tuple[float, float]:
    """Median wall seconds and peak RSS (MB) of a command writing new ``outputs``: each
    round starts with them deleted and no dirty pages left by the one before (``sync``)."""
    results = sorted(_once(command, outputs, env) for _ in range(rounds))
    return results[len(results) // 2]


def _once(command: list[str], outputs: list[Path], env: dict[str, str] | None) -> tuple[float, float]:
    for path in outputs:
        path.unlink(missing_ok=True)
    os.sync()
    start = time.perf_counter()
    process = subprocess.Popen(
        command, env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - start
    if status != 0:
        error = process.stderr.read().decode(errors="replace") if process.stderr else ""
        raise SystemExit(f"{command[:4]} failed:\n{error[-2000:]}")
    return elapsed, usage.ru_maxrss / 1024


def llama_cpp_dir(given: str | None) -> Path | None:
    for candidate in (given, os.environ.get("LLAMA_CPP_DIR")):
        if candidate and (Path(candidate) / "convert_hf_to_gguf.py").is_file():
            return Path(candidate)
    from importlib.metadata import version

    wanted = version("llama_cpp_python")
    cache = Path.home() / ".cache" / "mfc" / f"llama.cpp-{wanted}"
    if (cache / "convert_hf_to_gguf.py").is_file():
        return cache
    with tempfile.TemporaryDirectory() as scratch:
        fetched = subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                f"llama-cpp-python=={wanted}",
                "--no-deps",
                "--no-binary",
                ":all:",
                "-d",
                scratch,
                "-q",
            ],
            capture_output=True,
            text=True,
            check=False,
        )
        archives = list(Path(scratch).glob("*.tar.gz"))
        if fetched.returncode != 0 or not archives:
            print(f"(llama.cpp's converter is not available: {fetched.stderr.strip()[-300:]})")
            return None
        with tarfile.open(archives[0]) as archive:
            prefix = archives[0].name.removesuffix(".tar.gz") + "/vendor/llama.cpp/"
            members = [
                m
                for m in archive.getmembers()
                if m.name.startswith(prefix)
                and (m.name.endswith("convert_hf_to_gguf.py") or "/conversion/" in m.name or "/gguf-py/" in m.name)
            ]
            for member in members:
                member.name = member.name[len(prefix) :]
            archive.extractall(cache, members=members, filter="data")
    return cache


def compare(label: str, model: Path, outtype: str, folder: Path, reference: Path | None) -> None:
    weights = sorted(model.glob("*.safetensors"))
    size = sum(p.stat().st_size for p in weights)
    copies = folder / "copies"
    copies.mkdir()
    cp_time, _ = run(["cp", *map(str, weights), str(copies)], [copies / p.name for p in weights])
    mfc = [sys.executable, "-m", "builder.cli.main", "convert", str(model), "-o", str(folder / "mfc.gguf")]
    mfc_time, mfc_rss = run([*mfc, "--outtype", outtype], [folder / "mfc.gguf"])
    print(f"{label}: {size / 1e6:.0f} MB of safetensors, --outtype {outtype}")
    print(f"  cp                   {cp_time:6.2f} s")
    print(f"  mfc convert          {mfc_time:6.2f} s  peak {mfc_rss:6.0f} MB   {mfc_time / cp_time:.2f}x cp")
    if reference is not None:
        script = [sys.executable, str(reference / "convert_hf_to_gguf.py"), str(model)]
        ref_time, ref_rss = run(
            [*script, "--outfile", str(folder / "ref.gguf"), "--outtype", outtype],
            [folder / "ref.gguf"],
            env={"PYTHONPATH": str(reference / "gguf-py")},
        )
        print(f"  convert_hf_to_gguf   {ref_time:6.2f} s  peak {ref_rss:6.0f} MB")
        print(
            f"  mfc: {ref_time / mfc_time:.2f}x faster (goal >= 2x), {mfc_rss / ref_rss:.2f}x the peak memory "
            "(goal <= 0.5x)"
        )
    for path in (*copies.iterdir(), folder / "mfc.gguf", folder / "ref.gguf"):
        path.unlink(missing_ok=True)
    copies.rmdir()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--llama-cpp", default=None)
    parser.add_argument("--large-gb", type=float, default=1.5)
    args = parser.parse_args()
    reference = llama_cpp_dir(args.llama_cpp)
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        subprocess.run(
            [sys.executable, "-c", MAKE.format(tests=str(REPO / "tests"), root=str(root), gb=args.large_gb)],
            check=True,
            cwd=REPO,
        )
        compare("SmolLM2-135M float32", root / "smollm2", "f16", root, reference)
        compare(f"random Llama bfloat16 ({args.large_gb} GB)", root / "large", "auto", root, reference)
    print("goal on the large model: mfc within 2x of cp")


if __name__ == "__main__":
    main()
