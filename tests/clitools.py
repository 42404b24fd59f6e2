"""Helpers for tests: where the fixtures are, and running the real ``hatch-stage`` CLI.

A plain module (not conftest.py): test packages with their own conftest.py would shadow
``from conftest import ...``."""

from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).parent / "fixtures"
PROJECTS = FIXTURES / "projects"
#: the hatch-stage console script of the environment running the tests
HATCH_STAGE = str(Path(sys.executable).with_name("hatch-stage"))


@dataclass
class Run:
    returncode: int
    stdout: str
    stderr: str

    def json(self) -> Any:
        return json.loads(self.stdout)


def environment(changes: Mapping[str, str | None] | None = None) -> dict[str, str]:
    """This process's environment with ``changes``; a None value removes the variable."""
    merged = dict(os.environ)
    for key, value in (changes or {}).items():
        if value is None:
            merged.pop(key, None)
        else:
            merged[key] = value
    return merged


def run_cli(
    args: Sequence[str],
    cwd: Path | None = None,
    env: Mapping[str, str | None] | None = None,
    input: str | None = None,
    timeout: float = 120,
    *,
    close_stdin: bool = False,
) -> Run:
    """Run the real ``hatch-stage`` command line in a subprocess.

    :param env: added to this process's environment; a None value removes the variable
    :param close_stdin: start it with standard input closed and without a controlling
        terminal (as some CI runners do), instead of an empty standard input
    """
    completed = subprocess.run(
        [HATCH_STAGE, *args],
        cwd=cwd,
        env=environment(env),
        input=None if close_stdin else (input if input is not None else ""),
        preexec_fn=(lambda: os.close(0)) if close_stdin else None,
        start_new_session=close_stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)


def read_terminal(terminal: int, deadline: float,
                  answer: Callable[[bytes], None] = lambda screen: None) -> bytes:
    """Everything the program on the pseudo-terminal ``terminal`` shows until it ends (or
    ``deadline``, a ``time.monotonic()``); ``answer`` sees the screen so far before each wait,
    to type replies to prompts."""
    screen = b""
    while time.monotonic() < deadline:
        answer(screen)
        ready, _, _ = select.select([terminal], [], [], 0.05)
        if not ready:
            continue
        try:
            chunk = os.read(terminal, 65536)
        except OSError:  # the program closed the terminal: it has ended
            break
        if not chunk:
            break
        screen += chunk
    return screen
