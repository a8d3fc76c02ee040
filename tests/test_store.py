"""The store: Ollama's names and layout, cp/rm/prune/verify, and writes that survive
being killed, running concurrently, or running out of disk."""

from __future__ import annotations

import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ggufs import write_gguf
from models import REPO, mfc, smollm2_gguf, tree

from builder import ModelNameError, Store, build, parse_name, verify
from builder.names import ModelName


@pytest.mark.parametrize(
    ("text", "parts", "shortest"),
    [
        ("llama3", ("registry.ollama.ai", "library", "llama3", "latest"), "llama3:latest"),
        ("me/mymodel:v1", ("registry.ollama.ai", "me", "mymodel", "v1"), "me/mymodel:v1"),
        ("localhost:5000/me/m", ("localhost:5000", "me", "m", "latest"), "localhost:5000/me/m:latest"),
        ("http://host:port/ns/m:t", ("host:port", "ns", "m", "t"), "host:port/ns/m:t"),
        ("REGISTRY.ollama.ai/LIBRARY/Big:Q4", ("REGISTRY.ollama.ai", "LIBRARY", "Big", "Q4"), "Big:Q4"),
    ],
)
def test_names_parse_as_ollama_does(text: str, parts: tuple[str, ...], shortest: str) -> None:
    name = parse_name(text)
    assert name.parts == parts
    assert name.display() == shortest


@pytest.mark.parametrize("text", ["a/b/c/d", "model:", "/x", "m@d", "bad name", "a" * 81, "ns.dot/m", "", "-x"])
def test_invalid_names_are_refused(text: str) -> None:
    with pytest.raises(ModelNameError, match="invalid model name"):
        parse_name(text)


@pytest.fixture
def tiny(tmp_path: Path) -> Path:
    write_gguf(tmp_path / "tiny.gguf", {"general.architecture": "llama"}, {"w": (8, 8)})
    (tmp_path / "Modelfile").write_text("FROM ./tiny.gguf\nSYSTEM hello\nPARAMETER top_k 5\n")
    return tmp_path / "Modelfile"


def test_layout_is_what_ollama_discovers(tmp_path: Path, tiny: Path) -> None:
    store = Store(tmp_path / "store")
    build(tiny, "me/tiny:v1", store=store)
    manifests = [p for p in (store.root / "manifests").rglob("*") if p.is_file()]
    assert [p.relative_to(store.manifests).parts for p in manifests] == [("registry.ollama.ai", "me", "tiny", "v1")]
    blobs = sorted(store.blobs.iterdir())
    assert all(p.name.startswith("sha256-") and len(p.name) == 71 for p in blobs)
    assert {oct(p.stat().st_mode & 0o777) for p in [*blobs, *manifests]} == {"0o644"}
    referenced = {
        store.blob_path(x.digest)
        for x in (store.find("me/tiny:v1").manifest.config, *store.find("me/tiny:v1").manifest.layers)
    }
    assert set(blobs) == referenced


def test_lookups_ignore_case_and_builds_keep_the_stored_case(tmp_path: Path, tiny: Path) -> None:
    store = Store(tmp_path / "store")
    build(tiny, "Tiny", store=store)
    build(tiny, "TINY", store=store)
    assert [m.name.display() for m in store.models()] == ["Tiny:latest"]
    assert store.find("tiny").name == ModelName("registry.ollama.ai", "library", "Tiny", "latest")


def test_cp_rm_prune_keep_every_used_blob(tmp_path: Path, tiny: Path) -> None:
    store = Store(tmp_path / "store")
    env = {"MFC_MODELS": str(store.root)}
    build(tiny, "a", store=store)
    (tmp_path / "B").write_text("FROM a\nSYSTEM other\n")
    build(tmp_path / "B", "b", store=store)
    assert mfc("cp", "a", "c", env=env).returncode == 0
    assert store.find("c").path.read_bytes() == store.find("a").path.read_bytes()
    stray = store.blobs / ("sha256-" + "f" * 64)
    stray.write_bytes(b"nobody uses me")

    assert mfc("rm", "a", env=env).returncode == 0  # c still uses every blob of a
    assert verify(store) == []
    assert stray.exists()
    assert mfc("prune", env=env).returncode == 0
    assert stray.exists()  # younger than the grace period
    result = mfc("prune", "--now", "--json", env=env)
    assert result.returncode == 0, result.stderr
    assert not stray.exists()
    assert verify(store) == []

    system_of_b = store.blob_path(store.find("b").manifest.layers_of("application/vnd.ollama.image.system")[0].digest)
    assert mfc("rm", "b", env=env).returncode == 0
    assert not system_of_b.exists()  # only b used it
    assert verify(store) == []
    manifest = store.find("c").manifest
    removed = mfc("rm", "c", "--json", env=env)
    assert removed.returncode == 0, removed.stderr
    assert "sha256-" not in removed.stdout  # blobs are named sha256:<hex>, as build, show and list name them
    assert all(f'"{layer.digest}"' in removed.stdout for layer in (manifest.config, *manifest.layers))
    assert sorted(p.name for p in store.blobs.iterdir()) == []
    assert not any(store.manifests.rglob("*"))  # empty folders are pruned too


