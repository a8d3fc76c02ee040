"""Push and pull of a 1 GB model through a loopback registry (Debian's docker-registry),
against skopeo copying the same artifact.

    python benchmarks/registry_transfer.py [SIZE_MB] [ROUNDS]

The model is a GGUF header followed by SIZE_MB (default 1024) of random bytes (nothing
compresses or deduplicates it).  Each round, each tool on a fresh registry of its own (so
that neither can mount a blob that is already there):

* push: an ``mfc push --format oci`` process against ``skopeo copy oci:<layout>
  docker://…`` of the same OCI form (written as an OCI layout);
* pull: an ``mfc pull`` process into an empty store against ``skopeo copy docker://… dir:…``.

Both sides are whole processes as a user runs them, start-up and imports included.

Prints the medians and the ratios; the goal is mfc within 1.5x of skopeo both ways.

Measured 2026-12-06 09:57 UTC, SIZE_MB=1024, ROUNDS=2, on a quiet 2-core machine with
Debian's docker-registry 2.8 and skopeo 1.9 on loopback, mfc as processes:

    mfc push        4.30 s  (   238 MB/s)
    skopeo push     5.55 s  (   184 MB/s)
    mfc pull        4.82 s  (   213 MB/s)
    skopeo pull     7.43 s  (   138 MB/s)
    push: mfc / skopeo = 0.78 (goal <= 1.5): ok
    pull: mfc / skopeo = 0.65 (goal <= 1.5): ok

(mfc's pull hashes each range as it completes, while the others download.)
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "tests"))

from ggufs import write_gguf  # noqa: E402
from registries import registry  # noqa: E402
from test_registry import _oci_layout  # noqa: E402

import builder  # noqa: E402

GOAL = 1.5
MFC = [sys.executable, "-m", "builder.cli.main"]


def big_model(folder: Path, size_mb: int) -> Path:
    folder.mkdir(parents=True)
    gguf = write_gguf(folder / "big.gguf", {"general.architecture": "llama", "general.name": "Big"})
    with gguf.open("ab") as out:
        for _ in range(size_mb):
            out.write(os.urandom(2**20))
    (folder / "Modelfile").write_text("FROM ./big.gguf\n")
    return folder / "Modelfile"


def seconds(work: Callable[..., object], *args: object, **kwargs: object) -> float:
    started = time.perf_counter()
    work(*args, **kwargs)
    return time.perf_counter() - started


def main() -> None:
    size_mb = int(sys.argv[1]) if len(sys.argv) > 1 else 1024
    rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 2
    with tempfile.TemporaryDirectory(prefix="mfc-bench-") as scratch:
        root = Path(scratch)
        modelfile = big_model(root / "src", size_mb)
        builder.build(modelfile, "local/big:v1", store=root / "store")
        _oci_layout(root / "layout", root / "store", "local/big:v1", "v1")
        times: dict[str, list[float]] = {"mfc push": [], "skopeo push": [], "mfc pull": [], "skopeo pull": []}
        for round_ in range(rounds):
            # each tool gets a registry of its own, fresh each round: neither can mount or
            # skip a blob the other (or an earlier round) already put there
            with registry(root / f"registry-mfc{round_}") as running:
                mine = f"{running.host}/bench/mfc:v1"
                builder.copy_model("local/big:v1", mine, store=root / "store")
                push = [*MFC, "push", mine, "--insecure", "--format", "oci", "--store", str(root / "store"), "--json"]
                times["mfc push"].append(seconds(subprocess.run, push, check=True, capture_output=True))
                empty = root / f"pulled{round_}"
                pull = [*MFC, "pull", mine, "--insecure", "--store", str(empty), "--json"]
                times["mfc pull"].append(seconds(subprocess.run, pull, check=True, capture_output=True))
                shutil.rmtree(empty)
            with registry(root / f"registry-skopeo{round_}") as running:
                theirs = f"{running.host}/bench/skopeo:v1"
                layout = f"oci:{root / 'layout'}:v1"
                skopeo_push = ["skopeo", "copy", "--dest-tls-verify=false", layout, f"docker://{theirs}"]
                times["skopeo push"].append(seconds(subprocess.run, skopeo_push, check=True, capture_output=True))
                target = root / f"skopeo-dir{round_}"
                skopeo_pull = ["skopeo", "copy", "--src-tls-verify=false", f"docker://{theirs}", f"dir:{target}"]
                times["skopeo pull"].append(seconds(subprocess.run, skopeo_pull, check=True, capture_output=True))
                shutil.rmtree(target)
    medians = {what: statistics.median(values) for what, values in times.items()}
    for what, value in medians.items():
        print(f"{what:12} {value:7.2f} s  ({size_mb / value:6.0f} MB/s)")
    for way in ("push", "pull"):
        ratio = medians[f"mfc {way}"] / medians[f"skopeo {way}"]
        print(f"{way}: mfc / skopeo = {ratio:.2f} (goal <= {GOAL}): {'ok' if ratio <= GOAL else 'MISSED'}")


if __name__ == "__main__":
    main()
