"""Each rule's documented example triggers it and its "Use instead" does not; plus
one-line cases per rule, hadolint style: (Modelfile text, codes expected)."""

from __future__ import annotations

from pathlib import Path

import pytest
from ggufs import write_gguf

from modelfile.linter import RULES, LintConfig, lint_bytes
from modelfile.linter.docs import examples

ALL = LintConfig(select=("ALL",))


def codes_for(text: str, folder: Path, config: LintConfig = ALL) -> list[str]:
    path = folder / "Modelfile"
    return [d.code for d in lint_bytes(text.encode("utf-8"), path=str(path), config=config)]


def prepare(rule: type, folder: Path) -> None:
    for name, data in rule.example_files.items():
        (folder / name).write_bytes(data)
    if rule.code == "MF207":
        write_gguf(folder / "model.gguf", {"general.architecture": "llama", "llama.context_length": 8192})
    if rule.code == "MF113":
        write_gguf(folder / "model.gguf", {"general.architecture": "llama", "general.type": "model"})
        write_gguf(folder / "other-model.gguf", {"general.architecture": "qwen2", "general.type": "model"})
        write_gguf(folder / "lora.gguf", {"general.architecture": "llama", "general.type": "adapter"})


DOCUMENTED = [r for r in RULES if examples(r)[0] is not None]


@pytest.mark.parametrize("rule", DOCUMENTED, ids=lambda r: r.code)
def test_documented_example_is_reported(rule: type, tmp_path: Path) -> None:
    prepare(rule, tmp_path)
    bad, _ = examples(rule)
    assert rule.code in codes_for(bad, tmp_path)


@pytest.mark.parametrize("rule", DOCUMENTED, ids=lambda r: r.code)
def test_documented_fix_is_clean(rule: type, tmp_path: Path) -> None:
    prepare(rule, tmp_path)
    _, good = examples(rule)
    assert good is not None, f"{rule.code} documents an example but no 'Use instead'"
    assert rule.code not in codes_for(good, tmp_path)


def test_every_rule_is_documented() -> None:
    for rule in RULES:
        doc = rule.__doc__ or ""
        for section in ("## What it does", "## Why is this bad?", "## Example", "## Use instead"):
            assert section in doc, f"{rule.code} lacks {section}"


