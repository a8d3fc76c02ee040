"""``mfc verify``: re-hash blobs and check every manifest's references."""

from __future__ import annotations

import click

from builder.cli.options import echo_json, fail, json_option, open_store, store_option


@click.command("verify")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@store_option
@json_option
def verify_command(names: tuple[str, ...], store_root: str | None, as_json: bool) -> None:
    """Check the store (or the models NAME...): every manifest readable, every blob it
    names present, of the right size, and hashing to its name.  Exit 1 on any problem."""
    from builder.store import verify
    from modelfile.errors import MfcError

    store = open_store(store_root)
    try:
        problems = verify(store, [store.resolve(n) for n in names] if names else None)
        count = len(names) if names else len(store.models())
    except MfcError as error:
        fail(str(error), as_json=as_json)
    if as_json:
        echo_json({"ok": not problems, "models": count, "problems": problems})
    else:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        if not problems:
            click.echo(f"ok: {count} model(s) verified")
    if problems:
        raise SystemExit(1)
