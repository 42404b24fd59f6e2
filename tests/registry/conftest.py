"""Fixtures of the registry tests: one real registry server per storage backend (SQLite, and
PostgreSQL started here from Debian's binaries), shared by the whole session."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from stagekit import POSTGRES_BINDIR, Postgres, Server, build_release, in_ci, postgres_bindir

from hatch_stage.models import Artifact

BACKENDS = ("sqlite", "postgresql")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # one xdist worker per backend keeps each backend's server shared by its tests
    for item in items:
        if "tests/registry/" in item.nodeid:
            group = "registry-postgresql" if "postgresql" in item.nodeid else "registry-sqlite"
            item.add_marker(pytest.mark.xdist_group(group))
            item.add_marker(pytest.mark.slow)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    if postgres_bindir() is None:
        missing = ("PostgreSQL server binaries are not installed (Debian package 'postgresql': "
                   f"/usr/lib/postgresql/*/bin, or set {POSTGRES_BINDIR} to their directory)")
        if in_ci():  # a skip would let CI pass without the shared-storage deployment tested
            pytest.fail(f"{missing}; under CI=true the PostgreSQL tests must run", pytrace=False)
        pytest.skip(missing)
    server = Postgres.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def database_factory(backend: str, request: pytest.FixtureRequest) -> object:
    """Makes a fresh database URL for the backend (None: SQLite in the data directory)."""
    if backend == "sqlite":
        return lambda: None
    postgres: Postgres = request.getfixturevalue("postgres")
    return postgres.new_database


@pytest.fixture(scope="session")
def server(database_factory: object, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[Server]:
    """The shared registry of the backend; tests use project names of their own."""
    assert callable(database_factory)
    running = Server(tmp_path_factory.mktemp("registry") / "data", database_factory()).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture(scope="session")
def release_factory(tmp_path_factory: pytest.TempPathFactory) -> object:
    """Builds (once per name and version) the sdist and wheel of a tiny project."""
    built: dict[tuple[str, str, str], list[Artifact]] = {}
    workdir = tmp_path_factory.mktemp("dists")

    def make(name: str, version: str = "1.0.0", marker: str = "") -> list[Artifact]:
        if (name, version, marker) not in built:
            built[(name, version, marker)] = build_release(workdir, name, version, marker)
        return built[(name, version, marker)]

    return make


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    return tmp_path