CASES = [
    # MF201: case, removed options, empty name, aliases
    ("FROM x\nPARAMETER Temperature 0.5\n", {"MF201"}),
    ("FROM x\nPARAMETER tfs_z 1\n", {"MF201"}),
    ("FROM x\nPARAMETER  temperature 0.5\n", {"MF201"}),
    ("FROM x\nPARAMETER max_tokens 10\n", {"MF201"}),
    ("FROM x\nPARAMETER temperature 0.5\n", set()),
    # MF202: Go's parsing
    ("FROM x\nPARAMETER num_ctx 4096.0\n", {"MF202"}),
    ("FROM x\nPARAMETER num_ctx 1.048576e+06\n", {"MF202"}),
    ("FROM x\nPARAMETER use_mmap yes\n", {"MF202"}),
    ("FROM x\nPARAMETER use_mmap T\n", set()),
    ("FROM x\nPARAMETER temperature 1e40\n", {"MF202"}),
    ("FROM x\nPARAMETER temperature .75\n", set()),
    ("FROM x\nPARAMETER num_ctx +4096\n", set()),
    # deprecated parameters are not type-checked
    ("FROM x\nPARAMETER mirostat banana\n", {"MF204"}),
    # MF203
    ("FROM x\nPARAMETER temperature 2.5\n", {"MF203"}),
    ("FROM x\nPARAMETER top_k -1\n", {"MF203"}),
    ("FROM x\nPARAMETER temperature NaN\n", {"MF203"}),
    # MF206 / stop accumulates
    ("FROM x\nPARAMETER stop a\nPARAMETER stop b\n", set()),
    ("FROM x\nPARAMETER top_k 1\nPARAMETER top_k 2\n", {"MF206"}),
    # MF205
    ("FROM x\nPARAMETER repeat_last_n 64\nPARAMETER repeat_penalty 1.1\n", set()),
    ("FROM x\nPARAMETER num_gpu 0\nPARAMETER main_gpu 1\n", {"MF205"}),
    # MF101: model names override; several files are merged
    ("FROM a\nFROM b\n", {"MF101"}),
    ("FROM ./a.gguf\nFROM ./b.gguf\n", {"MF103"}),
    # MF301 / MF302 / MF303
    ("FROM x\nSYSTEM a\nMESSAGE system b\n", {"MF301"}),
    ('FROM x\nTEMPLATE ""\n', {"MF302"}),
    ("FROM x\nSYSTEM a\nSYSTEM b\n", {"MF303"}),
    ("FROM x\nLICENSE a\nLICENSE b\n", set()),
    # MF305: x/mod/semver after adding v
    ("FROM x\nREQUIRES 0.14\n", set()),
    ("FROM x\nREQUIRES 0.14.0-rc1\n", set()),
    ("FROM x\nREQUIRES 0.14-rc1\n", {"MF305"}),
    ("FROM x\nREQUIRES V0.14.0\n", {"MF305"}),
    # MF501: text after a closing quote swallowing the next line
    ('FROM x\nSYSTEM "hi" there\nPARAMETER a "b"\n', {"MF501", "MF504"}),
    ('FROM x\nPARAMETER stop "a"b"\n', set()),
    # MF508: several quoted stop strings on one line are one stop sequence
    ('FROM x\nPARAMETER stop "<|im_end|>" "<|eot_id|>"\n', {"MF508"}),
    ('FROM x\nPARAMETER stop """a"""  """b"""\n', {"MF508"}),
    ('FROM x\nPARAMETER stop "a" b"\n', set()),
    ('FROM x\nPARAMETER stop say "a" "b"\n', set()),
    ('FROM x\nSYSTEM "a" "b"\n', set()),
    # MF509: single quotes are characters
    ("FROM x\nTEMPLATE '''{{ .Prompt }}'''\n", {"MF509"}),
    ("FROM x\nSYSTEM 'Be brief.'\n", {"MF509"}),
    ("FROM x\nMESSAGE user 'hi'\n", {"MF509"}),
    ("FROM x\nLICENSE '''MIT\n", {"MF509"}),
    ("FROM x\nPARAMETER stop '</s>'\n", {"MF509"}),
    ("FROM x\nSYSTEM 'tis the season\n", set()),
    ("FROM x\nSYSTEM \"'quoted'\"\n", set()),
    ("FROM x\nSYSTEM '\n", set()),
    ("FROM 'x'\n", set()),
    # MF502: trailing comments
    ("FROM llama3 # base\n", {"MF502"}),
    ("FROM x\nSYSTEM You are the #1 assistant\n", set()),
    ("FROM x\nPARAMETER temperature 0.7 # warm\n", {"MF202"}),
    # MF503: invisible characters, also before a keyword
    ("FROM x\nSYSTEM a\u200bb\n", {"MF503"}),
    ("\u200bFROM x\n", {"MF503"}),
    # MF504 / MF505 / MF506
    ('FROM x\nSYSTEM "a\nb"\n', {"MF504"}),
    ('FROM x\r\nSYSTEM """a\r\nb"""\r\n', {"MF505"}),
    ("from x\n", {"MF506"}),
    # TEMPLATE checks (MF4xx), at Modelfile positions
    ('FROM x\nTEMPLATE """{{ .Prompt }}{{ end }}"""\n', {"MF401"}),
    ('FROM x\nTEMPLATE """{{ range .Messages }}{{ .Contnet }}{{ end }}"""\n', {"MF403"}),
    ('FROM x\nTEMPLATE """{{ range $m := .Messages }}{{ $m.Role }}{{ $m.Text }}{{ end }}"""\n', {"MF403"}),
    (
        'FROM x\nTEMPLATE """{{ with .Tools }}{{ range . }}{{ .Function.Name }}{{ end }}{{ end }}{{ .Prompt }}"""\n',
        set(),
    ),
    ('FROM x\nTEMPLATE """{{ .System }}"""\n', {"MF404"}),
    ('FROM x\nTEMPLATE """{{ template "t" }}"""\n', {"MF401"}),
    # syntax errors keep Ollama's verdict; recovery finds the next one
    ("FROM x\nPARAMTER a 1\nPARAMETR b 2\n", {"MF001"}),
    ("FROM x\nMESSAGE User hi\n", {"MF002"}),
    ("FROM x\nPARAMETER top-k 1\n", {"MF003"}),
    ("FROM x\nMESSAGE user\n", {"MF004"}),
    ('FROM x\nSYSTEM """a\n', {"MF005"}),
    ("SYSTEM a\n", {"MF006"}),
    ('FROM x\nSYSTEM"""a"""\n', {"MF007"}),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[repr(c[0])[:40] for c in CASES])
def test_rule_cases(text: str, expected: set[str], tmp_path: Path) -> None:
    found = set(codes_for(text, tmp_path))
    if "MF506" not in expected:
        found.discard("MF506")  # lowercase keywords are not what these cases are about
    assert found == expected


def test_recovery_reports_every_broken_line(tmp_path: Path) -> None:
    found = lint_bytes(
        b"FROM x\nPARAMTER a 1\nPARAMETR b 2\nPARAMETER top_k 5\nPARAMETER top_k 6\n", path=str(tmp_path / "M")
    )
    assert [(d.code, d.line) for d in found] == [("MF001", 2), ("MF001", 3), ("MF206", 4)]


