"""Progress on standard error, rendered from ``builder.Event``s: status lines, and a bar
while bytes or tensors are counted.  Not on a terminal (CI logs), each status appears
once as a plain line and a count only when its step finishes.

A command opens the printer with ``progress_printer()``: it closes with the command's
click context, so a bar is finished (and its line ended) before the group reports an
error the command let through.  click's bar hides the cursor while it draws; closing
gives it back on every exit (the end, an error, Ctrl-C), and a closed printer draws
nothing more, though the work's thread (llama.cpp quantizing) may still report.
"""

from __future__ import annotations

import os
import sys
from typing import Any, TextIO

import click

from builder import Event
from builder.humanize import human_bytes

#: What click writes after a bar to show the cursor again (it hides it, except on Windows).
SHOW_CURSOR = "" if os.name == "nt" else "\x1b[?25h"


class ProgressPrinter:
    """A ``builder.Progress`` callable that draws what it is given."""

    def __init__(self, *, quiet: bool = False, stream: TextIO | None = None) -> None:
        self.quiet = quiet
        self.stream = stream or sys.stderr
        self.interactive = self.stream.isatty()
        self.status = ""
        self.bar: Any = None
        self.done = 0
        self.counted = False  # the current status's count was printed (off a terminal)
        self.closed = False

    def __call__(self, event: Event) -> None:
        if self.quiet or self.closed:
            return
        if event.status != self.status:
            self._start(event)
        if event.total and self.interactive:
            self._draw(event)
        elif event.finished and not self.counted:
            amount = human_bytes(event.total) if event.in_bytes else f"{event.total} {event.unit}"
            click.echo(f"{event.status} ({amount})", file=self.stream)
            self.counted = True

    def _start(self, event: Event) -> None:
        """A new status: the previous bar ends; a plain status is printed at once."""
        self._finish()
        self.status, self.counted = event.status, False
        if not event.total:
            click.echo(event.status, file=self.stream)

    def _draw(self, event: Event) -> None:
        bar = self.bar  # a local: another thread may close the printer meanwhile
        if bar is None:
            bar = self.bar = click.progressbar(
                length=event.total, label=event.status, file=self.stream, show_percent=True, show_eta=True
            )
            bar.render_progress()
            self.done = 0
        bar.update(event.completed - self.done)
        self.done = event.completed
        if self.closed:  # closed by another thread while this drew: undo the hiding
            self.stream.write(SHOW_CURSOR)
            self.stream.flush()

    def _finish(self) -> None:
        bar, self.bar = self.bar, None
        if bar is not None:
            bar.render_finish()  # ends the bar's line and shows the cursor

    def close(self) -> None:
        """End the bar and show the cursor; later events are ignored."""
        self.closed = True
        self._finish()

    def __enter__(self) -> ProgressPrinter:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


def progress_printer(*, quiet: bool = False) -> ProgressPrinter:
    """A printer that closes with the current command's context (before the group
    reports any error the command raised)."""
    return click.get_current_context().with_resource(ProgressPrinter(quiet=quiet))
