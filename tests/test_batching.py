"""The batching engine (``builder.batching``) on the real SmolLM2-135M Q4_1 GGUF: parallel
sequences decode together and each answer is the one it would be alone (seeded
sampling and greedy), a request joins while another decodes, cancelling one frees its
slot, more requests than slots wait and all finish, and grammar, stop strings,
``num_predict`` and logprobs belong to each request.  Embedding requests made at the
same time are embedded together, each getting its own vectors (all-MiniLM-L6-v2)."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import llama_cpp
import pytest
from hf_fixtures import minilm_folder
from models import smollm2_gguf

from builder import Done, Store, TextChunk, build
from builder.generation import Generation
from builder.run import Runner

SEEDED = {"temperature": 0.9, "seed": 1234, "num_predict": 32}
GREEDY = {"temperature": 0, "num_predict": 32}
STORY = "Tell me a story about a cat."
OTHERS = ("What is 2+2?", "Name three colors.", "Why is the sky blue?")


@pytest.fixture(scope="module")
def store(tmp_path_factory: pytest.TempPathFactory) -> Store:
    folder = tmp_path_factory.mktemp("batching")
    (folder / "Modelfile").write_text(f"FROM {smollm2_gguf()}\nPARAMETER num_ctx 1024\n")
    the_store = Store(folder / "store")
    build(folder / "Modelfile", "smol", store=the_store)
    return the_store


@pytest.fixture(scope="module")
def four(store: Store) -> Iterator[Runner]:
    """Four sequence slots."""
    with Runner(store, "smol", parallel=4) as runner:
        yield runner


def _together(asks: list[Callable[[], Generation]]) -> list[Generation]:
    """Run the calls in threads at once; their answers, in order."""
    answers: dict[int, Generation] = {}
    errors: list[BaseException] = []

    def run(index: int, ask: Callable[[], Generation]) -> None:
        try:
            answers[index] = ask()
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=run, args=(index, ask)) for index, ask in enumerate(asks)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    return [answers[index] for index in range(len(asks))]


def _beside_three(runner: Runner, options: dict[str, Any]) -> Generation:
    """The answer to STORY while three other requests (sampling with seeds of their own) decode."""
    others = [
        (lambda q=q, i=i: runner.generate(q, options={"temperature": 0.7, "seed": i, "num_predict": 40}))
        for i, q in enumerate(OTHERS)
    ]
    *_, answer = _together([*others, lambda: runner.generate(STORY, options=options)])
    return answer


@pytest.mark.parametrize("options", [SEEDED, GREEDY], ids=["seeded", "greedy"])
def test_an_answer_is_the_same_alone_and_beside_three_others(four: Runner, options: dict[str, Any]) -> None:
    alone = four.generate(STORY, options=options)
    assert alone.eval_count == 32 and alone.response
    assert four.engine is not None
    steps = four.engine.steps
    beside = _beside_three(four, options)
    assert four.engine.steps - steps < 32 + 40 + 40  # the four shared steps: they decoded together
    assert (beside.tokens, beside.response) == (alone.tokens, alone.response)


def test_an_answer_is_the_same_while_other_requests_come_and_go(four: Runner) -> None:
    """Short requests keep finishing and starting beside it: the cells they free are
    taken again while it decodes."""
    options = {**SEEDED, "num_predict": 48}
    alone = four.generate(STORY, options=options)
    stop = threading.Event()
    started = threading.Barrier(4)
    served: list[int] = []

    def churn(index: int) -> None:
        started.wait()
        count = 0
        while not stop.is_set():
            short = {"temperature": 0.7, "seed": count, "num_predict": 3 + (count + index) % 5}
            four.generate(f"Question {index}-{count}: name a number.", options=short)
            count += 1
        served.append(count)

    threads = [threading.Thread(target=churn, args=(index,)) for index in range(3)]
    for thread in threads:
        thread.start()
    started.wait()
    try:
        beside = four.generate(STORY, options=options)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=300)
    assert sum(served) > 3  # others came and went meanwhile
    assert beside.tokens == alone.tokens


def test_a_request_joins_while_another_decodes(four: Runner) -> None:
    long = four.stream("Write a long story about a lighthouse keeper.", options={"temperature": 0, "num_predict": 120})
    first = next(long)
    assert isinstance(first, TextChunk)
    finished: list[int] = []

    def drain() -> None:
        for _ in long:
            pass
        finished.append(time.perf_counter_ns())

    reader = threading.Thread(target=drain)
    reader.start()
    short = four.stream("What is 2+2?", options={"temperature": 0, "num_predict": 4})
    next(short)
    joined = time.perf_counter_ns()
    rest = list(short)
    reader.join(timeout=300)
    assert isinstance(rest[-1], Done) and long.result is not None
    assert long.result.eval_count == 120  # it was not cut short
    assert joined < finished[0]  # the short one's first token came while the long one decoded


def test_cancelling_one_of_four_frees_its_slot_and_the_others_go_on(four: Runner) -> None:
    prompts = [STORY, *OTHERS]
    alone = [four.generate(prompt, options=GREEDY) for prompt in prompts]
    assert four.engine is not None
    streams = [four.stream(prompt, options=GREEDY) for prompt in prompts]
    results: dict[int, list[Any]] = {}

    def read(index: int) -> None:
        chunks = []
        for chunk in streams[index]:
            chunks.append(chunk)
            if index == 0 and len(chunks) == 2:
                streams[0].cancel()
        results[index] = chunks

    threads = [threading.Thread(target=read, args=(index,)) for index in range(4)]
    for thread in threads:
        thread.start()
    threads[0].join(timeout=300)
    cancelled = results[0][-1]
    assert isinstance(cancelled, Done) and cancelled.generation.done_reason == "cancel"
    assert cancelled.generation.eval_count < alone[0].eval_count
    assert four.engine.active <= 3  # its slot was given back before its Done was sent
    for thread in threads[1:]:
        thread.join(timeout=300)
    for index in (1, 2, 3):
        done = results[index][-1]
        assert isinstance(done, Done) and done.generation.tokens == alone[index].tokens
    memory = four.engine.context.memory
    last = [llama_cpp.llama_memory_seq_pos_max(memory, stream._sequence.slot) for stream in streams]
    assert last[0] == -1  # the cancelled one's cells were freed
    assert all(position > 0 for position in last[1:])  # the finished ones' are kept for a later prompt


def test_more_requests_than_slots_wait_and_all_finish(store: Store) -> None:
    prompts = [STORY, *OTHERS, "Name a fruit."]
    with Runner(store, "smol", parallel=2) as two:
        assert two.engine is not None
        alone = [two.generate(prompt, options={**GREEDY, "num_predict": 12}) for prompt in prompts]
        most_waiting = 0
        done = threading.Event()

        def watch() -> None:
            nonlocal most_waiting
            while not done.is_set():
                assert two.engine is not None
                most_waiting = max(most_waiting, two.engine.waiting)
                assert two.engine.active <= 2
                time.sleep(0.001)

        watcher = threading.Thread(target=watch)
        watcher.start()
        try:
            answers = _together([(lambda p=p: two.generate(p, options={**GREEDY, "num_predict": 12})) for p in prompts])
        finally:
            done.set()
            watcher.join()
    assert most_waiting >= 1
    assert [answer.tokens for answer in answers] == [answer.tokens for answer in alone]


def test_format_stop_and_num_predict_belong_to_each_request(four: Runner) -> None:
    question = "What is the capital of France?"
    full = four.generate(question, options=GREEDY)
    assert "Paris" in full.response
    schema = {"type": "object", "properties": {"capital": {"type": "string"}}, "required": ["capital"]}
    constrained, plain, cut, short = _together(
        [
            lambda: four.generate(f"{question} Answer in JSON.", format=schema, options={"num_predict": 60}),
            lambda: four.generate(question, options=GREEDY),
            lambda: four.generate(question, options={**GREEDY, "stop": ["Paris"]}),
            lambda: four.generate(question, options={**GREEDY, "num_predict": 3}),
        ]
    )
    assert list(json.loads(constrained.response)) == ["capital"]
    assert plain.tokens == full.tokens  # no grammar leaked into it
    assert cut.response == full.response[: full.response.index("Paris")] and cut.done_reason == "stop"
    assert (short.eval_count, short.done_reason, short.tokens) == (3, "length", full.tokens[:3])


def test_logprobs_are_the_log_softmax_of_each_sampled_token(four: Runner) -> None:
    chunks = list(four.stream(STORY, options=GREEDY, logprobs=True, top_logprobs=3))
    texts = [chunk for chunk in chunks if isinstance(chunk, TextChunk)]
    done = chunks[-1]
    assert isinstance(done, Done)
    entries = [entry for chunk in texts for entry in chunk.logprobs]
    assert len(entries) == len(done.generation.tokens)
    assert all(chunk.logprobs for chunk in texts)  # each line with text carries its tokens'
    assert b"".join(bytes(entry.bytes) for entry in entries).decode() == done.generation.response
    for entry in entries:
        assert entry.logprob <= 0 and len(entry.top_logprobs) == 3
        best = entry.top_logprobs
        assert best[0].logprob >= best[1].logprob >= best[2].logprob
        assert sum(math.exp(alternative.logprob) for alternative in best) <= 1 + 1e-6
        assert (best[0].token, best[0].logprob) == (entry.token, entry.logprob)  # greedy: the most likely
    plain = list(four.stream(STORY, options=GREEDY))
    assert all(not chunk.logprobs for chunk in plain if isinstance(chunk, TextChunk))


@pytest.fixture(scope="module")
def minilm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Runner]:
    folder = tmp_path_factory.mktemp("batching-minilm")
    (folder / "Modelfile").write_text(f"FROM {minilm_folder()}\n")
    the_store = Store(Path(folder) / "store")
    build(folder / "Modelfile", "minilm", store=the_store)
    with Runner(the_store, "minilm", parallel=4) as runner:
        yield runner


def test_concurrent_embeddings_are_embedded_together_and_match_lone_ones(minilm: Runner) -> None:
    assert minilm.parallel == 1 and minilm.engine is None  # an embedding model has one slot, as in Ollama
    texts = [[f"sentence number {i} about {topic}" for topic in ("cats", "rain")] for i in range(8)]
    alone = [minilm.embed(pair).embeddings for pair in texts]
    calls = minilm._embedder.calls
    answers = _together_embed(minilm, texts)
    assert minilm._embedder.calls - calls < len(texts)  # some were embedded in one call
    for got, expected in zip(answers, alone, strict=True):
        assert len(got) == 2
        for vector, reference in zip(got, expected, strict=True):
            assert max(abs(a - b) for a, b in zip(vector, reference, strict=True)) < 1e-4


def _together_embed(runner: Runner, texts: list[list[str]]) -> list[list[list[float]]]:
    start = threading.Barrier(len(texts))
    answers: dict[int, list[list[float]]] = {}

    def run(index: int) -> None:
        start.wait()
        answers[index] = runner.embed(texts[index]).embeddings

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(texts))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    return [answers[index] for index in range(len(texts))]
