"""``mfc verify``: ``builder.verify``, each problem on a line."""

from __future__ import annotations

import click

from builder.cli.options import echo_json, json_option, open_store, store_option


@click.command("verify")
@click.argument("names", nargs=-1, metavar="[NAME]...")
@store_option
@json_option
def verify_command(names: tuple[str, ...], store_root: str | None, as_json: bool) -> None:
    """Check the store (or the models NAME...): every manifest readable, every blob it
    names present, of the right size, and hashing to its name.

    --json lists each problem as {kind, model, digest, message}.

    Exit status: 0 all well, 1 any problem (or no such store or model), 2 usage error.
    """
    import builder

    store = open_store(store_root).require()
    problems = builder.verify(store, names or None)
    count = len(names) or len(store.models())
    if as_json:
        echo_json({"ok": not problems, "models": count, "problems": [p.to_dict() for p in problems]})
    else:
        for problem in problems:
            click.echo(f"error: {problem}", err=True)
        if not problems:
            click.echo(f"ok: {count} model(s) verified")
    if problems:
        raise SystemExit(1)
