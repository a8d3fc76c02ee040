"""``builder.build``: Ollama's create rules, golden digests, reproducibility, caching,
and errors that leave the store as it was."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest
from ggufs import write_gguf
from models import tree
from vectors import load_json

from builder import BuildError, Store, build
from builder.manifest import ADAPTER, LICENSE, MESSAGES, MODEL, PARAMS, SYSTEM, TEMPLATE, Config, Manifest
from modelfile import ModelfileError

CHATML_JINJA = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + "
    "'\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


def golden() -> dict[str, str]:
    return {v["name"]: v["sha256"] for v in load_json("store/golden.json")["vectors"]}


def modelfile(folder: Path, text: str, name: str = "Modelfile") -> Path:
    path = folder / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store")


@pytest.fixture
def minimal(tmp_path: Path) -> Path:
    """Ollama's TestCreateFromBin GGUF: one key, no tensors."""
    return write_gguf(tmp_path / "test.gguf", {"general.architecture": "test"})


def layer_digests(store: Store, name: str) -> dict[str, str]:
    manifest = store.find(name).manifest
    return {layer.media_type: layer.digest.removeprefix("sha256:") for layer in manifest.layers}


def test_minimal_gguf_gives_ollamas_manifest(tmp_path: Path, store: Store, minimal: Path) -> None:
    result = build(modelfile(tmp_path, "FROM ./test.gguf\n"), "test", store=store)
    digests = golden()
    manifest = store.find("test").manifest
    assert manifest.layers[0].digest == "sha256:" + digests["minimal GGUF blob"]
    assert manifest.config.digest == "sha256:" + digests["config blob (v0.32.7 and later, no rootfs)"]
    expected = (
        '{"schemaVersion":2,"mediaType":"application/vnd.docker.distribution.manifest.v2+json",'
        '"config":{"mediaType":"application/vnd.docker.container.image.v1+json",'
        '"digest":"sha256:99759ad5b91e723db0393d698ffbb448b1b7df5ff6377a108c49254583b1bc8c","size":147},'
        '"layers":[{"mediaType":"application/vnd.ollama.image.model",'
        '"digest":"sha256:89a2116c3a82d6a97f59f748d86ed4417214353fd178ee54df418fde32495fad","size":68}]}\n'
    )
    assert store.find("test").path.read_text() == expected
    assert result.digest == hashlib.sha256(expected.encode()).hexdigest()
    assert result.digest.startswith("f75369d1dd1f")


def test_template_system_params_layers_match_ollama(tmp_path: Path, store: Store, minimal: Path) -> None:
    text = (
        "FROM ./test.gguf\nTEMPLATE {{ .Prompt }}\nSYSTEM Say hi!\nPARAMETER temperature 1\n"
        "PARAMETER top_k 10\nPARAMETER stop USER:\nPARAMETER stop ASSISTANT:\n"
    )
    build(modelfile(tmp_path, text), "test", store=store)
    digests, layers = golden(), layer_digests(store, "test")
    assert layers[TEMPLATE] == digests["template layer"]
    assert layers[SYSTEM] == digests["system layer"]
    assert layers[PARAMS] == digests["params layer"]


def test_parameters_merge_and_stop_replaces_like_ollama(tmp_path: Path, store: Store, minimal: Path) -> None:
    base = "FROM ./test.gguf\nPARAMETER temperature 1\nPARAMETER top_k 10\nPARAMETER stop USER:\nPARAMETER stop ASSISTANT:\n"
    build(modelfile(tmp_path, base), "base", store=store)
    build(
        modelfile(tmp_path, "FROM base\nPARAMETER temperature 0.6\nPARAMETER top_p 0.7\n", "Child"),
        "child",
        store=store,
    )
    assert layer_digests(store, "child")[PARAMS] == golden()["params layer merged"]
    build(modelfile(tmp_path, "FROM child\nPARAMETER stop <|endoftext|>\n", "Grandchild"), "grand", store=store)
    assert layer_digests(store, "grand")[PARAMS] == golden()["params layer with HTML-escaped stop"]


