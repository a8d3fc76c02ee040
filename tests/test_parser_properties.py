"""Property tests: mfc's grammar against an independent state-machine oracle, and the
formatter's round trip, on generated Modelfiles (every encoding, quoting form, line
end and invisible character).  ``MFC_FUZZ_EXAMPLES`` raises the number of examples."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, given, settings
from ollama_oracle import ollama_parse
from strategies import modelfile_bytes, modelfile_text

import modelfile
from modelfile import ModelfileError

EXAMPLES = int(os.environ.get("MFC_FUZZ_EXAMPLES", "400"))
fuzz = settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))


def mfc_outcome(data: bytes | str) -> list[tuple[str, str]] | str:
    try:
        return modelfile.parse(data).ollama_commands()
    except ModelfileError as error:
        assert error.ollama is not None
        assert error.line >= 1 and error.column >= 1
        return error.ollama


@fuzz
@given(modelfile_bytes())
def test_grammar_agrees_with_the_state_machine(data: bytes) -> None:
    assert mfc_outcome(data) == ollama_parse(data)


@fuzz
@given(modelfile_text())
def test_format_round_trips_and_is_idempotent(text: str) -> None:
    try:
        parsed = modelfile.parse(text)
    except ModelfileError:
        return
    formatted = modelfile.format(parsed)
    reparsed = modelfile.parse(formatted)
    assert reparsed.ollama_commands() == parsed.ollama_commands()
    assert modelfile.format(reparsed) == formatted