def test_prune_respects_the_grace_period_by_mtime(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    store.blobs.mkdir(parents=True)
    old, new = store.blobs / ("sha256-" + "1" * 64), store.blobs / ("sha256-" + "2" * 64)
    temp = store.blobs / "sha256-mfc-abc.tmp"
    for path in (old, new, temp):
        path.write_bytes(b"x")
    two_hours_ago = time.time() - 7200
    os.utime(old, (two_hours_ago, two_hours_ago))
    os.utime(temp, (two_hours_ago, two_hours_ago))
    assert sorted(p.name for p in store.prune()) == sorted([old.name, temp.name])
    assert new.exists()


def test_verify_reports_corruption_and_exits_1(tmp_path: Path, tiny: Path) -> None:
    store = Store(tmp_path / "store")
    env = {"MFC_MODELS": str(store.root)}
    build(tiny, "a", store=store)
    assert mfc("verify", env=env).returncode == 0
    model_blob = store.blob_path(store.find("a").manifest.layers[0].digest)
    data = bytearray(model_blob.read_bytes())
    data[-1] ^= 0xFF
    model_blob.write_bytes(bytes(data))
    result = mfc("verify", "a", env=env)
    assert result.returncode == 1
    assert "is corrupt: its bytes hash to sha256:" in result.stderr
    model_blob.unlink()
    result = mfc("verify", "--json", env=env)
    assert result.returncode == 1
    assert "is missing" in result.stdout


def _one_line_failure(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert result.returncode == code, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    return lines[0]


@pytest.mark.parametrize(
    ("modelfile", "args", "code", "expected"),
    [
        ("FROM ./gone.gguf\n", ["-t", "m"], 1, "Modelfile:1:1: FROM ./gone.gguf: no such file"),
        ("FROM ./tiny.gguf\n", ["-t", "bad name!"], 2, "invalid model name 'bad name!'"),
        ("FROM someone/unknown\n", ["-t", "m"], 1, "model 'someone/unknown:latest' not found"),
        ("FROM ./tiny.gguf\nPARAMETER num_ctx big\n", ["-t", "m"], 1, "Modelfile:2:1: invalid int value [big]"),
        ("FROM ./corrupt.gguf\n", ["-t", "m"], 1, "corrupt GGUF"),
    ],
)
def test_cli_errors_are_one_line_and_change_nothing(
    tmp_path: Path, tiny: Path, modelfile: str, args: list[str], code: int, expected: str
) -> None:
    store = tmp_path / "store"
    assert mfc("build", "--quiet", "-t", "keep", "--store", str(store), cwd=tmp_path).returncode == 0
    (tmp_path / "corrupt.gguf").write_bytes(b"GGUF\x03\x00\x00\x00" + b"\xff" * 20)
    (tmp_path / "Modelfile").write_text(modelfile)
    before = tree(store)
    line = _one_line_failure(mfc("build", "--quiet", *args, "--store", str(store), cwd=tmp_path), code)
    assert expected in line
    assert tree(store) == before


def test_full_disk_leaves_the_store_untouched(tmp_path: Path) -> None:
    """A file-size limit makes writes past 1 MB fail as a full disk would (EFBIG)."""
    store = tmp_path / "store"
    write_gguf(tmp_path / "big.gguf", {"general.architecture": "llama"}, {"w": (512, 1024)})  # 2 MB
    (tmp_path / "Modelfile").write_text("FROM ./big.gguf\nSYSTEM hi\n")
    write_gguf(tmp_path / "small.gguf", {"general.architecture": "llama"})
    (tmp_path / "Small").write_text("FROM ./small.gguf\nSYSTEM kept\n")
    assert mfc("build", "--quiet", "-f", "Small", "-t", "keep", "--store", str(store), cwd=tmp_path).returncode == 0
    before = tree(store)

    def limit() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1 << 20, 1 << 20))

    result = mfc("build", "--quiet", "-t", "m", "--store", str(store), cwd=tmp_path, preexec_fn=limit)
    line = _one_line_failure(result)
    assert "File too large" in line or "No space left" in line
    assert tree(store) == before


