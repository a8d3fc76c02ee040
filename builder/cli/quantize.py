"""``mfc quantize``: a GGUF to any llama.cpp file type, checked before the work."""

from __future__ import annotations

from typing import Any

import click

from builder.cli.options import echo_json, json_option

#: What each ``imatrix`` value of a type means, as ``--list`` prints it.
IMATRIX_NOTES = {
    "required": "required",
    "model": "required for most models",
    "recommended": "optional, improves quality",
    "": "-",
}


#: The options ``mfc quantize`` and ``mfc build --quantize`` share, defined once.
QUANTIZE_FLAGS = (
    click.option(
        "--imatrix",
        type=click.Path(dir_okay=False),
        metavar="FILE",
        help="Importance matrix from llama-imatrix (GGUF or .dat): needed by IQ1/IQ2 and Q2_K_S.",
    ),
    click.option(
        "--allow-requantize",
        is_flag=True,
        help="Quantize an already quantized GGUF (a second rounding error: lower quality).",
    ),
    click.option("--output-tensor-type", metavar="TYPE", help="GGML type for output.weight (e.g. Q8_0)."),
    click.option("--token-embedding-type", metavar="TYPE", help="GGML type for token_embd.weight."),
    click.option("--pure", is_flag=True, help="One type for every tensor: no K-quant mixes, no bumps."),
    click.option(
        "--threads",
        type=click.IntRange(min=0),
        default=0,
        show_default=True,
        help="Threads (0: every core); the output is the same for any number.",
    ),
)


def quantize_flags(function: Any) -> Any:
    """Decorate a command with ``QUANTIZE_FLAGS``, in their order."""
    for option in reversed(QUANTIZE_FLAGS):
        function = option(function)
    return function


@click.command("quantize")
@click.argument("source", required=False, metavar="IN.gguf", type=click.Path(dir_okay=False))
@click.argument("output", required=False, metavar="OUT.gguf", type=click.Path())
@click.argument("type_name", required=False, metavar="TYPE")
@click.option("--list", "list_types", is_flag=True, help="List the types: bits per weight, importance matrix.")
@quantize_flags
@click.option("--verbose", is_flag=True, help="Show llama.cpp's log.")
@json_option
def quantize_command(
    source: str | None,
    output: str | None,
    type_name: str | None,
    list_types: bool,
    imatrix: str | None,
    allow_requantize: bool,
    output_tensor_type: str | None,
    token_embedding_type: str | None,
    pure: bool,
    threads: int,
    verbose: bool,
    as_json: bool,
) -> None:
    """Quantize IN.gguf to OUT.gguf as TYPE with llama.cpp's quantizer.

    TYPE is any llama.cpp file type, case-insensitive (q4_K_M, Q8_0, IQ4_XS, q4_K for
    Q4_K_M, fp16 ...; see --list).  Before any work mfc checks the type, refuses an
    already quantized source unless --allow-requantize, asks llama.cpp whether the type
    needs an importance matrix for this model, and checks the free disk.

    Exit status: 0 written, 1 the quantization cannot or should not run, or failed
    (no file is left), 2 usage error.
    """
    if list_types:
        _list(as_json)
        return
    if not (source and output and type_name):
        raise click.UsageError("give IN.gguf OUT.gguf TYPE (or --list)")
    from builder import quantize
    from builder.cli.progress import progress_printer

    printer = progress_printer(quiet=as_json)
    result = quantize(
        source,
        output,
        type_name,
        imatrix=imatrix,
        allow_requantize=allow_requantize,
        output_tensor_type=output_tensor_type,
        token_embedding_type=token_embedding_type,
        pure=pure,
        threads=threads,
        verbose=verbose,
        progress=printer,
    )
    printer.close()
    if as_json:
        echo_json({"ok": True, **_summary(result)})
        return
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    click.echo(
        f"wrote {result.path}: {result.type}, {result.size / 1e6:.1f} MB "
        f"(tensors {result.model_mib:.2f} MiB -> {result.quant_mib:.2f} MiB) in {result.seconds:.1f} s"
    )


def _summary(result: Any) -> dict[str, Any]:
    """A ``QuantizeResult`` as ``--json`` prints it."""
    return {
        "path": str(result.path),
        "type": result.type,
        "file_type": result.file_type,
        "size": result.size,
        "model_mib": result.model_mib,
        "quant_mib": result.quant_mib,
        "seconds": round(result.seconds, 3),
        "warnings": list(result.warnings),
    }


def _list(as_json: bool) -> None:
    from builder import quantization_types

    types = quantization_types()
    if as_json:
        echo_json({"ok": True, "types": [_row(t) for t in types]})
        return
    from builder.humanize import columns

    rows = [("TYPE", "BPW", "TENSORS", "IMATRIX", "ALIASES")]
    rows += [(t.name, f"{t.bits:g}", t.main, IMATRIX_NOTES[t.imatrix], ", ".join(t.aliases)) for t in types]
    for line in columns(rows, right={1}):
        click.echo(line)


def _row(t: Any) -> dict[str, Any]:
    """A quantization type as ``--list --json`` prints it."""
    return {
        "type": t.name,
        "ftype": t.ftype,
        "bits_per_weight": t.bits,
        "main_tensor_type": t.main,
        "imatrix": t.imatrix or "no",
        "aliases": list(t.aliases),
    }