def test_messages_layer_matches_ollama(tmp_path: Path, store: Store, minimal: Path) -> None:
    text = (
        'FROM ./test.gguf\nMESSAGE assistant "What is my purpose?"\nMESSAGE user "You run tests."\n'
        'MESSAGE assistant "Oh, my god."\n'
    )
    build(modelfile(tmp_path, text), "test", store=store)
    assert layer_digests(store, "test")[MESSAGES] == golden()["messages layer"]


def test_layer_order_and_inheritance(tmp_path: Path, store: Store, minimal: Path) -> None:
    text = "FROM ./test.gguf\nTEMPLATE {{ .Prompt }}\nSYSTEM one\nPARAMETER top_k 1\nLICENSE MIT\nMESSAGE user hi\n"
    build(modelfile(tmp_path, text), "parent", store=store)
    kinds = [layer.media_type for layer in store.find("parent").manifest.layers]
    assert kinds == [MODEL, TEMPLATE, SYSTEM, LICENSE, PARAMS, MESSAGES]

    child = "FROM parent\nSYSTEM two\nLICENSE Apache\n"
    build(modelfile(tmp_path, child, "Child"), "child", store=store)
    layers = store.find("child").manifest.layers
    # inherited layers keep their place and say where they came from; SYSTEM replaces,
    # LICENSE accumulates, params move to the end, messages stay where they were
    assert [(x.media_type, x.from_) for x in layers] == [
        (MODEL, "parent:latest"),
        (TEMPLATE, "parent:latest"),
        (LICENSE, "parent:latest"),
        (MESSAGES, "parent:latest"),
        (SYSTEM, ""),
        (LICENSE, ""),
        (PARAMS, ""),
    ]
    assert store.read_blob(layers[4].digest) == b"two"

    # as in Ollama, an empty SYSTEM (the last one wins) cannot clear an inherited one
    build(modelfile(tmp_path, 'FROM parent\nSYSTEM two\nSYSTEM ""\n', "Empty"), "empty", store=store)
    system = store.find("empty").manifest.layers_of(SYSTEM)
    assert [(store.read_blob(x.digest), x.from_) for x in system] == [(b"one", "parent:latest")]


def test_config_is_computed_from_the_model(tmp_path: Path, store: Store) -> None:
    write_gguf(
        tmp_path / "m.gguf",
        {"general.architecture": "llama", "general.file_type": 2},
        {"w": (1000, 1500), "b": (2_000,)},
    )
    build(modelfile(tmp_path, "FROM ./m.gguf\nREQUIRES 0.5.0\n"), "m", store=store)
    config = Config.decode(store.read_blob(store.find("m").manifest.config.digest))
    assert (config.model_family, config.model_families, config.model_type, config.file_type, config.requires) == (
        "llama",
        ("llama",),
        "1.50M",
        "Q4_0",
        "0.5.0",
    )


def test_autodetected_template_brings_its_stops(tmp_path: Path, store: Store) -> None:
    write_gguf(tmp_path / "m.gguf", {"general.architecture": "llama", "tokenizer.chat_template": CHATML_JINJA})
    events: list[str] = []
    result = build(
        modelfile(tmp_path, "FROM ./m.gguf\nTEMPLATE {{ .Prompt }}\n"),
        "m",
        store=store,
        progress=lambda e: events.append(e.status),
    )
    # the Modelfile's TEMPLATE replaced the built-in one: neither reported nor said
    # (issue 10, defect 10: it said "chatml" and "using autodetected template chatml")
    assert result.template is None
    assert not any("autodetected" in event for event in events)
    manifest = store.find("m").manifest
    params = json.loads(store.read_blob(manifest.layers_of(PARAMS)[0].digest))
    assert params == {"stop": ["<|im_start|>", "<|im_end|>"]}  # the user's TEMPLATE replaces, the stops stay
    assert store.read_blob(manifest.layers_of(TEMPLATE)[0].digest) == b"{{ .Prompt }}"
    events.clear()
    plain = build(
        modelfile(tmp_path, "FROM ./m.gguf\n"), "plain", store=store, progress=lambda e: events.append(e.status)
    )
    assert plain.template == "chatml" and "using autodetected template chatml" in events


