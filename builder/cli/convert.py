"""``mfc convert``: a Hugging Face safetensors folder (or a PEFT LoRA adapter) to GGUF."""

from __future__ import annotations

from typing import Any

import click

from builder.cli.options import echo_json, json_option


@click.command("convert")
@click.argument("folder", required=False, type=click.Path(file_okay=False), metavar="DIR")
@click.option(
    "-o", "--output", type=click.Path(dir_okay=False), metavar="OUT.gguf", help="The GGUF file to write (required)."
)
@click.option(
    "--outtype",
    type=click.Choice(["auto", "f32", "f16", "bf16", "q8_0"], case_sensitive=False),
    default=None,
    help="Weight type (default: auto, as llama.cpp's: BF16 weights stay BF16, F16 and F32 weights become F16; "
    "f32 for adapters).",
)
@click.option(
    "--lora",
    "lora",
    type=click.Path(file_okay=False),
    metavar="DIR",
    help="Convert this PEFT LoRA adapter folder instead (needs --base).",
)
@click.option(
    "--base",
    "base",
    type=click.Path(),
    metavar="BASE",
    help="The adapter's base model: a Hugging Face folder or a GGUF file.",
)
@click.option("--list", "list_archs", is_flag=True, help="List the architectures mfc converts and what each covers.")
@json_option
def convert_command(
    folder: str | None,
    output: str | None,
    outtype: str | None,
    lora: str | None,
    base: str | None,
    list_archs: bool,
    as_json: bool,
) -> None:
    """Convert the Hugging Face model in DIR (config.json, *.safetensors, tokenizer) to a
    GGUF file that llama.cpp and Ollama run.

    Llama, Mistral, Qwen2, Qwen3, Gemma, Gemma 2, Phi-3, BERT/sentence-transformers and
    the mixtures of experts Mixtral, Qwen2-MoE, Qwen3-MoE, OLMoE, Granite MoE, DeepSeek V3
    and gpt-oss (see --list).
    Every safetensors header, tensor shape and weight is checked; nothing is written
    when anything is wrong.  With --lora DIR --base BASE, converts a PEFT LoRA adapter.

    Exit status: 0 written, 1 the checkpoint cannot be converted (nothing is written),
    2 usage error.
    """
    from builder import convert, convert_lora
    from builder.cli.progress import progress_printer

    if list_archs:
        _list(as_json)
        return
    if output is None:
        raise click.UsageError("give -o OUT.gguf (the GGUF file to write)")
    if lora is None and folder is None:
        raise click.UsageError("give DIR (a model folder) or --lora DIR --base BASE")
    if lora is not None and (folder is not None or base is None):
        raise click.UsageError("--lora DIR needs --base BASE and no model DIR")
    printer = progress_printer(quiet=as_json)
    if lora is not None:
        assert base is not None
        result = convert_lora(lora, base, output, outtype=outtype or "f32", progress=printer)
    else:
        assert folder is not None
        result = convert(folder, output, outtype=outtype or "auto", progress=printer)
    printer.close()
    if as_json:
        echo_json({"ok": True, **_summary(result)})
        return
    types = ", ".join(f"{count} {name}" for name, count in sorted(result.types.items()))
    click.echo(
        f"wrote {result.path}: {result.architecture}, {result.tensors} tensors ({types}), "
        f"{result.size / 1e6:.1f} MB in {result.seconds:.1f} s"
    )


def _summary(result: Any) -> dict[str, Any]:
    """A ``ConvertResult`` as ``--json`` prints it."""
    return {
        "path": str(result.path),
        "architecture": result.architecture,
        "outtype": result.outtype,
        "tensors": result.tensors,
        "types": result.types,
        "size": result.size,
        "tokenizer": result.tokenizer,
        "pre_tokenizer": result.pre_tokenizer,
        "seconds": round(result.seconds, 3),
    }


def _list(as_json: bool) -> None:
    from builder import convertible_architectures

    archs = convertible_architectures()
    if as_json:
        rows = [{"gguf": a.gguf, "classes": list(a.classes), "covers": a.covers, "experts": a.experts} for a in archs]
        echo_json({"ok": True, "architectures": rows})
        return
    from builder.humanize import columns

    table = [("GGUF", "HUGGING FACE CLASSES", "COVERS")]
    table += [(a.gguf, ", ".join(a.classes), a.covers) for a in archs]
    for line in columns(table):
        click.echo(line)
