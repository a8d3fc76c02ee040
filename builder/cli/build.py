"""``mfc build``: a Modelfile into a model in the store, without a daemon."""

from __future__ import annotations

import os

import click

from builder.cli.options import echo_json, fail, json_option, store_option
from builder.cli.quantize import quantize_options


@click.command("build")
@click.option(
    "-f",
    "--file",
    "modelfile_path",
    default="Modelfile",
    show_default=True,
    metavar="MODELFILE",
    help="The Modelfile to build.",
)
@click.option("-t", "--tag", "name", required=True, metavar="NAME", help="The model's name, e.g. mymodel:1.0.")
@store_option
@click.option("--dry-run", is_flag=True, help="Print the layers it would write; write nothing.")
@click.option("--link", is_flag=True, help="Import GGUF files by hard link instead of copying (same filesystem).")
@click.option(
    "-q",
    "--quantize",
    "quantize_type",
    metavar="TYPE",
    help="Quantize the model layer to TYPE (any llama.cpp type: q4_K_M, Q8_0, IQ4_XS ...; see mfc quantize --list).",
)
@quantize_options
@click.option("--quiet", is_flag=True, help="No progress output.")
@json_option
def build_command(
    modelfile_path: str,
    name: str,
    store_root: str | None,
    dry_run: bool,
    link: bool,
    quantize_type: str | None,
    imatrix: str | None,
    allow_requantize: bool,
    output_tensor_type: str | None,
    token_embedding_type: str | None,
    pure: bool,
    threads: int,
    quiet: bool,
    as_json: bool,
) -> None:
    """Build the model NAME from a Modelfile into an Ollama-compatible store.

    FROM may name a GGUF file (relative to the Modelfile's folder), a model already in
    the store, or a blob (sha256:<hex>).  The same inputs always give the same model
    ID.  With --quantize, the model layer is quantized once per source and options;
    rebuilds reuse the result, and the unquantized file is not stored.

    Exit status: 0 built, 1 the Modelfile or its inputs are at fault (nothing is
    written), 2 usage error.
    """
    from builder.cli.progress import ProgressPrinter
    from builder.create import build
    from builder.errors import ModelNameError
    from builder.names import parse_name
    from modelfile import ModelfileError, parse_file
    from modelfile.errors import MfcError

    try:
        parse_name(name)
    except ModelNameError as error:
        fail(str(error), as_json=as_json, code=2)
    if not os.path.isfile(modelfile_path):
        fail(f"{modelfile_path}: no such Modelfile", as_json=as_json, code=2 if modelfile_path == "Modelfile" else 1)
    printer = ProgressPrinter(quiet=quiet or as_json)
    try:
        quantize = None
        if quantize_type is not None:
            from builder.quantizer import options

            quantize = options(
                quantize_type,
                imatrix=imatrix,
                allow_requantize=allow_requantize,
                output_tensor_type=output_tensor_type,
                token_embedding_type=token_embedding_type,
                pure=pure,
                threads=threads,
            )
        modelfile = parse_file(modelfile_path)
        result = build(
            modelfile, name, store=store_root, progress=printer, dry_run=dry_run, link=link, quantize=quantize
        )
    except ModelfileError as error:
        printer.close()
        if as_json:
            echo_json({"ok": False, "error": error.to_dict()})
        else:
            click.echo(error.render(), err=True)
        raise SystemExit(1) from None
    except MfcError as error:
        printer.close()
        fail(str(error), as_json=as_json)
    except OSError as error:
        printer.close()
        fail(f"{error.filename or 'store'}: {error.strerror or error}", as_json=as_json)
    printer.close()
    for warning in result.warnings:
        if not as_json:
            click.echo(f"warning: {warning}", err=True)
    if as_json:
        echo_json({"ok": True, **result.to_dict()})
        return
    if dry_run:
        for layer in result.layers:
            origin = f"  (from {layer.from_})" if layer.from_ else ""
            click.echo(f"{layer.media_type.rsplit('.', 1)[-1]:<10} {layer.digest}  {layer.size:>12}{origin}")
        click.echo(f"would build {result.name} as {result.digest[:12]} (dry run: nothing written)")
        return
    click.echo(f"built {result.name} ({result.digest[:12]})")
