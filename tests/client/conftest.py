"""Fixtures of the client tests: one real ``hatch-stage serve`` (SQLite) per test worker, the
real CLI in an isolated home, a renamed copy of the sample project, and a virtual env to pip
install into. The registry's own tests cover PostgreSQL; the client speaks the same HTTP."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from clientkit import Cli, Sample
from stagekit import Server


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    """The registry every client test talks to; tests use project names of their own."""
    server = Server(tmp_path_factory.mktemp("client-registry") / "data", None).start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture
def cli(tmp_path: Path, registry: Server) -> Iterator[Cli]:
    """The real command line in a home of its own; afterwards, no watched secret may appear
    in anything it printed or in the registry's log."""
    runner = Cli(tmp_path / "home", registry)
    yield runner
    runner.assert_nothing_leaked()


@pytest.fixture
def sample(tmp_path: Path) -> Sample:
    """The sample project as ``client-<pid>-<n>`` 1.0.0, unknown to the registry."""
    return Sample.create(tmp_path)


@pytest.fixture(scope="session")
def venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtual env with pip, to install released packages into."""
    path = tmp_path_factory.mktemp("venv") / "env"
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True, timeout=180)
    return path
