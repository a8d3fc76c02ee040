"""``mfc run`` and ``mfc embed`` on the real SmolLM2-135M-Instruct GGUF (and
all-MiniLM-L6-v2 for embeddings), through llama-cpp-python: parameters, SYSTEM,
MESSAGEs, templates, determinism, the chat, llama.cpp's errors reaching the user, and
the library API under them (streams of typed chunks, cancelling, per-request options,
capabilities, embeddings)."""

from __future__ import annotations

import doctest
import json
import math
import os
import pty
import re
import select
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from ggufs import write_gguf
from hf_fixtures import minilm_folder
from models import REPO, mfc, smollm2_gguf

import builder
from builder import ChatSession, Done, Store, TextChunk, build
from builder.errors import CapabilityError, OptionError, RunError
from builder.prompts import GoTemplate, JinjaChatTemplate, conversation, fit
from builder.run import Runner
from builder.run_options import request_options
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
    result = run(store, "assistant", "Tell me a long story about dragons.", "-p", "num_predict", "5", "--json")
    record = json.loads(result.stdout)
    assert record["eval_count"] == 5
    assert record["done_reason"] == "length"
    assert record["done"] is True
    for key in ("total_duration", "load_duration", "prompt_eval_duration", "eval_duration"):
        assert isinstance(record[key], int) and record[key] > 0
    assert record["total_duration"] >= record["load_duration"] + record["eval_duration"]


