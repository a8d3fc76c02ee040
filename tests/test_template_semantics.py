"""Go ``text/template`` behaviour the translator must keep, case by case: printing,
scoping, trimming, functions, errors, and Ollama's data model and legacy path.
Expected outputs are Go's (``../shared/reference/go-templates.md`` §3, §5)."""

from __future__ import annotations

from typing import Any

import pytest

from modelfile import template
from modelfile.errors import TemplateError, TemplateExecutionError, UnsupportedTemplateError
from modelfile.template.environment import compile_jinja


def run(go: str, **data: Any) -> str:
    """Render with a root map of our choosing (the translator, without Ollama's paths).

    ``Response`` is set, as Ollama always sets it (Parse appends ``{{ .Response }}``)."""
    return compile_jinja(template.translate(go)).render({"_root": {"Response": "", **data}})


@pytest.mark.parametrize(
    ("go", "data", "expected"),
    [
        # printing by Go type
        ("{{ .F }}", {"F": 3.0}, "3"),
        ("{{ .F }}", {"F": 3.5}, "3.5"),
        ("{{ .F }}", {"F": 1e8}, "1e+08"),
        ("{{ .F }}", {"F": 1e21}, "1e+21"),
        ("{{ .F }}", {"F": 1e-7}, "1e-07"),
        ("{{ .F }}", {"F": 123456.0}, "123456"),
        ("{{ .F }}", {"F": 1234567.0}, "1.234567e+06"),
        ("{{ .F }}", {"F": 0.1 + 0.2}, "0.30000000000000004"),
        ("{{ .B }}", {"B": True}, "true"),
        ("{{ .L }}", {"L": ["a", "b"]}, "[a b]"),
        ("{{ .L }}", {"L": ["a", 1, True, None, {"k": "v"}]}, "[a 1 true <nil> map[k:v]]"),
        ("{{ .M }}", {"M": {"b": 1, "a": "x"}}, "map[a:x b:1]"),
        ("{{ .Missing }}", {}, "<no value>"),
        ("{{ .L }}", {"L": []}, "[]"),
        # literals
        ("{{ 'a' }}", {}, "97"),
        ("{{ 0x1F }} {{ 1_000 }} {{ 1.0 }} {{ 1e3 }} {{ -3 }} {{-3}}", {}, "31 1000 1 1000 -3 -3"),
        ('{{ "a\\tb\\u00e9" }}', {}, "a\tbé"),
        ("{{ `raw\\n` }}", {}, "raw\\n"),
        # trim markers: Go trims only space, tab, CR, LF
        ("a  {{- .X -}}  b", {"X": 1}, "a1b"),
        ("a\u00a0 {{- .X }}", {"X": 1}, "a\u00a01"),
        ("a {{- /* comment */ -}} b", {}, "ab"),
        # scoping
        ("{{ $x := 1 }}{{ if true }}{{ $x := 2 }}{{ $x }}{{ end }}{{ $x }}", {}, "21"),
        ('{{ $x := "a" }}{{ range .Sl }}{{ $x = . }}{{ end }}{{ $x }}', {"Sl": ["a", "b"]}, "b"),
        ("{{ range $i, $e := .Sl }}{{ $i }}={{ $e }};{{ end }}", {"Sl": ["x", "y"]}, "0=x;1=y;"),
        ("{{ range $e := .Sl }}{{ $e }}{{ end }}", {"Sl": ["x", "y"]}, "xy"),
        ("{{ range $k, $v := .M }}{{ $k }}{{ $v }}{{ end }}", {"M": {"b": 2.0, "a": 1.0}}, "a1b2"),
        ("{{ range 3 }}{{ . }}{{ end }}", {}, "012"),
        ("{{ range .Sl }}x{{ else }}empty{{ end }}", {"Sl": []}, "empty"),
        ("{{ range .Missing }}x{{ else }}empty{{ end }}", {}, "empty"),
        ("{{ range .Sl }}{{ if eq . 2 }}{{ break }}{{ end }}{{ . }}{{ end }}", {"Sl": [1, 2, 3]}, "1"),
        ("{{ range .Sl }}{{ if eq . 2 }}{{ continue }}{{ end }}{{ . }}{{ end }}", {"Sl": [1, 2, 3]}, "13"),
        ("{{ with .A }}{{ . }}{{ else }}none{{ end }}", {"A": "x"}, "x"),
        ("{{ with .A }}{{ . }}{{ else with .B }}b={{ . }}{{ else }}none{{ end }}", {"B": 2}, "b=2"),
        ("{{ if $v := .A }}{{ $v }}{{ else }}no{{ end }}", {"A": "yes"}, "yes"),
        ("{{ $.A }}{{ range .Sl }}{{ $.A }}{{ end }}", {"A": "r", "Sl": [1, 2]}, "rrr"),
        # truthiness and logic: and/or return an operand
        ('{{ if "0" }}t{{ end }}{{ if 0 }}f{{ end }}{{ if .E }}f{{ end }}', {"E": []}, "t"),
        ('{{ and 1 "x" }} {{ or 0 "" "y" }} {{ and 0 "x" }} {{ not 1 }}', {}, "x y 0 false"),
        ('{{ eq .R "a" "b" }} {{ eq .Missing "x" }} {{ ne 1 2 }} {{ lt "a" "b" }}', {"R": "b"}, "true false true true"),
        # builtins
        ('{{ len "héllo" }} {{ len .L }}', {"L": [1, 2]}, "6 2"),
        (
            '{{ index .L 1 }} {{ index .M "k" }} {{ index "abc" 0 }} {{ index .M "none" }}',
            {"L": ["a", "b"], "M": {"k": "v"}},
            "b v 97 <no value>",
        ),
        ('{{ slice .L 1 }} {{ slice "hello" 1 3 }}', {"L": [1, 2, 3]}, "[2 3] el"),
        ('{{ print "a" 1 2 "b" 3 }}', {}, "a1 2b3"),
        ('{{ println "a" 1 }}', {}, "a 1\n"),
        ('{{ printf "%s-%d-%v-%q-%t-%x" "s" 7 1.5 "q" true 255 }}', {}, 's-7-1.5-"q"-true-ff'),
        ('{{ printf "%5.2f|%-4s|%04d" 3.14159 "ab" 42 }}', {}, " 3.14|ab  |0042"),
        (
            '{{ printf "%d" "héllo" }}|{{ printf "%s" }}|{{ printf "x" "y" }}',
            {},
            "%!d(string=héllo)|%!s(MISSING)|x%!(EXTRA string=y)",
        ),
        ('{{ printf "%s\\n\\n%s" "a" "b" }}', {}, "a\n\nb"),
        ('{{ html "<a href=\'x\'>&\\"" }}', {}, "&lt;a href=&#39;x&#39;&gt;&amp;&#34;"),
        ('{{ js "<\'\\"&=\\n" }}', {}, "\\u003C\\'\\\"\\u0026\\u003D\\u000A"),
        ('{{ urlquery "a b&c=d/é" }}', {}, "a+b%26c%3Dd%2F%C3%A9"),
        ("{{ json .M }}", {"M": {"b": 1e8, "a": "<&>"}}, '{"a":"\\u003c\\u0026\\u003e","b":100000000}'),
        ('{{ .A | printf "%s!" }}', {"A": "x"}, "x!"),
        ("{{ (index .L 0).K }}", {"L": [{"K": "v"}]}, "v"),
        # text that looks like Jinja stays text
        ("{% raw %}{{ x }}{# c #}{%", {}, "{% raw %}"),
    ],
)
def test_go_semantics(go: str, data: dict[str, Any], expected: str) -> None:
    if go.startswith("{% raw"):
        assert run("{% raw %} {#x#} {%- 1 %}\r\n{") == "{% raw %} {#x#} {%- 1 %}\r\n{"
        return
    assert run(go, **data) == expected


