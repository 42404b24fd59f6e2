"""Fixtures of the registry tests: one real registry server per storage backend, shared by
the whole session: SQLite with a blob directory; PostgreSQL (started here from Debian's
binaries) with a blob directory; and the service deployment, PostgreSQL with the files in an
S3 bucket (moto's server mode, a real S3 HTTP API on 127.0.0.1: AWS cannot be reached from
here)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from stagekit import (
    POSTGRES_BINDIR,
    ObjectStore,
    Postgres,
    Server,
    Storage,
    build_release,
    in_ci,
    postgres_bindir,
)

from hatch_stage.models import Artifact

#: "s3" is PostgreSQL with the files in a bucket: how a team runs several instances
BACKENDS = ("sqlite", "postgresql", "s3")
#: what the s3 backend leaves to the other two, to keep the suite's time in check: the tests
#: of what the registry decides before it touches a file (credentials, input, origins, the
#: API fuzz run) and of how promotion handles an upstream's answers; every test that stores,
#: inspects, serves, promotes or collects a file runs against the bucket too
NOT_ON_S3 = ("test_bad_input.py::", "test_cross_site.py::", "test_oidc.py::",
             "test_fuzz.py::", "test_promotion.py::test_failed_promotion",
             "test_promotion.py::test_an_upstream_that_fails",
             "test_promotion.py::test_pypiserver_refusing",
             "test_provenance_served.py::test_the_trust_root_is_a_registry_setting")


def _backend(item: pytest.Item) -> str | None:
    params = getattr(item, "callspec", None)
    return params.params.get("backend") if params is not None else None


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    skipped = [item for item in items if _backend(item) == "s3"
               and any(part in item.nodeid for part in NOT_ON_S3)]
    if skipped:
        config.hook.pytest_deselected(items=skipped)
        items[:] = [item for item in items if item not in skipped]
    # one xdist worker per backend keeps each backend's server shared by its tests
    for item in items:
        if "tests/registry/" in item.nodeid:
            backend = _backend(item) or (
                "postgresql" if "postgresql" in item.nodeid else "sqlite")
            item.add_marker(pytest.mark.xdist_group(f"registry-{backend}"))
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


@pytest.fixture(scope="session")
def object_store() -> Iterator[ObjectStore]:
    """moto's S3 server, once per test process that needs it."""
    store = ObjectStore.start()
    try:
        yield store
    finally:
        store.stop()


@pytest.fixture
def instances(postgres: Postgres, object_store: ObjectStore, tmp_path: Path,
              ) -> Iterator[tuple[Server, Server]]:
    """Two ``hatch-stage serve`` processes over one PostgreSQL database and one bucket, each
    with a data directory of its own (as on two machines): the service deployment."""
    storage = Storage(postgres.new_database(), object_store.new_bucket(), object_store)
    pair = (Server.over(tmp_path / "one", storage), Server.over(tmp_path / "two", storage))
    try:
        for server in pair:
            server.start()
        yield pair
    finally:
        for server in pair:
            server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture(scope="session")
def storage_factory(backend: str, request: pytest.FixtureRequest) -> Callable[[], Storage]:
    """Makes fresh, empty storage of the backend: a database and a blob store."""
    if backend == "sqlite":
        return Storage
    postgres: Postgres = request.getfixturevalue("postgres")
    if backend == "postgresql":
        return lambda: Storage(postgres.new_database())
    store: ObjectStore = request.getfixturevalue("object_store")
    return lambda: Storage(postgres.new_database(), store.new_bucket(), store)


@pytest.fixture(scope="session")
def server(storage_factory: Callable[[], Storage], tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[Server]:
    """The shared registry of the backend; tests use project names of their own."""
    running = Server.over(tmp_path_factory.mktemp("registry") / "data",
                          storage_factory()).start()
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
