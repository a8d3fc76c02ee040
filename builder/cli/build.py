"""``mfc build`` (and ``mfc create``, Ollama's word for it): a Modelfile into a model in
the store, without a daemon."""

from __future__ import annotations

import os
from typing import Any

import click

from builder.cli.options import (
    display_name,
    echo_json,
    input_path,
    json_option,
    read_input,
    stdin_filename_option,
    store_option,
)
from builder.cli.quantize import quantize_flags
from modelfile.errors import InputError


@click.command("build")
@click.argument("name_argument", required=False, metavar="[NAME]")
@click.option(
    "-f",
    "--file",
    "modelfile_path",
    metavar="MODELFILE",
    help="The Modelfile to build (default: ./Modelfile; - reads standard input).",
)
@click.option("-t", "--tag", "name", metavar="NAME", help="The model's name, e.g. mymodel:1.0 (or give it as NAME).")
@stdin_filename_option
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
@quantize_flags
@click.option(
    "--cache-from",
    metavar="REF",
    help="A registry repository (host/namespace/name; http://… for plain HTTP) holding a build cache: "
    "conversions and quantizations found there are downloaded instead of done again.",
)
@click.option(
    "--cache-to",
    metavar="REF",
    help="A registry repository where the conversions and quantizations this build does are pushed, "
    "for other machines' --cache-from.  A cache that fails only costs time.",
)
@click.option("--quiet", is_flag=True, help="No progress output.")
@json_option
def build_command(
    name_argument: str | None,
    modelfile_path: str | None,
    name: str | None,
    stdin_filename: str | None,
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
    cache_from: str | None,
    cache_to: str | None,
    quiet: bool,
    as_json: bool,
) -> None:
    """Build the model NAME (or -t NAME) from a Modelfile into an Ollama-compatible store.

    The Modelfile is ./Modelfile unless -f names another; -f - (or --stdin-filename)
    reads it from standard input, and its relative paths then start from the current
    folder (or --stdin-filename's).  FROM may name a GGUF file (relative to the
    Modelfile's folder), a model already in the store, or a blob (sha256:<hex>).  The
    same inputs always give the same model ID.  With --quantize, the model layer is
    quantized once per source and options; rebuilds reuse the result, and the
    unquantized file is not stored.  `mfc create NAME -f Modelfile` is the same
    command, spelt as `ollama create`.

    Exit status: 0 built, 1 the Modelfile or its inputs are at fault (nothing is
    written), 2 usage error.
    """
    from builder import build, parse_name
    from builder.cli.progress import progress_printer

    if name_argument and name and name_argument != name:
        raise click.UsageError(f"two names given: {name_argument} and -t {name}")
    model = name_argument or name
    if not model:
        raise click.UsageError("give the model's NAME (or -t NAME)")
    parse_name(model)  # a bad name is a usage error (exit 2), before anything is read
    source = _modelfile(input_path(modelfile_path, stdin_filename, dash="-f -"), stdin_filename)
    quantize = None
    if quantize_type is not None:
        from builder import quantize_options  # only here: the quantizer loads numpy

        quantize = quantize_options(
            quantize_type,
            imatrix=imatrix,
            allow_requantize=allow_requantize,
            output_tensor_type=output_tensor_type,
            token_embedding_type=token_embedding_type,
            pure=pure,
            threads=threads,
        )
    printer = progress_printer(quiet=quiet or as_json)
    result = build(
        source,
        model,
        store=store_root,
        progress=printer,
        dry_run=dry_run,
        link=link,
        quantize=quantize,
        cache_from=cache_from,
        cache_to=cache_to,
    )
    printer.close()
    _report(result, as_json=as_json, dry_run=dry_run)


def _modelfile(path: str, stdin_filename: str | None) -> Any:
    """What to build: the Modelfile at ``path``, or the one read from standard input
    (``-``), parsed and placed at ``--stdin-filename`` (else the current folder)."""
    from modelfile import check_text, parse

    if path == "-":
        data, name = read_input(path), display_name(path, stdin_filename)
        check_text(data, path=name)
        return parse(data, path=name)
    if os.path.isdir(path):
        raise InputError(f"{path}: a folder, not a Modelfile (-f names the file itself)")
    if not os.path.isfile(path):
        raise InputError(f"{path}: no such Modelfile")
    return path


def _report(result: Any, *, as_json: bool, dry_run: bool) -> None:
    """A ``BuildResult`` on the terminal (the layers, for a dry run), or as JSON."""
    if as_json:
        echo_json({"ok": True, **result.to_dict()})
        return
    for warning in result.warnings:
        click.echo(f"warning: {warning}", err=True)
    if not dry_run:
        click.echo(f"built {result.name} ({result.digest[:12]})")
        return
    for layer in result.layers:
        origin = f"  (from {layer.from_})" if layer.from_ else ""
        click.echo(f"{layer.media_type.rsplit('.', 1)[-1]:<10} {layer.digest}  {layer.size:>12}{origin}")
    click.echo(f"would build {result.name} as {result.digest[:12]} (dry run: nothing written)")


create_command = click.Command(
    "create",
    callback=build_command.callback,
    params=build_command.params,
    help=build_command.help,
    short_help="Build NAME from a Modelfile as `ollama create NAME -f Modelfile` does (mfc build NAME).",
)
