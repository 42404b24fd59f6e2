"""Artifacts are untrusted input: every hostile archive is refused with a clear ArchiveError."""

from __future__ import annotations

import io
import json
import random
import re
import subprocess
import tarfile
import time
import zipfile
from pathlib import Path

import pytest
from clitools import HATCH_STAGE

from hatch_stage.archive import iter_members
from hatch_stage.config import ScanLimits
from hatch_stage.errors import ArchiveError
from hatch_stage.models import Artifact


def make_tar(path: Path, members: list[tuple[tarfile.TarInfo, bytes | None]]) -> Artifact:
    with tarfile.open(path, "w:gz") as archive:
        for info, data in members:
            if data is not None:
                info.size = len(data)
            archive.addfile(info, io.BytesIO(data) if data is not None else None)
    return Artifact(path, "sdist")


def regular(name: str, data: bytes) -> tuple[tarfile.TarInfo, bytes]:
    return tarfile.TarInfo(name), data


def make_zip(path: Path, members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Artifact:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return Artifact(path, "wheel")


def read_all(artifact: Artifact, limits: ScanLimits | None = None) -> dict[str, bytes]:
    return {m.name: m.data for m in iter_members(artifact, limits or ScanLimits())}


def test_a_well_formed_sdist_and_wheel_are_read_in_memory(tmp_path: Path) -> None:
    sdist = make_tar(tmp_path / "ok-1.0.tar.gz", [regular("ok-1.0/ok.py", b"x = 1\n")])
    wheel = make_zip(tmp_path / "ok-1.0-py3-none-any.whl", [("ok.py", b"x = 1\n")])
    assert read_all(sdist) == {"ok-1.0/ok.py": b"x = 1\n"}
    assert read_all(wheel) == {"ok.py": b"x = 1\n"}


@pytest.mark.parametrize(
    "name", ["../escape.py", "pkg/../../escape.py", "/etc/passwd", "C:evil.py"]
)
def test_path_traversal_is_refused(tmp_path: Path, name: str) -> None:
    for artifact in (
        make_tar(tmp_path / "bad-1.0.tar.gz", [regular(name, b"x")]),
        make_zip(tmp_path / "bad-1.0-py3-none-any.whl", [(name, b"x")]),
    ):
        with pytest.raises(ArchiveError, match="unsafe path") as refused:
            read_all(artifact)
        assert artifact.filename in str(refused.value) and repr(name) in str(refused.value)


def test_device_files_are_refused(tmp_path: Path) -> None:
    device = tarfile.TarInfo("pkg/null")
    device.type = tarfile.CHRTYPE
    artifact = make_tar(tmp_path / "dev-1.0.tar.gz", [(device, None)])
    with pytest.raises(ArchiveError, match="'pkg/null' is not a regular file"):
        read_all(artifact)


def test_oversize_member_is_refused(tmp_path: Path) -> None:
    limits = ScanLimits(max_member_bytes=1000)
    big = b"y" * 1001
    for artifact in (
        make_tar(tmp_path / "big-1.0.tar.gz", [regular("big.txt", big)]),
        make_zip(tmp_path / "big-1.0-py3-none-any.whl", [("big.txt", big)]),
    ):
        refusal = r"'big\.txt' is 1001 bytes, over the 1000-byte limit"
        with pytest.raises(ArchiveError, match=refusal):
            read_all(artifact, limits)


def test_compression_ratio_bomb_is_refused(tmp_path: Path) -> None:
    # 8 MiB of zeros deflates to a few KiB: far past the default 200:1
    zeros = b"\0" * (8 << 20)
    for artifact in (
        make_zip(tmp_path / "bomb-1.0-py3-none-any.whl", [("zeros.bin", zeros)]),
        make_tar(tmp_path / "bomb-1.0.tar.gz", [regular("zeros.bin", zeros)]),
    ):
        assert artifact.size < 64 << 10
        refusal = r"compression ratio over 200:1 at member 'zeros\.bin'"
        with pytest.raises(ArchiveError, match=refusal):
            read_all(artifact)


def test_too_large_total_is_refused(tmp_path: Path) -> None:
    limits = ScanLimits(max_total_bytes=5000)
    members = [(f"part{n}.txt", bytes([65 + n]) * 2000) for n in range(3)]
    for artifact in (
        make_tar(tmp_path / "many-1.0.tar.gz", [regular(n, d) for n, d in members]),
        make_zip(tmp_path / "many-1.0-py3-none-any.whl", list(members)),
    ):
        with pytest.raises(ArchiveError, match="members add up to more than 5000 bytes"):
            read_all(artifact, limits)


def test_too_many_members_are_refused(tmp_path: Path) -> None:
    artifact = make_zip(tmp_path / "swarm-1.0-py3-none-any.whl", [(f"m{n}", b"") for n in range(5)])
    with pytest.raises(ArchiveError, match="more than 3 members"):
        read_all(artifact, ScanLimits(max_members=3))


def test_unreadable_archive_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "broken-1.0-py3-none-any.whl"
    path.write_bytes(b"PK\x03\x04 definitely not a zip")
    refusal = r"broken-1\.0-py3-none-any\.whl: not a readable archive"
    with pytest.raises(ArchiveError, match=refusal):
        read_all(Artifact(path, "wheel"))


def read_text(artifact: Artifact, limits: ScanLimits | None = None) -> dict[str, bytes | None]:
    """Members as scanners see them: None for one left unread as binary."""
    return {
        m.name: None if m.binary else m.data
        for m in iter_members(artifact, limits or ScanLimits(), skip_binary=True)
    }


def test_scanners_skip_binary_members_of_any_size_unread(tmp_path: Path) -> None:
    limits = ScanLimits(max_member_bytes=1000)
    blob = bytes(range(256)) * 40  # 10 KiB, not UTF-8, ten times the per-member limit
    members = [("pkg/model.bin", blob), ("pkg/a.py", b"x = 1\n")]
    for artifact in (
        make_tar(tmp_path / "blob-1.0.tar.gz", [regular(n, d) for n, d in members]),
        make_zip(tmp_path / "blob-1.0-py3-none-any.whl", list(members)),
    ):
        assert read_text(artifact, limits) == {"pkg/model.bin": None, "pkg/a.py": b"x = 1\n"}
        # readers that need every byte still get the limit
        with pytest.raises(ArchiveError, match=r"'pkg/model\.bin' is 10240 bytes, over the 1000"):
            read_all(artifact, limits)


def test_scanners_still_refuse_text_over_the_member_limit(tmp_path: Path) -> None:
    limits = ScanLimits(max_member_bytes=1000)
    for artifact in (
        make_tar(tmp_path / "big-1.0.tar.gz", [regular("big.txt", b"y" * 5000)]),
        make_zip(tmp_path / "big-1.0-py3-none-any.whl", [("big.txt", b"y" * 5000)]),
    ):
        with pytest.raises(ArchiveError, match=r"'big\.txt' is over the 1000-byte limit"):
            read_text(artifact, limits)


def test_text_or_binary_is_judged_on_the_whole_member(tmp_path: Path) -> None:
    from hatch_stage.models import READ_CHUNK

    # a three-byte character split across the chunk boundary is still text; a bad byte
    # after the first chunk still makes the member binary; so does a cut-off last character
    split = b"a" * (READ_CHUNK - 1) + "\u20ac".encode() + b"\n"
    late = b"a" * (READ_CHUNK + 10) + b"\xff"
    cut = b"price: " + "\u20ac".encode()[:2]
    # stored: deflated, a MiB of "a" would be refused as a bomb
    members = [(zipfile.ZipInfo(n), d) for n, d in (("split.txt", split), ("late.txt", late),
                                                    ("cut.txt", cut))]
    wheel = make_zip(tmp_path / "edge-1.0-py3-none-any.whl", list(members))
    assert read_text(wheel) == {"split.txt": split, "late.txt": None, "cut.txt": None}


def test_a_wheel_shipping_a_big_binary_is_scanned_in_flat_memory(tmp_path: Path) -> None:
    """A wheel with an 80 MiB model file (over the 64 MiB member limit) is not refused: its
    text is scanned (a planted key is found) and the client never holds the model."""
    size = 80 << 20
    key = "AKIA" + "".join(random.choices("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567", k=16))
    wheel = tmp_path / "modelpkg-1.0-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("modelpkg/settings.py", f'REGION = "eu"\nACCESS = "{key}"\n')
        with archive.open("modelpkg/model.bin", "w") as stream:
            for _ in range(size >> 20):
                stream.write(random.randbytes(1 << 20))
        archive.writestr("modelpkg-1.0.dist-info/METADATA",
                         "Metadata-Version: 2.1\nName: modelpkg\nVersion: 1.0\n")
    out, err = tmp_path / "out", tmp_path / "err"
    with out.open("wb") as stdout, err.open("wb") as stderr:
        process = subprocess.Popen([HATCH_STAGE, "check", "--json", str(wheel)], cwd=tmp_path,
                                   stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr)
        # the child's own high-water mark; ru_maxrss would include this (large) process's
        peak_kib = 0
        status = Path(f"/proc/{process.pid}/status")
        while process.poll() is None:
            found = re.search(r"VmHWM:\s+(\d+)", status.read_text() if status.exists() else "")
            peak_kib = max(peak_kib, int(found[1]) if found else 0)
            time.sleep(0.005)
    printed = out.read_text() + err.read_text()
    assert process.returncode == 1, printed
    report = json.loads(out.read_text())
    assert report["error_code"] == "secrets_found"
    assert [(f["member"], f["line"]) for f in report["findings"]] == [("modelpkg/settings.py", 2)]
    assert key not in printed
    assert 0 < peak_kib * 1024 < size
