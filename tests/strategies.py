"""Hypothesis strategies for Modelfile-shaped text: real instructions, near misses,
every quoting form, CR/LF/CRLF, and the characters Ollama drops."""

from __future__ import annotations

from hypothesis import strategies as st

KEYWORDS = [
    "FROM",
    "from",
    "FrOm",
    "PARAMETER",
    "parameter",
    "MESSAGE",
    "message",
    "SYSTEM",
    "system",
    "TEMPLATE",
    "ADAPTER",
    "LICENSE",
    "REQUIRES",
    "DRAFT",
    "RENDERER",
    "PARSER",
    "Parser",
]
NEAR_MISSES = ["PARAMTER", "PROMPT", "FRÖM", "ſystem", "FROM:", 'SYSTEM"""', "1FROM", "//", ";", "```", "-", "{{"]
NAMES = ["temperature", "stop", "num_ctx", "top_k", "Temperature", "top-k", "p1", "", "a_b9", "<parameter>"]
ROLES = ["user", "system", "assistant", "User", "tool", "", "user:"]
SEPARATORS = [" ", "\t", "  ", " \t", ""]
NEWLINES = ["\n", "\r\n", "\r", "\n\n", "\n  \n"]
QUOTES = ['"', '"""', '""', '""""', '"""""', '""""""', "'"]
DROPPED = ["\x00", "\u200b", "\ufeff", "\u00a0", "\x7f", "\x1b", "\u2028", "\ue000", "\U000e0001", "\x0b"]
TEXT = [
    "hello",
    "a b",
    "#",
    " # c",
    "{{ .Prompt }}",
    "你好👋",
    "\U0001fae8",
    "\ufffd",
    'x"',
    '" y',
    "\\n",
    "0.7",
    "-1",
    "1e3",
    "true",
    "<|im_end|>",
    "   ",
    "\t",
]


def fragments() -> st.SearchStrategy[str]:
    return st.one_of(
        st.sampled_from(KEYWORDS + NEAR_MISSES + NAMES + ROLES + SEPARATORS + NEWLINES + QUOTES + DROPPED + TEXT),
        st.text(max_size=4),
    )


@st.composite
def instruction(draw: st.DrawFn) -> str:
    """Mostly well-formed instructions, with some noise mixed in."""
    keyword = draw(st.sampled_from(KEYWORDS + NEAR_MISSES[:3]))
    lead = draw(st.sampled_from(["", "", " ", "\t", "\u200b", "\x00"]))
    parts = [lead + keyword, draw(st.sampled_from(SEPARATORS))]
    if keyword.lower() == "parameter":
        parts += [draw(st.sampled_from(NAMES)), draw(st.sampled_from(SEPARATORS))]
    if keyword.lower() == "message":
        parts += [draw(st.sampled_from(ROLES)), draw(st.sampled_from(SEPARATORS))]
    quote = draw(st.sampled_from(["", "", '"', '"""']))
    body = draw(st.lists(fragments(), max_size=6))
    close = draw(st.sampled_from([quote, quote, "", '"', quote + " x"]))
    parts += [quote, *body, close]
    return "".join(parts)


@st.composite
def modelfile_text(draw: st.DrawFn) -> str:
    pieces: list[str] = []
    for _ in range(draw(st.integers(0, 6))):
        kind = draw(st.integers(0, 9))
        if kind < 6:
            pieces.append(draw(instruction()))
        elif kind < 8:
            pieces.append("#" + draw(st.text(max_size=8)))
        else:
            pieces.append(draw(fragments()))
        pieces.append(draw(st.sampled_from([*NEWLINES, ""])))
    return "".join(pieces)


def modelfile_bytes() -> st.SearchStrategy[bytes]:
    """Text in every encoding Ollama reads, plus raw bytes."""
    texts = modelfile_text()
    return st.one_of(
        texts.map(lambda t: t.encode("utf-8", "surrogatepass")),
        texts.map(lambda t: b"\xef\xbb\xbf" + t.encode("utf-8", "surrogatepass")),
        texts.map(lambda t: b"\xff\xfe" + t.encode("utf-16-le", "surrogatepass")),
        texts.map(lambda t: b"\xfe\xff" + t.encode("utf-16-be", "surrogatepass")),
        st.binary(max_size=64),
        st.tuples(texts, st.binary(max_size=8)).map(lambda p: p[0].encode("utf-8", "surrogatepass") + p[1]),
        st.tuples(st.sampled_from([b"\xff\xfe", b"\xfe\xff"]), st.binary(max_size=40)).map(lambda p: p[0] + p[1]),
    )