def test_adapter_gguf_becomes_an_adapter_layer(tmp_path: Path, store: Store, minimal: Path) -> None:
    write_gguf(tmp_path / "lora.gguf", {"general.architecture": "test", "general.type": "adapter"})
    build(modelfile(tmp_path, "FROM ./test.gguf\nADAPTER ./lora.gguf\n"), "m", store=store)
    assert [x.media_type for x in store.find("m").manifest.layers] == [MODEL, ADAPTER]


def test_two_empty_stores_get_identical_manifests(tmp_path: Path, minimal: Path) -> None:
    text = "FROM ./test.gguf\nSYSTEM hello\nPARAMETER temperature 0.7\nLICENSE MIT\n"
    path = modelfile(tmp_path, text)
    one, two = Store(tmp_path / "one"), Store(tmp_path / "two")
    build(path, "m", store=one)
    build(path, "m", store=two)
    assert one.find("m").path.read_bytes() == two.find("m").path.read_bytes()


def test_unchanged_rebuild_reads_no_weights(
    tmp_path: Path, store: Store, minimal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = modelfile(tmp_path, "FROM ./test.gguf\n")
    first = build(path, "m", store=store)

    def no_hashing(*args: object, **kwargs: object) -> None:
        raise AssertionError("an unchanged rebuild hashed a file")

    monkeypatch.setattr("builder.hashcache.hash_file", no_hashing)
    assert build(path, "m", store=store).digest == first.digest


def test_a_cold_build_reads_the_weights_once(
    tmp_path: Path, store: Store, minimal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_hashing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the weights were hashed before being copied (and hashed) again")

    monkeypatch.setattr("builder.hashcache.hash_file", no_hashing)
    result = build(modelfile(tmp_path, "FROM ./test.gguf\n"), "m", store=store)
    assert result.layers[0].digest == "sha256:" + hashlib.sha256(minimal.read_bytes()).hexdigest()
    assert build(modelfile(tmp_path, "FROM ./test.gguf\n"), "m", store=store).digest == result.digest


def test_a_changed_file_is_hashed_again(tmp_path: Path, store: Store, minimal: Path) -> None:
    path = modelfile(tmp_path, "FROM ./test.gguf\n")
    first = build(path, "m", store=store)
    write_gguf(minimal, {"general.architecture": "tset"})  # same size, new bytes
    second = build(path, "m", store=store)
    assert second.layers[0].digest != first.layers[0].digest
    assert second.layers[0].digest == "sha256:" + hashlib.sha256(minimal.read_bytes()).hexdigest()


def test_rebuilding_a_name_removes_blobs_only_it_used(tmp_path: Path, store: Store, minimal: Path) -> None:
    build(modelfile(tmp_path, "FROM ./test.gguf\nSYSTEM old\n"), "m", store=store)
    old = store.blob_path(store.find("m").manifest.layers_of(SYSTEM)[0].digest)
    build(modelfile(tmp_path, "FROM ./test.gguf\nSYSTEM new\n"), "m", store=store)
    assert not old.exists()
    assert store.has_blob(store.find("m").manifest.layers[0].digest)


def test_dry_run_writes_nothing(tmp_path: Path, store: Store, minimal: Path) -> None:
    result = build(modelfile(tmp_path, "FROM ./test.gguf\nSYSTEM hi\n"), "m", store=store, dry_run=True)
    assert not result.written
    assert tree(store.root) == {}
    assert build(modelfile(tmp_path, "FROM ./test.gguf\nSYSTEM hi\n"), "m", store=store).digest == result.digest


def test_link_imports_by_hard_link(
    tmp_path: Path, store: Store, minimal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr("builder.store._reflink", lambda source, target: False)  # as on ext4
    first = build(modelfile(tmp_path, "FROM ./test.gguf\n"), "m", store=store, link=True)
    blob = store.blob_path(store.find("m").manifest.layers[0].digest)
    assert blob.stat().st_ino == minimal.stat().st_ino
    assert oct(blob.stat().st_mode & 0o777) == "0o644"

    def no_hashing(*args: object, **kwargs: object) -> None:
        raise AssertionError("the rebuild hashed the linked file again")

    monkeypatch.setattr("builder.hashcache.hash_file", no_hashing)
    assert build(modelfile(tmp_path, "FROM ./test.gguf\n"), "m", store=store).digest == first.digest


def test_link_falls_back_to_a_copy_across_filesystems(
    tmp_path: Path, store: Store, minimal: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def cross_device(source: object, target: object) -> None:
        raise OSError(18, "Invalid cross-device link")

    monkeypatch.setattr("builder.store._reflink", lambda source, target: False)
    monkeypatch.setattr("os.link", cross_device)
    build(modelfile(tmp_path, "FROM ./test.gguf\n"), "m", store=store, link=True)
    blob = store.blob_path(store.find("m").manifest.layers[0].digest)
    assert blob.stat().st_ino != minimal.stat().st_ino
    assert blob.read_bytes() == minimal.read_bytes()


def test_from_a_blob_digest(tmp_path: Path, store: Store, minimal: Path) -> None:
    first = build(modelfile(tmp_path, "FROM ./test.gguf\n"), "m", store=store)
    digest = first.layers[0].digest
    again = build(modelfile(tmp_path, f"FROM {digest}\n", "ByDigest"), "n", store=store)
    assert again.digest == first.digest


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("FROM ./missing.gguf\n", "Modelfile:1:1: FROM ./missing.gguf: no such file ("),
        ("FROM missing.gguf\n", "Modelfile:1:1: FROM missing.gguf: no such file ("),
        ("FROM nobody/nothing:1\n", "Modelfile:1:1: FROM nobody/nothing:1: model 'nobody/nothing:1' not found"),
        ("FROM a/b/c/d\n", "Modelfile:1:1: FROM a/b/c/d: no such file"),
        ("FROM ./test.gguf\nPARAMETER temperature hot\n", "Modelfile:2:1: invalid float value [hot]"),
        ("FROM ./test.gguf\nPARAMETER top_k 1.5\n", "Modelfile:2:1: invalid int value [1.5]"),
        ("FROM ./test.gguf\nADAPTER ./nope.gguf\n", "Modelfile:2:1: ADAPTER ./nope.gguf: no such file"),
        ("FROM ./test.gguf\nREQUIRES banana\n", "Modelfile:2:1: requires must be a valid semver"),
        ("FROM ./not-gguf.txt\n", "not a GGUF"),
        ("FROM ./truncated.gguf\n", "the GGUF is truncated"),
        (f"FROM sha256:{'0' * 64}\n", f"Modelfile:1:1: sha256:{'0' * 64}: no such blob"),
    ],
)
def test_errors_name_the_fault_and_write_nothing(
    tmp_path: Path, store: Store, minimal: Path, text: str, message: str
) -> None:
    (tmp_path / "not-gguf.txt").write_text("hello")
    write_gguf(tmp_path / "truncated.gguf", {"general.architecture": "t"}, {"w": (64, 64)})
    with (tmp_path / "truncated.gguf").open("r+b") as handle:
        handle.truncate(handle.seek(0, 2) - 100)
    build(modelfile(tmp_path, "FROM ./test.gguf\n", "Good"), "keep", store=store)
    before = tree(store.root)
    with pytest.raises(BuildError) as caught:
        build(modelfile(tmp_path, text), "m", store=store)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
    assert tree(store.root) == before


def test_syntax_errors_come_from_the_parser(tmp_path: Path, store: Store) -> None:
    with pytest.raises(ModelfileError) as caught:
        build(modelfile(tmp_path, "FROM x\nMESSAGE robot hi\n"), "m", store=store)
    assert (caught.value.line, caught.value.column) == (2, 9)


def test_manifest_decodes_any_formatting() -> None:
    pretty = json.dumps(
        {
            "schemaVersion": 2,
            "config": {"mediaType": "c", "digest": "sha256:" + "a" * 64, "size": 3},
            "layers": [{"mediaType": MODEL, "digest": "sha256:" + "b" * 64, "size": 5, "from": "x:latest"}],
        },
        indent=4,
    ).encode()
    manifest = Manifest.decode(pretty, "pretty")
    assert manifest.layers[0].from_ == "x:latest"
    assert manifest.size == 8


def test_a_template_go_cannot_parse_fails_the_build_at_its_position(
    tmp_path: Path, store: Store, minimal: Path
) -> None:
    text = 'FROM ./test.gguf\nTEMPLATE """{{ if .System }}\n{{ .Prompt }"""\n'
    with pytest.raises(BuildError, match=r"Modelfile:3:12: template error: unexpected '}' in action"):
        build(modelfile(tmp_path, text), "m", store=store)
    assert tree(store.root) == {}


def test_a_template_mfc_cannot_translate_still_builds_with_a_warning(
    tmp_path: Path, store: Store, minimal: Path
) -> None:
    text = 'FROM ./test.gguf\nTEMPLATE """{{ define "x" }}a{{ end }}{{ template "x" . }}{{ .Prompt }}"""\n'
    result = build(modelfile(tmp_path, text), "m", store=store)
    assert [w.removeprefix(str(tmp_path) + "/") for w in result.warnings] == [
        "Modelfile:2:13: mfc run cannot render this TEMPLATE ({{ define }} is not supported); Ollama can",
    ]


def test_from_tells_paths_from_names_by_ollamas_rule(tmp_path: Path, store: Store) -> None:
    """``FROM .hidden`` is written as a model name (Ollama looks it up, and refuses the
    name); ``FROM x.pt`` is written as a path.  A file that exists is a file either way."""
    with pytest.raises(BuildError) as caught:
        build(modelfile(tmp_path, "FROM .hidden\n"), "m", store=store)
    assert str(caught.value).endswith("Modelfile:1:1: FROM .hidden: neither a file nor a valid model name")
    with pytest.raises(BuildError) as caught:
        build(modelfile(tmp_path, "FROM x.pt\n"), "m", store=store)
    assert str(caught.value).endswith(f"Modelfile:1:1: FROM x.pt: no such file ({tmp_path / 'x.pt'})")
    assert tree(store.root) == {}
    write_gguf(tmp_path / ".hidden", {"general.architecture": "test"})
    assert build(modelfile(tmp_path, "FROM .hidden\n"), "m", store=store).layers[0].media_type == MODEL


@pytest.mark.parametrize(
    ("adapter", "problem"),
    [
        ({"general.architecture": "test", "general.type": "model"}, "is a model (general.type = model), not a LoRA"),
        ({"general.architecture": "test"}, "is a model (no general.type = adapter), not a LoRA adapter"),
        ({"general.architecture": "qwen2", "general.type": "adapter"}, "is a LoRA for qwen2; FROM is test"),
    ],
)
def test_an_adapter_llama_cpp_could_never_apply_is_refused(
    tmp_path: Path, store: Store, minimal: Path, adapter: dict[str, str], problem: str
) -> None:
    write_gguf(tmp_path / "a.gguf", adapter)
    build(modelfile(tmp_path, "FROM ./test.gguf\n", "Base"), "base", store=store)
    before = tree(store.root)
    for text in ("FROM ./test.gguf\nADAPTER ./a.gguf\n", "FROM base\nADAPTER ./a.gguf\n"):
        with pytest.raises(BuildError) as caught:
            build(modelfile(tmp_path, text), "m", store=store)
        assert str(caught.value).startswith(f"{tmp_path / 'Modelfile'}:2:1: ADAPTER ./a.gguf {problem}")
        assert tree(store.root) == before


def test_progress_events_render_as_ollama_statuses(tmp_path: Path, store: Store, minimal: Path) -> None:
    from builder.events import Event

    events: list[Event] = []
    build(modelfile(tmp_path, "FROM ./test.gguf\n"), "m", store=store, progress=events.append)
    size = minimal.stat().st_size
    assert events[1].to_dict() == {"status": "copying test.gguf", "total": size, "completed": size}
    assert events[-1].to_dict() == {"status": "success"}
    assert Event("quantizing", 10, 4, "tensors").to_dict() == {
        "status": "quantizing",
        "total": 10,
        "completed": 4,
        "unit": "tensors",
    }


def test_create_is_build_with_ollamas_spelling(tmp_path: Path, minimal: Path) -> None:
    """``mfc create NAME -f FILE`` (as ``ollama create``), ``mfc build NAME`` and
    ``mfc build -t NAME`` are one command."""
    from click.testing import CliRunner

    from builder.cli.main import cli

    path = str(modelfile(tmp_path, "FROM ./test.gguf\nSYSTEM hi\n", "Custom"))
    store = ["--store", str(tmp_path / "store")]
    runner = CliRunner()
    for args in (
        ["create", "me/one", "-f", path],
        ["build", "me/two", "-f", path],
        ["build", "-t", "me/three", "-f", path],
    ):
        result = runner.invoke(cli, [*args, *store, "--quiet"])
        assert result.exit_code == 0, result.output
    assert len({Store(tmp_path / "store").find(n).digest for n in ("me/one", "me/two", "me/three")}) == 1
    listed = [line.split()[0] for line in runner.invoke(cli, ["--help"]).output.splitlines() if line.startswith("  ")]
    assert "create" in listed and "build" in listed
    assert "create [OPTIONS] [NAME]" in runner.invoke(cli, ["create", "--help"]).output
    assert runner.invoke(cli, ["create", "-f", path, *store]).exit_code == 2  # no name
    assert runner.invoke(cli, ["build", "a", "-t", "b", "-f", path, *store]).exit_code == 2  # two names
    bad_type = runner.invoke(cli, ["create", "q", "-f", path, "-q", "q9_nonsense", *store])
    assert bad_type.exit_code == 1
    assert bad_type.stderr.startswith("error: unknown quantization type 'q9_nonsense'")


def test_a_progress_bar_ends_before_the_error_on_a_terminal(tmp_path: Path) -> None:
    """On a terminal the hashing bar is drawn; the error the group reports after it
    starts on a line of its own."""
    import os
    import pty
    import subprocess
    import sys

    from models import smollm2_gguf

    (tmp_path / "Modelfile").write_text(f"FROM {smollm2_gguf()}\n")
    leader, follower = pty.openpty()
    command = [sys.executable, "-m", "builder.cli.main", "build", "q", "-q", "q4_K_M", "--store", str(tmp_path / "s")]
    env = {**os.environ, "MFC_MODELS": "", "OLLAMA_MODELS": ""}
    try:
        result = subprocess.run(command, cwd=tmp_path, stdout=subprocess.DEVNULL, stderr=follower, env=env, timeout=300)
        os.close(follower)
        output = b""
        while True:
            try:
                chunk = os.read(leader, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(leader)
    text = output.decode("utf-8", "replace")
    assert result.returncode == 1
    assert "\x1b[?25l" in text and "hashing" in text  # a bar (click hides the cursor while drawing)
    assert "\nerror: --quantize Q4_K_M: " in text and "is already quantized" in text


def test_paths_the_os_refuses_are_one_line_build_errors(tmp_path: Path, store: Store, minimal: Path) -> None:
    """Too long a name, a FIFO (never opened: the build must not hang), a dangling link."""
    import os

    long_name = "./" + "x" * 300 + ".gguf"
    os.mkfifo(tmp_path / "pipe.gguf")
    (tmp_path / "gone.gguf").symlink_to(tmp_path / "nowhere.gguf")
    cases = {
        f"FROM {long_name}\n": f"Modelfile:1:1: FROM {long_name}: file name too long",
        "FROM ./pipe.gguf\n": "Modelfile:1:1: FROM ./pipe.gguf: is a named pipe (FIFO), not a regular file",
        "FROM ./test.gguf\nADAPTER ./pipe.gguf\n": "Modelfile:2:1: ADAPTER ./pipe.gguf: is a named pipe (FIFO)",
        f"FROM ./test.gguf\nDRAFT {long_name}\n": f"Modelfile:2:1: DRAFT {long_name}: file name too long",
        "FROM ./test.gguf\nADAPTER ./gone.gguf\n": "Modelfile:2:1: ADAPTER ./gone.gguf: no such file or directory",
    }
    for text, message in cases.items():
        with pytest.raises(BuildError) as caught:
            build(modelfile(tmp_path, text), "m", store=store)
        assert message in str(caught.value) and "\n" not in str(caught.value)
    assert tree(store.root) == {}
