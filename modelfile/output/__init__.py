"""Model output → ``thinking``, ``tool_calls`` and ``content``, exactly as Ollama splits it.

A pure library (no I/O, never imports ``builder``): the generic parsers Ollama runs for
Go-template models (``ollama-tools.md`` §2–§4).

* ``infer_tags`` / ``ThinkingParser``: thinking tags from a template, and the streaming split.
* ``parse_tag`` / ``ToolParser`` / ``find_arguments``: the tool-call tag and the streaming
  tool-call parser.
* ``ChatStream``: the per-chunk wiring of ``/api/chat`` that the server feeds.
* ``parser_for_name``: the builtin parsers of Modelfile ``PARSER`` (``qwen3``, ``qwen3-thinking``,
  ``qwen3-coder``, ``qwen3.5``, ``harmony``).
* ``filter_think_tags``: thinking removed from earlier assistant turns (qwen3, deepseek-r1).

>>> from modelfile.output import ThinkingParser
>>> ThinkingParser("<think>", "</think>").add("<think>x</think>y")
('x', 'y')
"""

from __future__ import annotations

from modelfile.output.builtin import OutputParseError, ParsedOutput
from modelfile.output.chat_stream import ChatLine, ChatStream, effective_think
from modelfile.output.history import filter_think_tags, filters_think_tags
from modelfile.output.parsers import parser_for_name
from modelfile.output.think_tags import infer_tags, thinking_capable
from modelfile.output.thinking import ThinkingParser, ThinkingState
from modelfile.output.tool_args import decode_go_json, find_arguments
from modelfile.output.tool_call import ToolCall, tool_call_id
from modelfile.output.tool_parser import ToolParser, ToolState, brackets_closed, find_tag, find_tool
from modelfile.output.tool_tag import parse_tag

__all__ = [
    "ChatLine",
    "ChatStream",
    "OutputParseError",
    "ParsedOutput",
    "ThinkingParser",
    "ThinkingState",
    "ToolCall",
    "ToolParser",
    "ToolState",
    "brackets_closed",
    "decode_go_json",
    "effective_think",
    "filter_think_tags",
    "filters_think_tags",
    "find_arguments",
    "find_tag",
    "find_tool",
    "infer_tags",
    "parse_tag",
    "parser_for_name",
    "thinking_capable",
    "tool_call_id",
]
