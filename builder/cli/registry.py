"""``mfc pull``, ``mfc push``, ``mfc login`` and ``mfc logout``: ``builder.registry``'s
``pull``/``push`` and the credentials file.

With ``--json`` the result is one JSON object on standard output and the statuses go
to standard error as JSON lines in the shape of Ollama's stream (``{"status", "digest",
"total", "completed"}``), for CI logs and tools that follow a pull."""

from __future__ import annotations

import json
import sys
from typing import Any

import click

from builder.cli.options import echo_json, json_option, store_option

insecure_option = click.option(
    "--insecure", is_flag=True, help="Use plain HTTP (as Ollama's --insecure): for a registry on localhost or a LAN."
)


def _progress(as_json: bool) -> Any:
    """Status lines as JSON on standard error (--json), else the terminal's bar."""
    if as_json:

        def emit(event: Any) -> None:
            sys.stderr.write(json.dumps(event.to_dict()) + "\n")
            sys.stderr.flush()

        return emit
    from builder.cli.progress import progress_printer

    return progress_printer()


@click.command("pull")
@click.argument("name")
@insecure_option
@store_option
@json_option
def pull_command(name: str, insecure: bool, store_root: str | None, as_json: bool) -> None:
    """Pull the model NAME (host/namespace/model:tag) from its registry into the store.

    Blobs the store has already are not downloaded again; a download that stops resumes
    on the next pull; every blob is checked against its digest, and the model appears
    only when all of it is there.  Credentials come from `mfc login` and from Docker's
    config.json (and its credential helpers).

    Exit status: 0 pulled, 1 the registry refused or failed (the message says which
    manifest or blob, the status and the registry's error), 2 usage error.
    """
    from builder import pull

    progress = _progress(as_json)
    result = pull(name, store=store_root, insecure=insecure, progress=progress)
    _close(progress)
    if as_json:
        echo_json({"ok": True, **result.to_dict()})
    else:
        click.echo(
            f"pulled {result.name} ({result.digest[:12]}): "
            f"{len(result.downloaded)} blobs downloaded, {len(result.reused)} already here"
        )


@click.command("push")
@click.argument("name")
@click.option(
    "--format",
    "form",
    type=click.Choice(["ollama", "oci"]),
    default="ollama",
    show_default=True,
    help="ollama: Docker schema 2, as Ollama pushes (Ollama can pull it); oci: an OCI artifact with CNCF "
    "ModelPack media types, for OCI-only registries and tools (mfc pulls both).",
)
@insecure_option
@store_option
@json_option
def push_command(name: str, form: str, insecure: bool, store_root: str | None, as_json: bool) -> None:
    """Push the stored model NAME (host/namespace/model:tag) to its registry.

    Blobs the registry has are skipped, and mounted from the repository they came from
    when it is on the same registry; the manifest goes last, so a failed push leaves no
    model pointing at missing blobs.  The model ID is the same after a pull.

    Exit status: 0 pushed, 1 no such model, or the registry refused or failed, 2 usage error.
    """
    from builder import push

    progress = _progress(as_json)
    result = push(name, store=store_root, insecure=insecure, progress=progress, format=form)
    _close(progress)
    if as_json:
        echo_json({"ok": True, **result.to_dict()})
    else:
        click.echo(
            f"pushed {result.name} ({result.digest[:12]}): {len(result.uploaded)} uploaded, "
            f"{len(result.mounted)} mounted, {len(result.present)} already there"
        )


def _close(progress: Any) -> None:
    close = getattr(progress, "close", None)
    if close is not None:
        close()


@click.command("login")
@click.argument("host")
@click.option("-u", "--username", required=True, help="The user name.")
@click.option("--password-stdin", is_flag=True, help="Read the password (or token) from standard input, not a prompt.")
@json_option
def login_command(host: str, username: str, password_stdin: bool, as_json: bool) -> None:
    """Save credentials for the registry HOST, for pull, push and build caches.

    They go to $MFC_CONFIG_DIR/auth.json (default ~/.config/mfc/auth.json), readable by
    you only; mfc also reads Docker's config.json and credential helpers, so a
    `docker login` works too.  The password is asked for without echo, or read from
    standard input with --password-stdin (for CI).

    Exit status: 0 saved, 1 the file cannot be written, 2 usage error (no password).
    """
    from builder import login

    if password_stdin:
        password = sys.stdin.read().rstrip("\r\n")
    else:
        password = click.prompt("Password", hide_input=True, err=True)
    if not password:
        raise click.UsageError("an empty password")
    path = login(host, username, password)
    if as_json:
        echo_json({"ok": True, "host": host, "username": username, "file": str(path)})
    else:
        click.echo(f"saved credentials of {username} for {host} in {path}")


@click.command("logout")
@click.argument("host")
@json_option
def logout_command(host: str, as_json: bool) -> None:
    """Forget the credentials `mfc login` saved for HOST (Docker's own are left alone).

    Exit status: 0 done (also when none were saved), 1 the file cannot be written, 2 usage error.
    """
    from builder import logout

    removed = logout(host)
    if as_json:
        echo_json({"ok": True, "host": host, "removed": removed})
    else:
        click.echo(f"removed the credentials for {host}" if removed else f"no credentials saved for {host}")