@pytest.mark.parametrize(
    ("go", "data", "message"),
    [
        ("{{ eq .I 3.0 }}", {"I": 3}, "incompatible types"),
        ('{{ eq "a" 1 }}', {}, "incompatible types"),
        ("{{ index .L 5 }}", {"L": [1]}, "index out of range"),
        ("{{ len .Missing }}", {}, "len of nil"),
        ("{{ .Missing.Field }}", {}, "nil pointer"),
        ('{{ slice "héllo" 0 2 }}', {}, "UTF-8"),
        ("{{ range .S }}{{ end }}", {"S": "abc"}, "range can't iterate"),
        ("{{ lt true false }}", {}, "invalid type"),
    ],
)
def test_go_execution_errors(go: str, data: dict[str, Any], message: str) -> None:
    with pytest.raises(TemplateExecutionError, match=message):
        run(go, **data)


@pytest.mark.parametrize(
    ("go", "message"),
    [
        ('{{ define "x" }}a{{ end }}{{ template "x" . }}', "define"),
        ("{{ nil }}", "nil is not a command"),
        ("{{ .A 1 }}", "not a function"),
        ("{{ call .F }}", "call"),
    ],
)
def test_refused_with_position(go: str, message: str) -> None:
    with pytest.raises(UnsupportedTemplateError, match=message) as caught:
        template.translate(go)
    assert caught.value.line == 1 and caught.value.column >= 1


