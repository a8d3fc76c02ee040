"""``mfc inspect``: a GGUF file's metadata and tensor table."""

from __future__ import annotations

from typing import Any

import click

from builder.cli.options import echo_json, fail, json_option

_ELEMENT_TYPES = {
    0: "u8",
    1: "i8",
    2: "u16",
    3: "i16",
    4: "u32",
    5: "i32",
    6: "f32",
    7: "bool",
    8: "string",
    9: "array",
    10: "u64",
    11: "i64",
    12: "f64",
}


@click.command("inspect")
@click.argument("path", metavar="FILE.gguf", type=click.Path(dir_okay=False))
@click.option("--no-tensors", is_flag=True, help="Leave out the tensor table.")
@json_option
def inspect_command(path: str, no_tensors: bool, as_json: bool) -> None:
    """Print a GGUF file's header, metadata and tensors (name, GGML type, shape).

    Arrays (vocabularies, merges) are summarised by element type and length.
    """
    from builder.ggml_types import check_complete, tensor_bytes, type_name
    from builder.humanize import human_bytes, human_number
    from modelfile.gguf_metadata import ArrayInfo, GGUFError, read_metadata

    try:
        meta = read_metadata(path, tensors=True)
        check_complete(meta)
    except GGUFError as error:
        fail(str(error), as_json=as_json)
    except OSError as error:
        fail(f"{path}: {error.strerror}", as_json=as_json)

    def shown(value: Any) -> Any:
        if isinstance(value, ArrayInfo):
            return {"array": _ELEMENT_TYPES.get(value.element_type, str(value.element_type)), "length": value.length}
        return value

    tensors: list[dict[str, Any]] = [
        {
            "name": t.name,
            "type": type_name(t.ggml_type),
            "shape": list(t.shape),
            "offset": t.offset,
            "size": tensor_bytes(t),
        }
        for t in meta.tensors
    ]
    if as_json:
        data: dict[str, Any] = {
            "path": path,
            "version": meta.version,
            "parameter_count": meta.parameter_count,
            "metadata": {key: shown(value) for key, value in meta.metadata.items()},
        }
        if not no_tensors:
            data["tensors"] = tensors
        echo_json(data)
        return
    click.echo(
        f"{path}: GGUF v{meta.version}, {len(meta.metadata)} keys, {meta.tensor_count} tensors, "
        f"{human_number(meta.parameter_count)} parameters"
    )
    width = max((len(k) for k in meta.metadata), default=0)
    for key, value in meta.metadata.items():
        value = shown(value)
        if isinstance(value, dict):
            text = f"[{value['length']} × {value['array']}]"
        else:
            text = repr(value) if isinstance(value, str) else str(value)
            if len(text) > 100:
                text = text[:97] + "..."
        click.echo(f"  {key:<{width}}  {text}")
    if no_tensors:
        return
    click.echo("")
    name_width = max((len(t["name"]) for t in tensors), default=4)
    click.echo(f"  {'TENSOR':<{name_width}}  {'TYPE':<8}  {'SHAPE':<20}  SIZE")
    for t in tensors:
        shape = " × ".join(str(d) for d in t["shape"])
        click.echo(f"  {t['name']:<{name_width}}  {t['type']:<8}  {shape:<20}  {human_bytes(int(t['size']))}")
