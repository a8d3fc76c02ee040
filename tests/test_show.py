"""``mfc show``, ``list`` and ``inspect``; above all, ``show --modelfile`` output builds
back to the same model ID."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from ggufs import write_gguf
from models import mfc

from builder import Store, build, show_modelfile
from modelfile import parse

CHATML_JINJA = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + "
    "'\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    write_gguf(
        tmp_path / "base.gguf",
        {"general.architecture": "llama", "tokenizer.chat_template": CHATML_JINJA},
        {"w": (16, 4)},
    )
    write_gguf(tmp_path / "plain.gguf", {"general.architecture": "qwen2", "general.file_type": 1}, {"w": (8,)})
    write_gguf(tmp_path / "lora.gguf", {"general.architecture": "llama", "general.type": "adapter"}, {"a": (4,)})
    write_gguf(tmp_path / "mmproj.gguf", {"general.architecture": "clip", "clip.vision.block_count": 2}, {"v": (4,)})
    return tmp_path


MODELFILES = {
    "everything": (
        'FROM ./plain.gguf\nTEMPLATE """{{ if .System }}<s>{{ .System }}</s>{{ end }}{{ .Prompt }}"""\n'
        'SYSTEM """  leading spaces and "quotes"\nand two lines"""\nPARAMETER temperature 0.7\n'
        'PARAMETER stop <end>\nPARAMETER stop "  spaced "\nPARAMETER seed 42\nPARAMETER num_ctx 4096\n'
        'PARAMETER repeat_penalty 1.1\nPARAMETER use_mmap false\nLICENSE MIT\nLICENSE """BSD\nclause"""\n'
        'MESSAGE user hi\nMESSAGE assistant "hello there"\nRENDERER qwen3\nPARSER qwen3\nREQUIRES 0.9.0\n'
    ),
    "autodetected template before an adapter": "FROM ./base.gguf\nADAPTER ./lora.gguf\nSYSTEM s\n",
    "autodetected template, user stop": "FROM ./base.gguf\nPARAMETER stop <|x|>\n",
    "projector": "FROM ./plain.gguf\nFROM ./mmproj.gguf\nSYSTEM vision\n",
    "float formatting": "FROM ./plain.gguf\nPARAMETER temperature 1e-7\nPARAMETER top_p 0.95\nPARAMETER min_p 3\n",
}


@pytest.mark.parametrize("text", MODELFILES.values(), ids=MODELFILES.keys())
def test_show_modelfile_rebuilds_to_the_same_id(folder: Path, text: str) -> None:
    store = Store(folder / "store")
    (folder / "Modelfile").write_text(text)
    original = build(folder / "Modelfile", "original", store=store)
    shown = show_modelfile("original", store)
    assert "rebuilds it as the same model" in shown
    rebuilt = build(parse(shown), "rebuilt", store=store)
    assert rebuilt.digest == original.digest


def test_show_modelfile_of_a_child_names_its_parent(folder: Path) -> None:
    store = Store(folder / "store")
    (folder / "Parent").write_text("FROM ./base.gguf\nSYSTEM parent\nLICENSE MIT\n")
    build(folder / "Parent", "parent", store=store)
    (folder / "Child").write_text("FROM parent\nSYSTEM child\nPARAMETER top_k 3\nLICENSE GPL\n")
    child = build(folder / "Child", "child", store=store)
    shown = show_modelfile("child", store)
    commands = parse(shown).ollama_commands()
    assert commands[0] == ("model", "parent:latest")
    assert ("license", "MIT") not in commands  # inherited, not repeated
    assert build(parse(shown), "again", store=store).digest == child.digest


def test_show_modelfile_after_the_parent_changed_says_it_gives_the_same_parts(folder: Path) -> None:
    """The inherited layers' ``from`` is part of the manifest: with the parent gone or
    changed, no Modelfile can give the same ID, and the header says so."""
    store = Store(folder / "store")
    (folder / "Parent").write_text("FROM ./plain.gguf\nSYSTEM parent\n")
    build(folder / "Parent", "parent", store=store)
    (folder / "Child").write_text("FROM parent\nPARAMETER top_k 3\n")
    child = build(folder / "Child", "child", store=store)
    (folder / "Parent").write_text("FROM ./plain.gguf\nSYSTEM changed\n")
    build(folder / "Parent", "parent", store=store)
    shown = show_modelfile("child", store)
    assert parse(shown).ollama_commands()[0][1].startswith("sha256:")
    assert "# Note: no Modelfile rebuilds this model's exact layers" in shown
    again = build(parse(shown), "again", store=store)
    assert [x.digest for x in again.layers] == [x.digest for x in child.layers]


def test_show_parts_and_json(folder: Path) -> None:
    store = folder / "store"
    (folder / "Modelfile").write_text(MODELFILES["everything"])
    assert mfc("build", "--quiet", "-t", "m", "--store", str(store), cwd=folder).returncode == 0
    env = {"MFC_MODELS": str(store)}
    assert mfc("show", "m", "--system", env=env).stdout == '  leading spaces and "quotes"\nand two lines\n'
    assert mfc("show", "m", "--license", env=env).stdout == "MIT\nBSD\nclause\n"
    parameters = mfc("show", "m", "--parameters", env=env).stdout.splitlines()
    assert parameters[0] == "num_ctx                        4096"
    assert 'stop                           "  spaced "' in parameters
    assert "temperature                    0.7" in parameters
    data = json.loads(mfc("show", "m", "--json", env=env).stdout)
    assert data["details"] == {
        "parent_model": "",
        "format": "gguf",
        "family": "qwen2",
        "families": ["qwen2"],
        "parameter_size": "8",
        "quantization_level": "F16",
    }
    assert data["messages"] == [{"role": "user", "content": "hi"}, {"role": "assistant", "content": "hello there"}]
    assert data["model_info"]["general.architecture"] == "qwen2"
    assert data["capabilities"] == ["completion", "tools"]  # PARSER qwen3 calls tools (Ollama's show says so)
    assert data["modelfile"].startswith('# Modelfile generated by "mfc show" for m:latest')
    summary = mfc("show", "m", env=env).stdout
    assert "architecture    qwen2" in summary
    missing = mfc("show", "nothing", env=env)
    assert missing.returncode == 1
    assert missing.stderr.startswith("error: model 'nothing:latest' not found")


def test_list_json_is_ollamas_tags_shape(folder: Path) -> None:
    store = folder / "store"
    (folder / "Modelfile").write_text("FROM ./plain.gguf\n")
    assert mfc("build", "--quiet", "-t", "me/m:v1", "--store", str(store), cwd=folder).returncode == 0
    data = json.loads(mfc("list", "--json", "--store", str(store)).stdout)
    (row,) = data["models"]
    assert row["name"] == row["model"] == "me/m:v1"
    assert row["digest"] == Store(store).find("me/m:v1").digest
    assert row["size"] == Store(store).find("me/m:v1").manifest.size
    assert row["details"]["quantization_level"] == "F16"
    table = mfc("list", "--store", str(store)).stdout.splitlines()
    assert table[0].split() == ["NAME", "ID", "SIZE", "MODIFIED"]
    assert table[1].split()[:2] == ["me/m:v1", row["digest"][:12]]


def test_inspect_reads_metadata_and_tensors(folder: Path) -> None:
    data = json.loads(mfc("inspect", str(folder / "plain.gguf"), "--json").stdout)
    assert data["metadata"]["general.architecture"] == "qwen2"
    assert data["tensors"] == [{"name": "w", "type": "F32", "shape": [8], "offset": 0, "size": 32}]
    bad = mfc("inspect", str(folder / "Modelfile-missing.gguf"))
    assert bad.returncode != 0
    assert "Traceback" not in bad.stderr
