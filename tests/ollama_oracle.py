"""A test oracle: Ollama's Modelfile lexer, written from the state table in
``../shared/reference/modelfile-language.md`` §13 (not from Ollama's code).

mfc's parser is a Lark grammar; this is a character-at-a-time state machine.  The
two are built differently on purpose, so property tests can pit one against the
other on generated inputs.
"""

from __future__ import annotations

from modelfile.go.decoding import decode
from modelfile.go.printable import is_dropped

COMMANDS = {
    "from",
    "license",
    "template",
    "system",
    "adapter",
    "draft",
    "renderer",
    "parser",
    "parameter",
    "message",
    "requires",
}
ROLES = {"system", "user", "assistant"}
BAD_COMMAND = (
    'command must be one of "from", "license", "template", "system", "adapter", "draft", '
    '"renderer", "parser", "parameter", "message", or "requires"'
)
BAD_ROLE = 'message role must be one of "system", "user", or "assistant"'
ASCII_LETTERS = set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
NAME_CHARS = ASCII_LETTERS | set("0123456789_")


def printable(ch: str) -> bool:
    return ch not in "\t\r\n" and not is_dropped(ch)


def complete(buffer: str) -> str | None:
    """unquote(TrimSpace(buffer)): the value, or None when a quote is still open."""
    s = buffer.strip(" \t\r\n")
    if s.startswith('"""'):
        return s[3:-3] if len(s) >= 6 and s.endswith('"""') else None
    if s.startswith('"'):
        return s[1:-1] if len(s) >= 2 and s.endswith('"') else None
    return s


def ollama_parse(data: bytes | str) -> list[tuple[str, str]] | str:
    """The command list, or Ollama's exact error text."""
    text = decode(data) if isinstance(data, bytes) else data
    state, buffer, line = "NIL", "", 1
    name, role = "", ""
    commands: list[tuple[str, str]] = []
    for ch in text:
        if ch in "\r\n":
            line += 1
        if state == "NIL":
            if ch == "#":
                state = "COMMENT"
            elif ch not in " \t\r\n":
                state, buffer = "NAME", ch if printable(ch) else ""
        elif state == "COMMENT":
            if ch in "\r\n":
                state = "NIL"
        elif state == "NAME":
            if ch in ASCII_LETTERS:
                buffer += ch
            elif ch in " \t":
                word = buffer.lower()
                if word not in COMMANDS:
                    return f"(line {line}): {BAD_COMMAND}"
                name = "model" if word == "from" else word
                state = {"parameter": "PARAM", "message": "MSG"}.get(word, "VALUE")
                buffer = ""
            else:
                return f"(line {line}): {BAD_COMMAND}"
        elif state == "PARAM":
            if ch in NAME_CHARS:
                buffer += ch
            elif ch in " \t":
                name, state, buffer = buffer, "VALUE", ""
            else:
                return f"unexpected EOF: {buffer}"
        elif state == "MSG":
            if ch in ASCII_LETTERS:
                buffer += ch
            elif ch in " \t":
                if buffer not in ROLES:
                    return f"(line {line}): {BAD_ROLE}"
                role, state, buffer = buffer, "VALUE", ""
            else:
                return f"unexpected EOF: {buffer}"
        elif state == "VALUE":
            if ch in "\r\n":
                value = complete(buffer)
                if value is None:
                    buffer += ch
                else:
                    commands.append((name, f"{role}: {value}" if name == "message" else value))
                    state, buffer, role = "NIL", "", ""
            elif ch in " \t" or printable(ch):
                buffer += ch
    if state == "VALUE":
        value = complete(buffer)
        if value is None:
            return "unexpected EOF"
        commands.append((name, f"{role}: {value}" if name == "message" else value))
    elif state in ("NAME", "PARAM", "MSG"):
        return "unexpected EOF"
    if not any(command == "model" for command, _ in commands):
        return "no FROM line"
    return commands