def test_stop_cuts_the_answer_before_the_stop_text(store: Store) -> None:
    full = json.loads(run(store, "plain", QUESTION, "--json").stdout)["response"]
    words = full.split()
    assert len(words) >= 4, full
    stop = words[len(words) // 2]
    cut = json.loads(run(store, "plain", QUESTION, "-p", "stop", stop, "--json").stdout)
    assert cut["done_reason"] == "stop"
    assert cut["response"] == full[: full.index(stop)]


def test_system_and_messages_shape_the_prompt_and_the_answer(store: Store) -> None:
    pirate = Runner(store, "pirate")
    prompt = pirate.prompt_for([{"role": "user", "content": QUESTION}])
    assert prompt.index("You are a pirate") < prompt.index("Arr, a pirate I be!") < prompt.index(QUESTION)
    plain_answer = json.loads(run(store, "plain", QUESTION, "--json").stdout)["response"]
    pirate_answer = json.loads(run(store, "pirate", QUESTION, "--json").stdout)["response"]
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
    piped = run(store, "plain", "--json", stdin=QUESTION)
    assert QUESTION in Runner(store, "plain").prompt_for([{"role": "user", "content": QUESTION}])
    assert (
        json.loads(piped.stdout)["response"] == json.loads(run(store, "plain", QUESTION, "--json").stdout)["response"]
    )
    for args, expected, code in (  # a bad -p is the command line's fault: exit 2 (issue 10)
        (("nobody", "hi"), "error: model 'nobody:latest' not found", 1),
        (("plain", "hi", "-p", "top_k", "many"), "error: parameter top_k: invalid int value [many]", 2),
        (("plain", "hi", "-p", "colour", "red"), "error: unknown parameter 'colour'", 2),
    ):
        result = run(store, *args)
        assert result.returncode == code
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


# ---- the library API ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def plain(store: Store) -> Iterator[Runner]:
    """One loaded model for the API tests (temperature 0, seed 7: the same answer each time)."""
    with Runner(store, "plain") as runner:
        yield runner


@pytest.fixture(scope="module")
def minilm(tmp_path_factory: pytest.TempPathFactory) -> Store:
    """all-MiniLM-L6-v2 from its sentence-transformers folder: an embedding model (BERT, mean pooling)."""
    folder = tmp_path_factory.mktemp("minilm")
    (folder / "Modelfile").write_text(f"FROM {minilm_folder()}\n")
    the_store = Store(folder / "store")
    build(folder / "Modelfile", "minilm", store=the_store)
    return the_store


def test_a_stream_is_text_chunks_then_one_done_record(plain: Runner) -> None:
    *texts, done = list(plain.stream(QUESTION))
    assert texts and all(isinstance(chunk, TextChunk) and chunk.text for chunk in texts)
    assert isinstance(done, Done)
    answer = done.generation
    assert "".join(chunk.text for chunk in texts if isinstance(chunk, TextChunk)) == answer.response
    assert "Paris" in answer.response and answer.done_reason == "stop"
    assert answer.eval_count == len(answer.tokens) + 1  # the end-of-generation token is counted, not kept
    assert list(answer.to_dict()) == [
        "model",
        "created_at",
        "response",
        "done",
        "done_reason",
        "total_duration",
        "load_duration",
        "prompt_eval_count",
        "prompt_eval_duration",
        "eval_count",
        "eval_duration",
    ]
    again = plain.generate(QUESTION)
    assert (again.response, again.tokens) == (answer.response, answer.tokens)
    reply = plain.chat([{"role": "user", "content": QUESTION}]).to_chat_dict()
    assert reply["message"] == {"role": "assistant", "content": answer.response}
    assert "response" not in reply and reply["done"] is True


def test_cancelling_stops_within_one_token_and_the_runner_stays_usable(plain: Runner) -> None:
    reference = plain.generate(QUESTION)
    assert len(reference.tokens) >= 6, reference.response
    n = 3
    event = threading.Event()
    stream = plain.stream(QUESTION, cancel=event)
    seen = 0
    for chunk in stream:
        if isinstance(chunk, TextChunk):
            seen += 1
            if seen == n:
                event.set()
    assert stream.result is not None
    assert stream.result.done_reason == "cancel"
    assert stream.result.eval_count <= n + 1
    assert plain.generate(QUESTION).tokens == reference.tokens

    stream = plain.stream(QUESTION)  # cancel() from another thread
    next(stream)
    canceller = threading.Thread(target=stream.cancel)
    canceller.start()
    canceller.join()
    *_, last = list(stream)
    assert isinstance(last, Done) and last.generation.done_reason == "cancel"
    assert last.generation.eval_count <= 2

    stream = plain.stream(QUESTION)  # close(): nothing more is decoded
    assert plain.engine is not None
    for count, _ in enumerate(stream, 1):
        if count == n:
            decoded = plain.engine.decoded
            break
    stream.close()
    plain.generate(QUESTION, options={"num_predict": 1})  # runs after the closed stream has left
    assert plain.engine.decoded <= decoded + 1 + len(stream.request.tokens)
    assert stream.result is None
    assert plain.generate(QUESTION).tokens == reference.tokens

    for _ in plain.stream(QUESTION):  # leaving a loop over an iterator nobody keeps frees the model at once
        break
    answers: list[list[int]] = []
    other = threading.Thread(target=lambda: answers.append(plain.generate(QUESTION).tokens), daemon=True)
    other.start()
    other.join(timeout=120)
    assert answers == [reference.tokens]  # another thread got the model
    abandoned = plain.stream(QUESTION)  # kept but left unfinished: this thread's next request closes it
    next(abandoned)
    assert plain.generate(QUESTION).tokens == reference.tokens


def test_requests_from_two_threads_take_turns(plain: Runner) -> None:
    reference = plain.generate(QUESTION).response
    answers: dict[int, str] = {}

    def ask(index: int) -> None:
        answers[index] = plain.generate(QUESTION).response

    threads = [threading.Thread(target=ask, args=(index,)) for index in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert answers == {0: reference, 1: reference}


def test_options_belong_to_the_request(plain: Runner) -> None:
    full = plain.generate(QUESTION)
    short = plain.generate(QUESTION, options={"num_predict": 3})
    assert (short.eval_count, short.done_reason) == (3, "length")
    assert plain.generate(QUESTION).tokens == full.tokens  # the runner's own options are back
    cut = plain.generate(QUESTION, options={"stop": ["Paris"]})
    assert cut.response == full.response[: full.response.index("Paris")]
    assert "You are terse." in plain.generate(QUESTION, system="You are terse.", options={"num_predict": 1}).prompt
    for options, message in (
        ({"temperature": "hot"}, 'option "temperature" must be of type float32'),
        ({"seed": True}, 'option "seed" must be of type integer'),
        ({"stop": "x"}, 'option "stop" must be of type array'),
        ({"stop": [1]}, 'option "stop" must be of an array of strings'),
        ({"temprature": 0.5}, "unknown option 'temprature'; did you mean temperature?"),
        ({"num_ctx": 99}, "num_ctx is set when the model loads"),
    ):
        with pytest.raises(OptionError, match=re.escape(message)):
            plain.stream(QUESTION, options=options)
    assert plain.generate(QUESTION, options={"num_ctx": plain.num_ctx, "num_predict": 2}).eval_count == 2
    assert request_options({"top_k": 5.9, "mirostat": 1, "nonesuch": 1, "seed": None}, strict=False) == {"top_k": 5}


def test_format_constrains_the_answer_to_json(plain: Runner) -> None:
    schema = {"type": "object", "properties": {"capital": {"type": "string"}}, "required": ["capital"]}
    answer = plain.generate(f"{QUESTION} Answer in JSON.", format=schema, options={"num_predict": 100})
    assert answer.done_reason == "stop"
    assert list(json.loads(answer.response)) == ["capital"]
    with pytest.raises(RunError, match=re.escape('invalid format: "\\"xml\\""; expected "json"')):
        plain.stream(QUESTION, format="xml")


def test_module_level_calls_load_answer_and_free(store: Store, plain: Runner) -> None:
    answer = builder.generate("plain", QUESTION, store=store)
    assert answer.response == plain.generate(QUESTION).response
    assert answer.load_duration > 0 and answer.total_duration > answer.load_duration
    assert builder.generate("plain", QUESTION, store=str(store.root), options={"num_predict": 2}).eval_count == 2
    reply = builder.chat("pirate", [{"role": "user", "content": QUESTION}], store=store, options={"num_predict": 8})
    assert reply.message["role"] == "assistant" and reply.response
    assert reply.prompt.index("You are a pirate") < reply.prompt.index(QUESTION)


def test_an_embedding_model_embeds_and_does_not_generate(minilm: Store) -> None:
    result = mfc("run", "minilm", "hello", "--store", str(minilm.root))
    assert (result.returncode, result.stdout, result.stderr) == (1, "", 'error: "minilm" does not support generate\n')
    as_json = mfc("run", "minilm", "hello", "--json", "--store", str(minilm.root))
    assert json.loads(as_json.stdout)["error"] == {
        "code": "unsupported-capability",
        "message": '"minilm" does not support generate',
    }
    texts = ["the cat sat on the mat", "a cat was sitting on a rug", "quarterly tax filing deadlines"]
    with Runner(minilm, "minilm") as runner:
        with pytest.raises(CapabilityError, match=r'^"minilm" does not support generate$'):
            runner.generate("hello")
        with pytest.raises(CapabilityError, match=r'^"minilm" does not support chat$'):
            runner.stream([{"role": "user", "content": "hello"}])
        found = runner.embed(texts)
        assert found.prompt_eval_count == sum(len(runner.llm.tokenize(text.encode())) for text in texts)
        assert all(len(vector) == 384 and math.isclose(math.hypot(*vector), 1) for vector in found.embeddings)
        first, second, third = found.embeddings
        assert sum(a * b for a, b in zip(first, second, strict=True)) > sum(
            a * b for a, b in zip(first, third, strict=True)
        )
        whole = runner.embed(texts[0]).embeddings[0]
        short = runner.embed(texts[0], dimensions=8).embeddings[0]
        assert len(short) == 8 and math.isclose(math.hypot(*short), 1)
        scale = math.hypot(*whole[:8])
        assert all(math.isclose(a, b / scale, abs_tol=1e-6) for a, b in zip(short, whole[:8], strict=True))
        assert runner.embed([]).embeddings == []
        long_text = "word " * 600
        with pytest.raises(RunError, match=r"^the input length exceeds the context length$"):
            runner.embed([long_text], truncate=False)
        assert runner.embed([long_text]).prompt_eval_count == runner.llm.n_batch
    once = builder.embed("minilm", texts, store=minilm)
    assert all(
        math.isclose(a, b, abs_tol=1e-6)
        for ours, theirs in zip(once.embeddings, found.embeddings, strict=True)
        for a, b in zip(ours, theirs, strict=True)
    )
    printed = mfc("embed", "minilm", texts[0], "--dimensions", "8", "--store", str(minilm.root))
    assert printed.returncode == 0, printed.stderr
    assert list(json.loads(printed.stdout)) == [
        "model",
        "embeddings",
        "total_duration",
        "load_duration",
        "prompt_eval_count",
    ]
    assert len(json.loads(printed.stdout)["embeddings"][0]) == 8


def test_a_chat_session_keeps_its_exchanges_and_parameters(plain: Runner) -> None:
    reference = plain.generate(QUESTION)
    session = ChatSession(plain, system="Be brief.")
    *_, first = session.send(QUESTION)
    assert isinstance(first, Done)
    assert session.history == [{"role": "user", "content": QUESTION}, first.generation.message]
    *_, second = session.send("And of Spain?")
    assert isinstance(second, Done)
    prompt = second.generation.prompt
    assert prompt.index("Be brief.") < prompt.index(QUESTION) < prompt.index(first.generation.response)
    session.set_parameter("num_predict", "2")
    *_, third = session.send("And of Italy?")
    assert isinstance(third, Done) and third.generation.eval_count == 2
    assert plain.options["num_predict"] == 48  # the runner's own are untouched
    assert "num_predict                    2" in session.describe("parameters")
    with pytest.raises(OptionError, match="num_ctx is set when the model loads"):
        session.set_parameter("num_ctx", "99")
    chunks = session.send("And of Peru?")
    next(chunks)
    chunks.close()
    assert len(session.history) == 6  # an answer closed half-way is not kept
    assert plain.generate(QUESTION).tokens == reference.tokens  # and the model is free again
    session.clear()
    assert session.history == []


def test_the_api_docstring_examples_run() -> None:
    import builder.generation
    import builder.inference
    import builder.run
    import builder.run_options
    import builder.session

    for module in (builder.generation, builder.run_options, builder.inference, builder.run, builder.session):
        outcome = doctest.testmod(module)
        assert outcome.failed == 0, module.__name__
    assert doctest.testmod(builder.generation).attempted >= 4


# ---- mfc run as ollama run: --format constrains, --json records, --verbose times (issue 10) ----


def test_format_json_constrains_the_answer_and_json_prints_the_record(store: Store) -> None:
    """``--format json`` printed a statistics record; in Ollama it constrains the answer."""
    answer = run(store, "plain", "List three colours as JSON.", "--format", "json", "-p", "num_predict", "48")
    assert answer.returncode == 0, answer.stderr
    assert not answer.stdout.lstrip().startswith('{"model"')  # the answer itself, not the record
    record = json.loads(run(store, "plain", QUESTION, "--json", "-p", "num_predict", "4").stdout)
    assert record["done"] is True and record["eval_count"] <= 4 and record["model"] == "plain:latest"


def test_format_schema_from_a_file_gives_an_answer_that_validates(store: Store, tmp_path: Path) -> None:
    import jsonschema

    schema = {
        "type": "object",
        "properties": {"city": {"type": "string"}, "population": {"type": "integer"}},
        "required": ["city", "population"],
    }
    (tmp_path / "schema.json").write_text(json.dumps(schema))
    result = run(store, "plain", QUESTION, "--format", str(tmp_path / "schema.json"), "--json")
    assert result.returncode == 0, result.stderr
    jsonschema.validate(json.loads(json.loads(result.stdout)["response"]), schema)
    inline = run(store, "plain", QUESTION, "--format", json.dumps(schema), "--json")
    jsonschema.validate(json.loads(json.loads(inline.stdout)["response"]), schema)


def test_bad_parameters_and_formats_are_usage_errors_naming_them(store: Store) -> None:
    """``-p temperature hot`` exited 1 with ``invalid float value [hot]`` and no name."""
    hot = run(store, "plain", QUESTION, "-p", "temperature", "hot")
    assert (hot.returncode, hot.stderr) == (2, "error: parameter temperature: invalid float value [hot]\n")
    typo = run(store, "plain", QUESTION, "-p", "temprature", "0.2")
    assert (typo.returncode, typo.stderr) == (2, "error: unknown parameter 'temprature'; did you mean temperature?\n")
    bad = run(store, "plain", QUESTION, "--format", "xml")
    assert bad.returncode == 2 and bad.stderr.startswith("error: format: 'xml' is not json, a JSON schema")


def test_verbose_prints_ollamas_timing_block(store: Store) -> None:
    result = run(store, "plain", QUESTION, "-p", "num_predict", "3", "--verbose")
    assert result.returncode == 0, result.stderr
    for label in ("total duration:", "load duration:", "prompt eval count:", "eval count:", "eval rate:"):
        assert label in result.stderr
