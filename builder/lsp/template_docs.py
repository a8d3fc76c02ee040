"""What the fields and functions of Ollama's Go templates mean, for hover and completion
inside TEMPLATE.  Field names are ``modelfile.template.fields.TYPES``'."""

from __future__ import annotations

from modelfile.template.fields import TYPES

FIELDS: dict[str, str] = {
    "System": "The system prompt: the request's, else the Modelfile's SYSTEM.",
    "Prompt": "The user's prompt (/api/generate), or the last user message in templates without .Messages.",
    "Response": "The model's answer so far; text after `{{ .Response }}` is cut when generating.",
    "Suffix": "Text after the insertion point, for fill-in-the-middle (/api/generate `suffix`).",
    "Messages": "The conversation: a list of messages, each with .Role, .Content, .ToolCalls ...",
    "Tools": "The tools the request offers: each with .Type and .Function (.Name, .Description, .Parameters).",
    "Think": "Whether thinking was requested (true/false).",
    "ThinkLevel": 'The requested thinking level ("low", "medium", "high"), or empty.',
    "IsThinkSet": "Whether the request set `think` at all.",
    "Role": "A message's role: system, user, assistant or tool.",
    "Content": "A message's text.",
    "Thinking": "A message's thinking text (assistant messages of thinking models).",
    "Images": "A message's images.",
    "ToolCalls": "The tool calls of an assistant message: each with .Function (.Name, .Arguments).",
    "ToolName": "The name of the tool whose result a tool message holds.",
    "ToolCallID": "The ID of the tool call a tool message answers.",
    "ID": "A tool call's ID.",
    "Function": "A tool's (or tool call's) function.",
    "Index": "The position of a tool call among the message's calls.",
    "Name": "A function's name.",
    "Arguments": "A tool call's arguments, a map (print it with `json`).",
    "Type": 'A tool\'s (or property\'s) type ("function", "object", "string" ...).',
    "Description": "A function's or property's description.",
    "Parameters": "A function's parameters: .Type, .Required, .Properties.",
    "Properties": "A map of property name to property (.Type, .Description, .Enum ...).",
    "Required": "The names of the required properties.",
    "Items": "The element schema of an array type.",
    "Enum": "The allowed values of a property.",
    "AnyOf": "Alternative schemas of a property.",
    "Defs": "Schema definitions ($defs) of a tool's parameters.",
}

FUNCTIONS: dict[str, str] = {
    "and": "`and x y`: the first empty argument, else the last.",
    "or": "`or x y`: the first non-empty argument, else the last.",
    "not": "`not x`: true when x is empty.",
    "eq": "`eq x y ...`: x equals any of the others.",
    "ne": "`ne x y`: x differs from y.",
    "lt": "`lt x y`: x < y.",
    "le": "`le x y`: x <= y.",
    "gt": "`gt x y`: x > y.",
    "ge": "`ge x y`: x >= y.",
    "len": "`len x`: bytes of a string, items of a list or map.",
    "index": "`index x 1`: an element of a list or map.",
    "slice": "`slice x 1 2`: part of a list (or of a string, by bytes); `slice .Messages 1` drops the first.",
    "print": "`print x ...`: the arguments as text (Go's fmt.Sprint).",
    "println": "`println x ...`: the arguments as text, space-separated, with a newline.",
    "printf": '`printf "%s" x`: formatted text (Go\'s fmt.Sprintf).',
    "html": "`html x`: x escaped for HTML.",
    "js": "`js x`: x escaped for JavaScript.",
    "urlquery": "`urlquery x`: x escaped for a URL query.",
    "call": "`call f x`: call a function value.",
    "json": "`json x` (Ollama): x as JSON, e.g. `{{ json .Tools }}` or a tool call's arguments.",
    "currentDate": "`currentDate` (Ollama): today's date, YYYY-MM-DD.",
    "yesterdayDate": "`yesterdayDate` (Ollama): yesterday's date, YYYY-MM-DD.",
    "toTypeScriptType": "`toTypeScriptType x` (Ollama): a tool property's type as a TypeScript type.",
}

KEYWORDS: dict[str, str] = {
    "if": "`{{ if x }} … {{ else if y }} … {{ else }} … {{ end }}`: output a part when x is not empty.",
    "else": "The other branch of if, range or with.",
    "end": "Ends if, range, with, define and block.",
    "range": "`{{ range .Messages }} … {{ end }}`: once per element, with dot the element; "
    "`{{ range $i, $m := .Messages }}` names index and element.",
    "with": "`{{ with x }} … {{ end }}`: when x is not empty, with dot set to x.",
    "define": '`{{ define "name" }} … {{ end }}`: a named template.',
    "template": '`{{ template "name" . }}`: run a named template.',
    "block": '`{{ block "name" . }} … {{ end }}`: define and run a named template.',
    "break": "Leave the innermost range.",
    "continue": "Go on with the next element of the innermost range.",
    "nil": "The untyped nil value.",
}


def all_fields() -> list[str]:
    """Every field name of Ollama's template data, sorted."""
    return sorted({name for fields in TYPES.values() for name in fields})


def template_markdown(word: str) -> str | None:
    """Hover text of a template word: ``.Field``, a function or a keyword.

    >>> template_markdown(".Prompt").startswith("**.Prompt**")
    True
    """
    if word.startswith("."):
        name = word[1:]
        return f"**.{name}**: {FIELDS[name]}" if name in FIELDS else None
    if word in FUNCTIONS:
        return f"**{word}** (function): {FUNCTIONS[word]}"
    if word in KEYWORDS:
        return f"**{word}**: {KEYWORDS[word]}"
    return None
