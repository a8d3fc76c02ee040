"""``mfc cp``, ``mfc rm`` and ``mfc prune``: ``builder.copy_model``, ``remove_model``
and ``prune``."""

from __future__ import annotations

import click

from builder.cli.options import echo_json, json_option, store_option


@click.command("cp")
@click.argument("source")
@click.argument("destination")
@store_option
@json_option
def cp_command(source: str, destination: str, store_root: str | None, as_json: bool) -> None:
    """Copy the model SOURCE to the name DESTINATION (same manifest, same ID; no blob is copied).

    Exit status: 0 copied, 1 no such model or an invalid name, 2 usage error.
    """
    import builder

    copied = builder.copy_model(source, destination, store=store_root)
    if as_json:
        echo_json({"ok": True, **copied.to_dict()})
    else:
        click.echo(f"copied '{copied.source}' to '{copied.destination}'")


@click.command("rm")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@store_option
@json_option
def rm_command(names: tuple[str, ...], store_root: str | None, as_json: bool) -> None:
    """Remove models, and the blobs that no other model uses.

    --json names the deleted blobs by digest (sha256:<hex>).

    Exit status: 0 removed, 1 no such model, 2 usage error.
    """
    import builder

    removed = []
    for name in names:
        removed.append(builder.remove_model(name, store=store_root))
        if not as_json:
            click.echo(f"deleted '{removed[-1].name}'")
    if as_json:
        echo_json({"ok": True, "removed": [r.to_dict() for r in removed]})


@click.command("prune")
@click.option("--now", is_flag=True, help="Skip the one-hour grace period that protects blobs being written.")
@store_option
@json_option
def prune_command(now: bool, store_root: str | None, as_json: bool) -> None:
    """Delete blobs that no model uses, and files a killed build left behind.

    Like Ollama, it leaves alone what changed in the last hour (another program may be
    writing it) unless --now is given.

    Exit status: 0 pruned, 1 the store cannot be read or written, 2 usage error.
    """
    import builder

    pruned = builder.prune(store_root, grace=0) if now else builder.prune(store_root)
    if as_json:
        echo_json({"ok": True, **pruned.to_dict()})
    else:
        click.echo(pruned.summary())
