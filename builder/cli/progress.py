"""Build progress on standard error: status lines, and a bar while bytes are hashed or
copied.  Not on a terminal (CI logs), each status appears once as a plain line and
byte counts only when a step finishes."""

from __future__ import annotations

import sys
from typing import Any, TextIO

import click

from builder.events import Event
from builder.humanize import human_bytes


class ProgressPrinter:
    def __init__(self, *, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty()
        self.status = ""
        self.bar: Any = None
        self.done = 0

    def __call__(self, event: Event) -> None:
        if self.quiet:
            return
        if event.status != self.status:
            self._finish()
            self.status = event.status
            if not event.total:
                click.echo(event.status, file=self.stream)
            elif self.interactive:
                self.bar = click.progressbar(
                    length=event.total,
                    label=event.status,
                    file=self.stream,
                    show_pos=False,
                    show_percent=True,
                    show_eta=True,
                )
                self.bar.render_progress()
                self.done = 0
        if event.total:
            if self.bar is not None:
                self.bar.update(event.completed - self.done)
                self.done = event.completed
            elif event.completed >= event.total:
                amount = human_bytes(event.total) if event.unit == "B" else f"{event.total} {event.unit}"
                click.echo(f"{event.status} ({amount})", file=self.stream)

    def _finish(self) -> None:
        if self.bar is not None:
            self.bar.render_finish()
            self.bar = None

    def close(self) -> None:
        self._finish()
