"""``mfc run`` and ``mfc embed`` on the real SmolLM2-135M-Instruct GGUF, through
llama-cpp-python: parameters, SYSTEM, MESSAGEs, templates, determinism, the chat, and
llama.cpp's errors reaching the user."""

from __future__ import annotations

import json
import os
import pty
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest
from ggufs import write_gguf
from models import REPO, mfc, smollm2_gguf

from builder import Store, build
from builder.chat import GoTemplate, JinjaChatTemplate, conversation, fit
from builder.run import RunError, Runner
from modelfile.gguf_metadata import read_metadata

QUESTION = "What is the capital of France?"


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """The bundled example, built as it ships, plus variants."""
    folder = tmp_path_factory.mktemp("run")
    shutil.copy(REPO / "examples" / "smollm2" / "Modelfile", folder / "Modelfile")
    (folder / "SmolLM2-135M-Instruct.Q4_1.gguf").symlink_to(smollm2_gguf())
    the_store = Store(folder / "store")
    build(folder / "Modelfile", "assistant", store=the_store)
    (folder / "Plain").write_text(
        f"FROM {smollm2_gguf()}\nPARAMETER seed 7\nPARAMETER temperature 0\nPARAMETER num_predict 48\n"
    )
    build(folder / "Plain", "plain", store=the_store)
    (folder / "Pirate").write_text(
        "FROM plain\nSYSTEM You are a pirate. Always talk like a pirate.\n"
        "MESSAGE user Who are you?\nMESSAGE assistant Arr, a pirate I be!\n"
    )
    build(folder / "Pirate", "pirate", store=the_store)
    model_digest = the_store.find("plain").manifest.layers[0].digest
    (folder / "Native").write_text(f"FROM {model_digest}\nPARAMETER temperature 0\nPARAMETER num_predict 48\n")
    build(folder / "Native", "native", store=the_store)  # a blob reference: no TEMPLATE layer
    return the_store