def _build_script(store: Path, modelfile: Path, name: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "builder.cli.main",
        "build",
        "--quiet",
        "-f",
        str(modelfile),
        "-t",
        name,
        "--store",
        str(store),
    ]


@pytest.fixture(scope="module")
def smol_modelfile(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("smol")
    (folder / "Modelfile").write_text(f"FROM {smollm2_gguf()}\nSYSTEM You are terse.\nPARAMETER temperature 0.1\n")
    return folder / "Modelfile"


def test_sigkill_at_random_points_never_corrupts_the_store(tmp_path: Path, smol_modelfile: Path) -> None:
    """30 builds of the 98 MB model, each killed at a random moment: the store always
    verifies, and the next build succeeds."""
    env = {**os.environ, "MFC_MODELS": "", "OLLAMA_MODELS": ""}
    rng = random.Random(1234)
    start = time.monotonic()
    probe = subprocess.run(_build_script(tmp_path / "probe", smol_modelfile, "m"), env=env, cwd=REPO, check=True)
    duration = time.monotonic() - start
    assert probe.returncode == 0
    killed_early = 0
    for round_number in range(30):
        store = tmp_path / f"store{round_number % 2}"
        if round_number % 4 < 2:
            shutil.rmtree(store, ignore_errors=True)  # half the rounds copy the 98 MB blob afresh
        process = subprocess.Popen(_build_script(store, smol_modelfile, f"m{round_number}"), env=env, cwd=REPO)
        time.sleep(rng.uniform(0, duration))
        process.send_signal(signal.SIGKILL)
        killed_early += process.wait() == -signal.SIGKILL
        problems = verify(Store(store))
        assert problems == [], f"round {round_number}: {problems}"
        assert not [p for p in (store / "manifests").rglob("*.tmp")]
        again = subprocess.run(
            _build_script(store, smol_modelfile, f"m{round_number}"),
            env=env,
            cwd=REPO,
            capture_output=True,
            text=True,
            check=False,
        )
        assert again.returncode == 0, again.stderr
        assert verify(Store(store)) == []
    assert killed_early >= 10  # the kills really interrupted builds


def test_four_concurrent_builds_into_one_store(tmp_path: Path, smol_modelfile: Path) -> None:
    env = {**os.environ, "MFC_MODELS": "", "OLLAMA_MODELS": ""}
    store = tmp_path / "store"
    processes = [
        subprocess.Popen(
            _build_script(store, smol_modelfile, f"m{i}"), env=env, cwd=REPO, stderr=subprocess.PIPE, text=True
        )
        for i in range(4)
    ]
    results = [(p.wait(), p.stderr.read() if p.stderr else "") for p in processes]
    assert [code for code, _ in results] == [0, 0, 0, 0], results
    models = Store(store).models()
    assert len(models) == 4
    assert len({m.digest for m in models}) == 1
    assert verify(Store(store)) == []


def test_progress_is_plain_lines_off_a_terminal(tmp_path: Path, tiny: Path) -> None:
    result = mfc("build", "-t", "m", "--store", str(tmp_path / "store"), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    lines = result.stderr.splitlines()
    size = (tmp_path / "tiny.gguf").stat().st_size
    assert lines[:2] == ["parsing GGUF", f"copying tiny.gguf ({size} B)"]  # hashed while copied: one read
    assert [line.split(" sha256:")[0] for line in lines[2:]] == ["creating new layer"] * 3 + [
        "writing manifest",
        "success",
    ]
    assert result.stdout.startswith("built m:latest (")
    again = mfc("build", "-t", "m", "--store", str(tmp_path / "store"), cwd=tmp_path)
    assert "hashing" not in again.stderr and "copying" not in again.stderr
    assert again.stderr.count("using existing layer") == 3
    dry = mfc("build", "-t", "m", "--dry-run", "--store", str(tmp_path / "other"), cwd=tmp_path)
    assert f"hashing tiny.gguf ({size} B)" in dry.stderr.splitlines()  # a dry run hashes, copies nothing


def test_progress_draws_a_bar_on_a_terminal() -> None:
    import io

    from builder.cli.progress import ProgressPrinter
    from builder.events import Event

    class Terminal(io.StringIO):
        def isatty(self) -> bool:
            return True

    terminal = Terminal()
    printer = ProgressPrinter(stream=terminal)
    printer(Event("parsing GGUF"))
    for done in (0, 50, 100):
        printer(Event("hashing model.gguf", 100, done))
    printer(Event("writing manifest"))
    printer.close()
    err = terminal.getvalue()
    assert "parsing GGUF" in err and "writing manifest" in err
    assert "hashing model.gguf" in err and "100%" in err