def test_template_findings_point_into_the_modelfile(tmp_path: Path) -> None:
    text = 'FROM x\nTEMPLATE """{{ range .Messages }}\n{{ .Contnet }}{{ end }}"""\n'
    found = lint_bytes(text.encode(), path=str(tmp_path / "Modelfile"))
    assert [(d.code, d.line, d.column, d.hint) for d in found] == [("MF403", 3, 4, "did you mean .Content?")]


def test_num_ctx_against_a_real_gguf_header(tmp_path: Path) -> None:
    write_gguf(tmp_path / "m.gguf", {"general.architecture": "qwen2", "qwen2.context_length": 32768})
    assert "MF207" in codes_for("FROM ./m.gguf\nLICENSE x\nPARAMETER num_ctx 65536\n", tmp_path)
    assert "MF207" not in codes_for("FROM ./m.gguf\nLICENSE x\nPARAMETER num_ctx 32768\n", tmp_path)


def test_adapter_that_can_never_apply(tmp_path: Path) -> None:
    write_gguf(tmp_path / "llama.gguf", {"general.architecture": "llama", "general.type": "model"})
    write_gguf(tmp_path / "m.gguf", {"general.architecture": "llama"})  # no general.type: a model
    write_gguf(tmp_path / "qwen-lora.gguf", {"general.architecture": "qwen2", "general.type": "adapter"})
    write_gguf(tmp_path / "lora.gguf", {"general.architecture": "llama", "general.type": "adapter"})

    def mf113(text: str) -> list[tuple[str, int, str]]:
        found = lint_bytes(text.encode(), path=str(tmp_path / "Modelfile"), config=ALL)
        return [(d.severity.value, d.line, d.message) for d in found if d.code == "MF113"]

    assert mf113("FROM ./llama.gguf\nADAPTER ./m.gguf\n") == [
        ("warning", 2, "ADAPTER ./m.gguf is a model (no general.type = adapter), not a LoRA adapter")
    ]
    assert mf113("FROM ./llama.gguf\nADAPTER ./qwen-lora.gguf\n") == [
        ("warning", 2, "ADAPTER ./qwen-lora.gguf is a LoRA for qwen2; FROM is llama")
    ]
    assert mf113("FROM ./llama.gguf\nADAPTER ./lora.gguf\n") == []
    assert mf113("FROM llama3.2\nADAPTER ./qwen-lora.gguf\n") == []  # the model's architecture is unknown
    assert mf113("FROM llama3.2\nADAPTER ./llama.gguf\n")[0][2].endswith(
        "is a model (general.type = model), not a LoRA adapter"
    )


def test_from_magic_bytes(tmp_path: Path) -> None:
    (tmp_path / "old.bin").write_bytes(b"tjgg" + bytes(20))
    (tmp_path / "lfs.gguf").write_bytes(b"version https://git-lfs.github.com/spec/v1\noid sha256:0\n")
    write_gguf(tmp_path / "ok.gguf", {"general.architecture": "llama"})
    assert "MF104" in codes_for("FROM ./old.bin\n", tmp_path)
    assert "MF104" in codes_for("FROM ./lfs.gguf\n", tmp_path)
    assert "MF104" not in codes_for("FROM ./ok.gguf\n", tmp_path)
    (tmp_path / "hf").mkdir()
    assert "MF104" in codes_for("FROM ./hf\n", tmp_path)


def test_draft_same_file_through_a_symlink(tmp_path: Path) -> None:
    write_gguf(tmp_path / "m.gguf", {"general.architecture": "llama"})
    (tmp_path / "link.gguf").symlink_to(tmp_path / "m.gguf")
    assert "MF112" in codes_for("FROM ./m.gguf\nDRAFT ./link.gguf\n", tmp_path)


def test_pragmas(tmp_path: Path) -> None:
    text = "FROM x\n# mfc: ignore[MF201]\nPARAMETER tempo 1\nPARAMETER tempi 1\n"
    assert [(d.code, d.line) for d in lint_bytes(text.encode(), path=str(tmp_path / "M"))] == [("MF201", 4)]
    assert (
        codes_for("# mfc: ignore-file[MF201]\nFROM x\nPARAMETER tempo 1\nPARAMETER tempi 1\n", tmp_path, LintConfig())
        == []
    )
    assert codes_for("# mfc: ignore[MF999]\nFROM x\n", tmp_path, LintConfig()) == ["MF901"]
    assert codes_for("# mfc: silence\nFROM x\n", tmp_path, LintConfig()) == ["MF901"]


def test_pyproject_configuration(tmp_path: Path) -> None:
    (tmp_path / "pyproject.toml").write_text(
        '[tool.mfc.lint]\nignore = ["MF2"]\nextend-select = ["MF506"]\nseverity = { MF303 = "error" }\n'
    )
    found = lint_bytes(b"from x\nPARAMETER tempo 1\nSYSTEM a\nSYSTEM b\n", path=str(tmp_path / "Modelfile"))
    assert {(d.code, d.severity.value) for d in found} == {("MF506", "info"), ("MF303", "error")}