def run(store: Store, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return mfc("run", *args, "--store", str(store.root), input=stdin)


def test_a_fixed_seed_gives_the_same_text_twice(store: Store) -> None:
    first = run(store, "assistant", "Write a short poem about rivers.", "-p", "temperature", "0.9")
    second = run(store, "assistant", "Write a short poem about rivers.", "-p", "temperature", "0.9")
    assert first.returncode == 0, first.stderr
    assert first.stdout == second.stdout
    assert len(first.stdout.split()) > 5
    other_seed = run(
        store, "assistant", "Write a short poem about rivers.", "-p", "temperature", "0.9", "-p", "seed", "43"
    )
    assert other_seed.stdout != first.stdout


def test_num_predict_limits_the_answer(store: Store) -> None:
    result = run(
        store, "assistant", "Tell me a long story about dragons.", "-p", "num_predict", "5", "--format", "json"
    )
    record = json.loads(result.stdout)
    assert record["eval_count"] == 5
    assert record["done_reason"] == "length"
    assert record["done"] is True
    for key in ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration"):
        assert isinstance(record[key], int) and record[key] > 0
    assert record["total_duration"] >= record["load_duration"] + record["eval_duration"]


def test_stop_cuts_the_answer_before_the_stop_text(store: Store) -> None:
    full = json.loads(run(store, "plain", QUESTION, "--format", "json").stdout)["response"]
    words = full.split()
    assert len(words) >= 4, full
    stop = words[len(words) // 2]
    cut = json.loads(run(store, "plain", QUESTION, "-p", "stop", stop, "--format", "json").stdout)
    assert cut["done_reason"] == "stop"
    assert cut["response"] == full[: full.index(stop)]


def test_system_and_messages_shape_the_prompt_and_the_answer(store: Store) -> None:
    pirate = Runner(store, "pirate")
    prompt = pirate.prompt_for([{"role": "user", "content": QUESTION}])
    assert prompt.index("You are a pirate") < prompt.index("Arr, a pirate I be!") < prompt.index(QUESTION)
    plain_answer = json.loads(run(store, "plain", QUESTION, "--format", "json").stdout)["response"]
    pirate_answer = json.loads(run(store, "pirate", QUESTION, "--format", "json").stdout)["response"]
    assert pirate_answer != plain_answer
    override = Runner(store, "assistant")
    override.system = "Answer only in French."
    assert "Answer only in French." in override.prompt_for([{"role": "user", "content": "hi"}])


def test_without_a_template_layer_the_ggufs_jinja_template_renders_the_prompt(store: Store) -> None:
    from llama_cpp import Llama
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    native = Runner(store, "native")
    assert isinstance(native.format, JinjaChatTemplate)
    messages = [{"role": "user", "content": QUESTION}]
    ours = native.prompt_for(messages)
    chat_template = read_metadata(smollm2_gguf()).metadata["tokenizer.chat_template"]
    vocab = Llama(model_path=str(smollm2_gguf()), vocab_only=True, verbose=False)
    theirs = Jinja2ChatFormatter(
        chat_template,
        eos_token=vocab.detokenize([vocab.token_eos()], special=True).decode(),
        bos_token=vocab.detokenize([vocab.token_bos()], special=True).decode(),
    )(messages=messages).prompt
    assert ours == theirs
    assert "SmolLM" in ours  # the template's own default system prompt


def test_the_go_chatml_template_and_the_ggufs_jinja_agree(store: Store) -> None:
    chat_template = read_metadata(smollm2_gguf()).metadata["tokenizer.chat_template"]
    messages = [
        {"role": "system", "content": "Be brief."},
        {"role": "user", "content": "hi"},
        {"role": "assistant", "content": "hello"},
        {"role": "user", "content": QUESTION},
    ]
    go = Runner(store, "assistant").format
    jinja = JinjaChatTemplate(chat_template, "<|im_start|>", "<|im_end|>")
    assert isinstance(go, GoTemplate)
    assert go.render(messages, None) == jinja.render(messages, None)


def test_fit_drops_the_oldest_messages_but_keeps_system_and_the_last() -> None:
    template = GoTemplate("{{ range .Messages }}[{{ .Role }}:{{ .Content }}]{{ end }}")
    messages = conversation("sys", [], [{"role": "user", "content": f"m{i} " * 5} for i in range(6)])

    def count(text: str) -> int:
        return len(text.split())

    prompt = fit(messages, template, count, 14)
    assert prompt.startswith("[system:sys]")
    assert prompt.endswith("m5 m5 m5 m5 m5 ]")
    assert "m0" not in prompt and "m3" not in prompt and "m4" in prompt
    assert fit(messages, template, count, 1).count("[user:") == 1  # the last message always stays


def test_stdin_is_the_prompt_and_errors_are_one_line(store: Store) -> None:
    piped = run(store, "plain", "--format", "json", stdin=QUESTION)
    assert QUESTION in Runner(store, "plain").prompt_for([{"role": "user", "content": QUESTION}])
    assert (
        json.loads(piped.stdout)["response"]
        == json.loads(run(store, "plain", QUESTION, "--format", "json").stdout)["response"]
    )
    for args, expected in (
        (("nobody", "hi"), "error: model 'nobody:latest' not found"),
        (("plain", "hi", "-p", "top_k", "many"), "error: invalid int value [many]"),
        (("plain", "hi", "-p", "colour", "red"), "error: unknown parameter 'colour'"),
    ):
        result = run(store, *args)
        assert result.returncode == 1
        assert result.stderr.strip().splitlines() == [expected + result.stderr.strip()[len(expected) :]]
        assert result.stderr.startswith(expected)


def test_llama_cpp_errors_reach_the_user(tmp_path: Path) -> None:
    store = Store(tmp_path / "store")
    write_gguf(tmp_path / "odd.gguf", {"general.architecture": "nonesuch"}, {"w": (4,)})
    (tmp_path / "Modelfile").write_text("FROM ./odd.gguf\n")
    build(tmp_path / "Modelfile", "odd", store=store)
    with pytest.raises(RunError, match="unknown model architecture: 'nonesuch'"):
        Runner(store, "odd")
    result = mfc("run", "odd", "hi", "--store", str(store.root))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "unknown model architecture: 'nonesuch'" in result.stderr


def test_interactive_chat_on_a_terminal(store: Store) -> None:
    leader, follower = pty.openpty()
    env = {**os.environ, "MFC_MODELS": "", "OLLAMA_MODELS": "", "TERM": "dumb"}
    process = subprocess.Popen(
        [sys.executable, "-m", "builder.cli.main", "run", "plain", "--store", str(store.root)],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        env=env,
        cwd=REPO,
    )
    os.close(follower)
    transcript = b""

    def until(marker: bytes, timeout: float = 60) -> None:
        nonlocal transcript
        deadline = time.monotonic() + timeout
        while marker not in transcript:
            assert time.monotonic() < deadline, transcript.decode(errors="replace")
            ready, _, _ = select.select([leader], [], [], 0.5)
            if ready:
                transcript += os.read(leader, 4096)

    def send(line: str, marker: bytes = b">>> ") -> None:
        nonlocal transcript
        transcript = b""
        os.write(leader, line.encode() + b"\r")
        until(marker)

    until(b">>> ")
    send("/set parameter num_predict 3")
    assert b"Set parameter 'num_predict' to '3'" in transcript
    send("/show parameters")
    assert b"num_predict                    3" in transcript
    send("/set system Always answer in French.")
    send("/show system")
    assert b"Always answer in French." in transcript
    send(QUESTION)
    send("/clear")
    assert b"Cleared session context" in transcript
    send("/set parameter num_ctx 99")
    assert b"num_ctx is set when the model loads" in transcript
    os.write(leader, b"/bye\r")
    assert process.wait(timeout=30) == 0
    os.close(leader)


def test_embed_gives_normalised_vectors_that_track_meaning(
    tmp_path_factory: pytest.TempPathFactory, store: Store
) -> None:
    """An embedding model: SmolLM2 with ``llama.pooling_type`` (mean) added by gguf-py."""
    import gguf

    folder = tmp_path_factory.mktemp("embed")
    reader = gguf.GGUFReader(smollm2_gguf())
    writer = gguf.GGUFWriter(folder / "embed.gguf", arch="llama")
    for key, item in reader.fields.items():
        if key.startswith("GGUF.") or key == "general.architecture":
            continue
        kind = item.types[0]
        if kind == gguf.GGUFValueType.ARRAY:
            if item.types[-1] == gguf.GGUFValueType.STRING:
                writer.add_array(key, [bytes(item.parts[i]).decode("utf-8", "replace") for i in item.data])
            else:
                writer.add_array(key, [item.parts[i].tolist()[0] for i in item.data])
        elif kind == gguf.GGUFValueType.STRING:
            writer.add_string(key, bytes(item.parts[item.data[0]]).decode("utf-8"))
        else:
            writer.add_key_value(key, item.parts[item.data[0]].tolist()[0], kind)
    writer.add_uint32("llama.pooling_type", 1)
    for tensor in reader.tensors:
        writer.add_tensor(tensor.name, tensor.data, raw_shape=tensor.data.shape, raw_dtype=tensor.tensor_type)
    writer.write_header_to_file()
    writer.write_kv_data_to_file()
    writer.write_tensors_to_file()
    writer.close()
    (folder / "Modelfile").write_text("FROM ./embed.gguf\n")
    embed_store = folder / "store"
    assert mfc("build", "--quiet", "-t", "embedder", "--store", str(embed_store), cwd=folder).returncode == 0
    result = mfc(
        "embed",
        "embedder",
        "the cat sat on the mat",
        "a cat was sitting on a rug",
        "quarterly tax filing deadlines",
        "--store",
        str(embed_store),
    )
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    vectors = data["embeddings"]
    assert len(vectors) == 3 and len(vectors[0]) == 576

    def dot(a: list[float], b: list[float]) -> float:
        return sum(x * y for x, y in zip(a, b, strict=True))

    assert all(abs(dot(v, v) - 1) < 1e-6 for v in vectors)
    assert dot(vectors[0], vectors[1]) > dot(vectors[0], vectors[2])
    assert data["prompt_eval_count"] > 10
    refused = mfc("embed", "plain", "x", "--store", str(store.root))
    assert refused.returncode == 1
    assert "plain:latest does not support embeddings" in refused.stdout
