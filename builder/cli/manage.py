"""``mfc cp``, ``mfc rm`` and ``mfc prune``: names and blobs in a store."""

from __future__ import annotations

import click

from builder.cli.options import echo_json, fail, json_option, open_store, store_option


@click.command("cp")
@click.argument("source")
@click.argument("destination")
@store_option
@json_option
def cp_command(source: str, destination: str, store_root: str | None, as_json: bool) -> None:
    """Copy the model SOURCE to the name DESTINATION (same manifest, same ID; no blob is copied)."""
    from builder.manage import copy_model
    from modelfile.errors import MfcError

    store = open_store(store_root)
    try:
        copied = copy_model(store, source, destination)
    except MfcError as error:
        fail(str(error), as_json=as_json)
    if as_json:
        echo_json({"ok": True, "source": copied[0], "destination": copied[1]})
    else:
        click.echo(f"copied '{copied[0]}' to '{copied[1]}'")


@click.command("rm")
@click.argument("names", nargs=-1, required=True, metavar="NAME...")
@store_option
@json_option
def rm_command(names: tuple[str, ...], store_root: str | None, as_json: bool) -> None:
    """Remove models, and the blobs that no other model uses."""
    from builder.manage import remove_model
    from modelfile.errors import MfcError

    store = open_store(store_root)
    removed: list[dict[str, object]] = []
    for name in names:
        try:
            shown, blobs = remove_model(store, name)
        except MfcError as error:
            fail(str(error), as_json=as_json)
        removed.append({"name": shown, "blobs": [path.name for path in blobs]})
        if not as_json:
            click.echo(f"deleted '{shown}'")
    if as_json:
        echo_json({"ok": True, "removed": removed})


@click.command("prune")
@click.option("--now", is_flag=True, help="Skip the one-hour grace period that protects blobs being written.")
@store_option
@json_option
def prune_command(now: bool, store_root: str | None, as_json: bool) -> None:
    """Delete blobs that no model uses, and files a killed build left behind.

    Like Ollama, it leaves alone what changed in the last hour (another program may be
    writing it) unless --now is given.
    """
    from builder.humanize import human_bytes
    from builder.store import PRUNE_GRACE

    store = open_store(store_root)
    with store.locked():
        sizes = {p: p.stat().st_size for p in store.blobs.iterdir()} if store.blobs.is_dir() else {}
        removed = store.prune(grace=0 if now else PRUNE_GRACE)
    freed = sum(sizes.get(path, 0) for path in removed)
    if as_json:
        echo_json({"ok": True, "removed": [path.name for path in removed], "freed": freed})
    else:
        click.echo(f"removed {len(removed)} file(s), {human_bytes(freed)} freed")
