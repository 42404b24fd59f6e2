"""Upload progress: a rich bar per file on a terminal, nothing under ``--json`` or in CI logs."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

from .models import READ_CHUNK
from .output import stderr

if TYPE_CHECKING:
    from rich.progress import Progress


#: switched off by the command line under --json; on only when stderr is a terminal
enabled = True


def _bar() -> Progress:
    # imported here: only a terminal shows a bar, and rich.progress costs a MiB of memory
    from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn

    return Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TransferSpeedColumn(),
        console=stderr,
        transient=True,
    )


def transfer(path: Path, label: str, size: int) -> Iterator[bytes]:
    """The file's bytes in chunks, read from disk as they are sent (memory stays flat)."""
    show = enabled and sys.stderr.isatty()
    with path.open("rb") as stream:
        if not show:
            while chunk := stream.read(READ_CHUNK):
                yield chunk
            return
        with _bar() as bar:
            task = bar.add_task(label, total=size)
            while chunk := stream.read(READ_CHUNK):
                yield chunk
                bar.advance(task, len(chunk))
