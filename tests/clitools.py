"""Helpers for tests: where the fixtures are, and running the real ``hatch-stage`` CLI.

A plain module (not conftest.py): test packages with their own conftest.py would shadow
``from conftest import ...``."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Sequence
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


def run_cli(
    args: Sequence[str],
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
    input: str | None = None,
    timeout: float = 120,
) -> Run:
    """Run the real ``hatch-stage`` command line in a subprocess."""
    environment = {**os.environ, **(env or {})}
    completed = subprocess.run(
        [HATCH_STAGE, *args],
        cwd=cwd,
        env=environment,
        input=input if input is not None else "",
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    return Run(completed.returncode, completed.stdout, completed.stderr)
