"""``mfc inspect``: ``builder.inspect_gguf``, printed as a metadata list and a tensor table."""

from __future__ import annotations

import click

from builder.cli.options import echo_json, json_option, store_option


@click.command("inspect")
@click.argument("path", metavar="FILE.gguf|NAME", type=click.Path(dir_okay=False))
@click.option("--no-tensors", is_flag=True, help="Leave out the tensor table.")
@store_option
@json_option
def inspect_command(path: str, no_tensors: bool, store_root: str | None, as_json: bool) -> None:
    """Print a GGUF file's header, metadata and tensors (name, GGML type, shape).

    FILE.gguf may also be the NAME of a model in the store: its weights are shown.
    Arrays (vocabularies, merges) are summarised by element type and length.

    Exit status: 0 read, 1 not a readable GGUF (nor a model in the store), 2 usage error.
    """
    import builder
    from builder.humanize import human_bytes, human_number

    info = builder.inspect_gguf(path, store=store_root)
    if as_json:
        echo_json({"ok": True, **info.to_dict(tensors=not no_tensors)})
        return
    click.echo(
        f"{path}: GGUF v{info.version}, {len(info.metadata)} keys, {len(info.tensors)} tensors, "
        f"{human_number(info.parameter_count)} parameters"
    )
    width = max((len(k) for k in info.metadata), default=0)
    for key, value in info.metadata.items():
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
    name_width = max((len(t.name) for t in info.tensors), default=4)
    click.echo(f"  {'TENSOR':<{name_width}}  {'TYPE':<8}  {'SHAPE':<20}  SIZE")
    for t in info.tensors:
        shape = " × ".join(str(d) for d in t.shape)
        click.echo(f"  {t.name:<{name_width}}  {t.type:<8}  {shape:<20}  {human_bytes(t.size)}")
