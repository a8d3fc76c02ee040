"""A conversation with a loaded model, kept as ``ollama run`` keeps one: the exchanges
so far, a system message and parameters of its own (``/set system``, ``/set
parameter``), each message one ``Runner.stream`` request with them.

>>> session = ChatSession(Runner(None, "smollm2"))                   # doctest: +SKIP
>>> session.set_parameter("temperature", "0")                         # doctest: +SKIP
>>> "".join(c.text for c in session.send("Hi!") if isinstance(c, TextChunk))  # doctest: +SKIP
'Hello! How can I help you today?'
>>> len(session.history)                                              # doctest: +SKIP
2
"""

from __future__ import annotations

from collections.abc import Generator, Mapping
from typing import Any

from builder.generation import Chunk, Done
from builder.prompts import Message
from builder.run import Format, Runner
from builder.run_options import parse_options, request_options
from builder.show import parameters_text, summary
from builder.streaming import GenerationStream, Signal
from modelfile.go.encoding_json import Float32


class ChatSession:
    """The conversation, system message and parameters sent with every message."""

    def __init__(
        self,
        runner: Runner,
        *,
        system: str | None = None,
        options: Mapping[str, object] | None = None,
        format: Format = None,  # noqa: A002 - Ollama's field name
    ):
        self.runner = runner
        self.format = format  # every answer's constraint: "json" or a JSON schema
        self.system = runner.system if system is None else system
        self.options: dict[str, Any] = request_options(options)
        runner.check_options(self.options)
        self.history: list[Message] = []

    def send(self, text: str, *, cancel: Signal | None = None) -> Generator[Chunk, None, None]:
        """Stream the answer to ``text``; the exchange is kept once the answer is complete
        (not when it is closed or cancelled).  A bad request raises here."""
        new = [{"role": "user", "content": text}]
        stream = self.runner.stream(
            [*self.history, *new], options=self.options, system=self.system, cancel=cancel, format=self.format
        )
        return self._keep(new, stream)

    def _keep(self, new: list[Message], stream: GenerationStream) -> Generator[Chunk, None, None]:
        with stream:
            for chunk in stream:
                if isinstance(chunk, Done) and chunk.generation.done_reason != "cancel":
                    self.history += [*new, chunk.generation.message]
                yield chunk

    def set_parameter(self, name: str, value: str) -> None:
        """``/set parameter NAME VALUE``: checked as a PARAMETER line is; a load-time
        option (``num_ctx`` …) is refused.  ``stop`` replaces the stop sequences."""
        options = {**self.options, **parse_options([(name, value)])}
        self.runner.check_options(options)
        self.options = options

    def clear(self) -> None:
        """Forget the exchanges (the model's own MESSAGEs stay)."""
        self.history = []

    def parameters(self) -> dict[str, Any]:
        """The parameters that are set, as Ollama's ``/show parameters`` lists them: the
        model's PARAMETERs, then the runner's overrides, then the session's (no defaults).
        Floats are float32, as in Ollama, and are shown with a float32's shortest digits."""
        chosen = {**self.runner.view.parameters, **self.runner.overrides, **self.options}
        return {k: Float32(v) if isinstance(v, float) else v for k, v in chosen.items()}

    def describe(self, part: str) -> str:
        """What ``/show PART`` prints: ``parameters``, ``system``, ``template``, ``info``,
        ``modelfile`` (one that rebuilds the model) or ``license``."""
        runner = self.runner
        if part == "parameters":
            return parameters_text(self.parameters()) or "No parameters were specified for this model."
        if part == "license":
            return "\n".join(runner.view.licenses) or "No license was specified for this model."
        if part == "modelfile":
            from builder.rebuild import rebuilt_modelfile

            return rebuilt_modelfile(runner.view, runner.store)
        if part == "system":
            return self.system or "No system message was specified for this model."
        if part == "template":
            return runner.view.template or f"({runner.format.description})"
        if part == "info":
            return summary(runner.store, runner.view)
        raise ValueError(f"unknown part {part!r}: parameters, system, template, info, modelfile or license")