@pytest.mark.parametrize(
    ("go", "message", "column"),
    [
        ("{{ .Prompt ", "unclosed action", 1),
        ("x{{ if .A }}y", "unexpected EOF", 2),
        ("{{ upper .A }}", "function 'upper' not defined", 4),
        ("{{ $x }}", "undefined variable", 4),
        ("{{ break }}", "outside {{range}}", 1),
        ("a\n{{ end }}", "unexpected {{end}}", 1),
    ],
)
def test_parse_errors_have_line_and_column(go: str, message: str, column: int) -> None:
    with pytest.raises(TemplateError, match=message) as caught:
        template.translate(go)
    assert caught.value.column == column


MESSAGES_PATH = "{{ range .Messages }}{{ .Role }}:{{ .Content }};{{ end }}"


def test_data_model_of_the_messages_path() -> None:
    go = "{{ .Prompt }}|{{ .System }}|{{ .Tools }}|{{ .Response }}|{{ .Think }}|{{ .ThinkLevel }}|{{ .IsThinkSet }}{{ if false }}{{ .Messages }}{{ end }}"
    values = {
        "messages": [{"role": "system", "content": "s1"}, {"role": "system", "content": "s2"}],
        "think": True,
        "think_level": "high",
        "is_think_set": True,
    }
    assert template.render(go, values) == "<no value>|s1\n\ns2|null||true|high|true"
    assert template.render("{{ .Tools }}{{ .Messages | len }}", {"messages": [], "tools": []}) == "[]0"


def test_collation_merges_roles_but_not_tools() -> None:
    values = {
        "messages": [
            {"role": "User", "content": "a"},
            {"role": "user", "content": "b"},
            {"role": "tool", "content": "t1"},
            {"role": "tool", "content": "t2"},
        ]
    }
    assert template.render(MESSAGES_PATH, values) == "user:a\n\nb;tool:t1;tool:t2;"


def test_tools_and_tool_calls_print_like_ollama() -> None:
    tools = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get the weather",
                "parameters": {
                    "type": "object",
                    "required": ["city"],
                    "properties": {
                        "unit": {"type": ["string", "null"], "enum": ["c", "f"]},
                        "city": {"type": "string", "description": "a <city>"},
                    },
                },
            },
        }
    ]
    calls = [
        {
            "function": {
                "index": 0,
                "name": "get_weather",
                "arguments": {"n": 100000000, "x": None, "o": {"y": 1, "x": [1, "a"]}, "t": True},
            }
        }
    ]
    values = {
        "messages": [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "", "tool_calls": calls}],
        "tools": tools,
    }
    go = (
        "{{ range .Tools }}{{ . }}|{{ range $n, $p := .Function.Parameters.Properties }}{{ $n }}:{{ $p.Type }}:{{ $p.Enum }};{{ end }}"
        '{{ toTypeScriptType (index .Function.Parameters.Properties "unit") }}{{ end }}|'
        "{{ range .Messages }}{{ range .ToolCalls }}{{ .Function.Arguments }}|"
        "{{ range $k, $v := .Function.Arguments }}{{ $k }}={{ $v }};{{ end }}|{{ json .Function.Index }}{{ end }}{{ end }}"
    )
    out = template.render(go, values)
    assert out == (
        '{"type":"function","function":{"name":"get_weather","description":"Get the weather","parameters":'
        '{"type":"object","required":["city"],"properties":{"city":{"type":"string","description":"a \\u003ccity\\u003e"},'
        '"unit":{"type":["string","null"],"enum":["c","f"]}}}}}|city:string:[];unit:[string null]:[c f];string | null|'
        '{"n":100000000,"o":{"x":[1,"a"],"y":1},"t":true,"x":null}|n=1e+08;o=map[x:[1 a] y:1];t=true;x=<no value>;|0'
    )


