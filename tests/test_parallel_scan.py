"""The secret scan in worker processes gives the serial scan's findings and notes, in its order.

A release of many members (secrets of many kinds, spread over members of every size, files
detect-secrets cannot parse, lock files and binaries in between) is scanned in this process
and in a pool of worker processes started after the first member; the two results must be the
same, element for element. The pool is real (forked processes); only its start threshold and
batch size are lowered so that a test-sized release spreads over many batches.
"""

from __future__ import annotations

import concurrent.futures
import io
import multiprocessing
import random
import tarfile
from pathlib import Path

import pytest
from secretkinds import TOKENS, password, private_key_block

from hatch_stage.config import ScanLimits
from hatch_stage.contents import shared_reading
from hatch_stage.inspection import find_blocked, parallel, scan_secrets, score_python
from hatch_stage.models import Artifact

NAME = "many-0.1"


def _member_text(index: int, generator: random.Random) -> str:
    lines = [f'"""Module {index}."""', "", "import os", ""]
    for line in range(generator.randint(1, 120)):
        kind = generator.random()
        if kind < 0.03:
            maker = generator.choice(sorted(TOKENS))
            lines.append(f'TOKEN_{line} = "{TOKENS[maker]()}"')
        elif kind < 0.05:
            lines.append(f'password = "{password()}"')
        else:
            lines.append(f"value_{line} = os.environ.get('V{line}', {line})")
    if index % 97 == 0:
        lines.append(private_key_block())
    return "\n".join(lines) + "\n"


def many_members(directory: Path, count: int = 600) -> Artifact:
    """An sdist of ``count`` text members plus a few that exercise the scan's other paths."""
    generator = random.Random(16)
    path = directory / f"{NAME}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:

        def add(name: str, data: bytes) -> None:
            info = tarfile.TarInfo(f"{NAME}/{name}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))

        add("PKG-INFO", b"Metadata-Version: 2.1\nName: many\nVersion: 0.1\n")
        for index in range(count):
            add(f"src/many/module_{index:04}.py", _member_text(index, generator).encode())
            if index % 150 == 0:
                add(f"conf/broken_{index}.yaml", b"when: !!timestamp not-a-date\n")
                add(f"conf/settings_{index}.ini",
                    f"[db]\npassword = {password()}\n".encode())
                add(f"data/blob_{index}.bin", bytes(generator.randrange(256) for _ in range(4096)))
                add(f"poetry_{index}.lock", f'password = "{password()}"\n'.encode())
    return Artifact(path, "sdist")


class CountedPool(concurrent.futures.ProcessPoolExecutor):
    """The real pool, counting the batches it is given."""

    batches = 0

    def submit(self, *args, **kwargs):  # type: ignore[no-untyped-def, override]
        CountedPool.batches += 1
        return super().submit(*args, **kwargs)


@pytest.fixture
def counted_pool(monkeypatch: pytest.MonkeyPatch) -> type[CountedPool]:
    CountedPool.batches = 0
    # the scan imports the pool class where it starts one
    monkeypatch.setattr(concurrent.futures, "ProcessPoolExecutor", CountedPool)
    return CountedPool


@pytest.mark.parametrize("exact", [False, True], ids=["default", "exact"])
def test_parallel_scan_matches_the_serial_scan(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted_pool: type[CountedPool],
    exact: bool,
) -> None:
    artifact = many_members(tmp_path)
    serial = scan_secrets([artifact], ScanLimits(), exact=exact, workers=1)
    assert counted_pool.batches == 0

    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)  # the pool starts after one member
    monkeypatch.setattr(parallel, "BATCH_BYTES", 8 * 1024)
    in_pool = scan_secrets([artifact], ScanLimits(), exact=exact, workers=2)

    assert counted_pool.batches > 20  # the release really went through the workers
    assert len(serial.findings) > 30 and serial.notes  # there was something to get wrong
    assert in_pool.findings == serial.findings  # the same findings, in the same order
    assert in_pool.notes == serial.notes


def test_spawned_workers_match_the_serial_scan_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, counted_pool: type[CountedPool],
) -> None:
    """Where forking is unsafe (another thread running, or not Linux) workers are spawned and
    set up their own scanner: the result must not change."""
    artifact = many_members(tmp_path, count=200)
    serial = scan_secrets([artifact], ScanLimits(), workers=1)
    monkeypatch.setattr(parallel, "_context", lambda: multiprocessing.get_context("spawn"))
    monkeypatch.setattr(parallel, "PARALLEL_FROM", 1)
    monkeypatch.setattr(parallel, "BATCH_BYTES", 16 * 1024)
    in_pool = scan_secrets([artifact], ScanLimits(), workers=2)
    assert counted_pool.batches > 5
    assert in_pool == serial


def test_a_small_release_starts_no_worker(tmp_path: Path,
                                          counted_pool: type[CountedPool]) -> None:
    artifact = many_members(tmp_path, count=20)
    found = scan_secrets([artifact], ScanLimits(), workers=2)
    assert found.findings
    assert counted_pool.batches == 0


def test_one_read_serves_every_stage(tmp_path: Path) -> None:
    """Blocked files, secrets and score read the archive once between them, and find what
    each finds on its own."""
    artifact = many_members(tmp_path, count=50)
    limits = ScanLimits()
    alone = (find_blocked([artifact], limits),
             scan_secrets([artifact], limits, workers=1), score_python([artifact], limits))
    with shared_reading() as contents:
        shared = (find_blocked([artifact], limits),
                  scan_secrets([artifact], limits, workers=1), score_python([artifact], limits))
    assert contents.reads == 1
    assert shared == alone


def test_an_artifact_too_large_to_hold_is_read_by_each_stage(tmp_path: Path) -> None:
    artifact = many_members(tmp_path, count=50)
    limits = ScanLimits()
    alone = scan_secrets([artifact], limits, workers=1)
    with shared_reading(hold_bytes=1024) as contents:
        first = scan_secrets([artifact], limits, workers=1)
        second = scan_secrets([artifact], limits, workers=1)
    assert contents.reads == 1  # the first walk gave up keeping; later ones stream as before
    assert first == second == alone
