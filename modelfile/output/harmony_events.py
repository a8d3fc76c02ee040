"""The harmony message format of gpt-oss, as a stream of events (Ollama's ``HarmonyParser``).

Messages are ``<|start|>HEADER<|message|>BODY<|end|>``; the parser emits
``MessageStart``, ``HeaderComplete`` (role, channel, recipient), ``ContentEmitted`` as
soon as body text cannot be part of ``<|end|>``, and ``MessageEnd``.  Text outside a
message is dropped.

>>> parser = HarmonyEvents()
>>> parser.add_implicit_start()
>>> [type(event).__name__ for event in parser.add("<|channel|>analysis<|message|>Hm<|e")]
['MessageStart', 'HeaderComplete', 'ContentEmitted']
>>> parse_header("assistant<|channel|>commentary to=functions.get_weather <|constrain|>json")
HarmonyHeader(role='assistant', channel='commentary', recipient='functions.get_weather')
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from modelfile.output.gospace import is_space, suffix_overlap, trim

START, END, MESSAGE = "<|start|>", "<|end|>", "<|message|>"
CHANNEL, CONSTRAIN = "<|channel|>", "<|constrain|>"


@dataclass(frozen=True)
class HarmonyHeader:
    """A message header: ``role``, ``channel`` and ``recipient`` (``""`` when absent)."""

    role: str = ""
    channel: str = ""
    recipient: str = ""


@dataclass(frozen=True)
class MessageStart:
    """``<|start|>`` was read."""


@dataclass(frozen=True)
class HeaderComplete:
    """``<|message|>`` ended the header."""

    header: HarmonyHeader


@dataclass(frozen=True)
class ContentEmitted:
    """Body text that is certainly not part of ``<|end|>``."""

    content: str


@dataclass(frozen=True)
class MessageEnd:
    """``<|end|>`` was read."""


HarmonyEvent = MessageStart | HeaderComplete | ContentEmitted | MessageEnd


class HarmonyState(enum.Enum):
    """Where the event parser is."""

    LOOKING_FOR_MESSAGE_START = "LookingForMessageStart"
    PARSING_HEADER = "ParsingHeader"
    PARSING_CONTENT = "ParsingContent"


def parse_header(raw: str) -> HarmonyHeader:
    """Role, channel and recipient of a header (``to=`` before or after the channel)."""
    if CONSTRAIN in raw:
        raw = trim(raw.replace(CONSTRAIN, " " + CONSTRAIN, 1))
    channel = ""
    where = raw.find(CHANNEL)
    if where != -1:
        after = raw[where + len(CHANNEL) :]
        end = next((i for i, char in enumerate(after) if is_space(char)), len(after))
        channel = after[:end]
        raw = trim(raw[:where] + after[end:])
    tokens = _fields(raw)
    if not tokens:
        return HarmonyHeader(channel=channel)
    role, rest = tokens[0], tokens[1:]
    recipient = ""
    if role.startswith("to="):
        role, recipient = "tool", role[3:]
    if not recipient and rest and rest[0].startswith("to="):
        recipient = rest[0][3:]
    return HarmonyHeader(role, channel, recipient)


def _fields(text: str) -> list[str]:
    """Go's ``strings.Fields``: split on runs of Go white space."""
    fields: list[str] = []
    current: list[str] = []
    for char in text:
        if is_space(char):
            if current:
                fields.append("".join(current))
                current = []
        else:
            current.append(char)
    if current:
        fields.append("".join(current))
    return fields


class HarmonyEvents:
    """Streaming harmony text → events."""

    def __init__(self) -> None:
        self.state = HarmonyState.LOOKING_FOR_MESSAGE_START
        self._buffer = ""

    def add_implicit_start(self) -> None:
        """Prime with ``<|start|>assistant``: the prompt opened the assistant's message."""
        self._buffer += START + "assistant"

    def prefill(self, text: str) -> None:
        """Prime with raw text the prompt already holds (e.g. an open final message)."""
        self._buffer += text

    def add(self, text: str) -> list[HarmonyEvent]:
        """Feed one chunk; return the events it completes."""
        self._buffer += text
        events: list[HarmonyEvent] = []
        more = True
        while more:
            new, more = self._step()
            events.extend(new)
        return events

    def _step(self) -> tuple[list[HarmonyEvent], bool]:
        buffer = self._buffer
        if self.state is HarmonyState.LOOKING_FOR_MESSAGE_START:
            if START not in buffer:
                return [], False
            self._buffer = buffer.split(START, 1)[1]
            self.state = HarmonyState.PARSING_HEADER
            return [MessageStart()], True
        if self.state is HarmonyState.PARSING_HEADER:
            if MESSAGE not in buffer:
                return [], False
            header, self._buffer = buffer.split(MESSAGE, 1)
            self.state = HarmonyState.PARSING_CONTENT
            return [HeaderComplete(parse_header(header))], True
        if END in buffer:
            body, self._buffer = buffer.split(END, 1)
            self.state = HarmonyState.LOOKING_FOR_MESSAGE_START
            events: list[HarmonyEvent] = [ContentEmitted(body)] if body else []
            return [*events, MessageEnd()], True
        held = suffix_overlap(buffer, END)
        body, self._buffer = buffer[: len(buffer) - held], buffer[len(buffer) - held :]
        return ([ContentEmitted(body)] if body else []), False