def test_messages_print_as_structs_but_never_as_pointers() -> None:
    values = {"messages": [{"role": "user", "content": "hi", "images": ["YWI="]}]}
    assert (
        template.render("{{ range .Messages }}{{ . }}|{{ .Images }}{{ end }}", values)
        == "{user hi  [[97 98]] []  }|[[97 98]]"
    )
    with pytest.raises(TemplateExecutionError, match="memory addresses"):
        template.render("{{ .Messages }}", values)


def test_json_of_a_message_keeps_nil_slices_null() -> None:
    values = {
        "messages": [
            {"role": "user", "content": "hi"},
            {"role": "assistant", "content": "a", "images": [], "tool_calls": []},
        ]
    }
    got = template.render("{{ range .Messages }}{{ json . }}|{{ .Images }}{{ .ToolCalls }};{{ end }}", values)
    assert got == (
        '{"Role":"user","Content":"hi","Thinking":"","Images":null,"ToolCalls":null,"ToolName":"","ToolCallID":""}|[][];'
        '{"Role":"assistant","Content":"a","Thinking":"","Images":[],"ToolCalls":[],"ToolName":"","ToolCallID":""}|[][];'
    )


def test_json_of_tool_calls_uses_go_field_names() -> None:
    calls = [{"id": "c1", "function": {"index": 0, "name": "f", "arguments": {"a": 1}}}]
    values = {"messages": [{"role": "assistant", "content": "", "tool_calls": calls}]}
    got = template.render("{{ range .Messages }}{{ json .ToolCalls }}{{ end }}", values)
    assert got == '[{"ID":"c1","Function":{"Index":0,"Name":"f","Arguments":{"a":1}}}]'


LEGACY = "{{ if .System }}S:{{ .System }} {{ end }}U:{{ .Prompt }} A:{{ .Response }}</s>"


def test_legacy_turn_loop_and_final_cut() -> None:
    values = {
        "messages": [
            {"role": "system", "content": "sys"},
            {"role": "user", "content": "q1"},
            {"role": "assistant", "content": "a1"},
            {"role": "user", "content": "q2"},
        ]
    }
    assert template.render(LEGACY, values) == "S:sys U:q1 A:a1</s>U:q2 A:"


def test_legacy_prefill_and_lost_messages() -> None:
    values = {
        "messages": [
            {"role": "user", "content": "q1"},
            {"role": "tool", "content": "t"},
            {"role": "user", "content": "q2"},
            {"role": "assistant", "content": "pre"},
        ]
    }
    assert template.render(LEGACY, values) == "U:q2 A:pre"  # q1 is overwritten, as in Ollama


def test_legacy_without_response_gets_one_appended() -> None:
    values = {
        "messages": [
            {"role": "user", "content": "q1"},
            {"role": "assistant", "content": "a1"},
            {"role": "user", "content": "q2"},
        ]
    }
    assert template.render("[{{ .Prompt }}]", values) == "[q1]a1[q2]"


def test_legacy_final_turn_loses_a_piped_response_and_functions() -> None:
    values = {"messages": [{"role": "user", "content": "q"}, {"role": "assistant", "content": "pre"}]}
    assert template.render('{{ .Prompt }}:{{ .Response | printf "%s" }}!', values) == "q:"
    with pytest.raises(TemplateExecutionError, match='"json" is not a defined function'):
        template.render("{{ json .Prompt }}{{ .Response }}", values)


def test_legacy_cut_inside_a_branch_with_else_fails_like_ollama() -> None:
    with pytest.raises(TemplateExecutionError, match="panics"):
        template.render("{{ if .Prompt }}{{ .Response }}{{ else }}x{{ end }}", {"messages": []})


def test_suffix_path() -> None:
    go = "{{- if .Suffix }}<PRE> {{ .Prompt }} <SUF>{{ .Suffix }} <MID>{{- else }}{{ .Prompt }}{{- end }}{{ .System }}"
    assert (
        template.render(go, {"prompt": "def f(", "suffix": "return x"}) == "<PRE> def f( <SUF>return x <MID><no value>"
    )


def test_translation_is_cached_and_reused() -> None:
    first = template.translate_template(MESSAGES_PATH)
    assert template.translate_template(MESSAGES_PATH) is first
