"""What verify compares and ignores, on real hatchling wheels (tests/client/test_review.py runs
the command with its isolated build against a real registry)."""

from __future__ import annotations

import io
import re
import tarfile
import zipfile
from pathlib import Path

import pytest
from stagekit import build_release

from hatch_stage.config import ScanLimits
from hatch_stage.errors import ArchiveError
from hatch_stage.models import Artifact
from hatch_stage.verification import compare_wheels, platform_reason, unpack_sdist


def rewritten(wheel: Artifact, target: Path, change: dict[str, bytes]) -> Artifact:
    """A copy of ``wheel`` with the members matching a pattern replaced (``b""``: a newline
    appended), every timestamp changed."""
    with zipfile.ZipFile(wheel.path) as source, zipfile.ZipFile(target, "w") as copy:
        for info in source.infolist():
            data = source.read(info)
            for pattern, replacement in change.items():
                if re.fullmatch(pattern, info.filename):
                    data = replacement if replacement else data + b"\n"
            info.date_time = (2001, 1, 1, 0, 0, 0)  # timestamps never count
            copy.writestr(info, data)
    return Artifact(target, "wheel")


def test_record_generator_and_timestamps_are_ignored_content_is_not(tmp_path: Path) -> None:
    _sdist, wheel = build_release(tmp_path, "verified", "1.0")
    limits = ScanLimits()
    with zipfile.ZipFile(wheel.path) as archive:
        wheel_file = next(n for n in archive.namelist() if n.endswith(".dist-info/WHEEL"))
        original = archive.read(wheel_file)
    other_generator = re.sub(rb"Generator: .*", b"Generator: another-backend 9.9", original)
    same = rewritten(wheel, tmp_path / "same.whl",
                     {r".*\.dist-info/RECORD": b"garbage", r".*\.dist-info/WHEEL": other_generator})
    assert compare_wheels(same, wheel, limits).status == "verified"

    changed = rewritten(wheel, tmp_path / "changed.whl", {r"verified/__init__\.py": b""})
    verdict = compare_wheels(changed, wheel, limits)
    assert verdict.status == "differs"
    assert [(d.member, d.problem) for d in verdict.differences] == [
        ("verified/__init__.py", "differs")]
    retagged = rewritten(wheel, tmp_path / "tag.whl", {
        r".*\.dist-info/WHEEL": original.replace(b"py3-none-any", b"py2-none-any")})
    assert [d.member for d in compare_wheels(retagged, wheel, limits).differences] == [
        wheel_file]


def test_only_pure_python_wheels_are_rebuilt() -> None:
    assert platform_reason("pkg-1.0-py3-none-any.whl") is None
    assert platform_reason("pkg-1.0-py2.py3-none-any.whl") is None
    reason = platform_reason("pkg-1.0-cp312-cp312-win_amd64.whl")
    assert reason is not None and "platform wheel (cp312-cp312-win_amd64)" in reason
    assert "abi3" in (platform_reason("pkg-1.0-cp39-abi3-manylinux_2_17_x86_64.whl") or "")


def test_an_sdist_with_a_link_is_never_unpacked(tmp_path: Path) -> None:
    evil = tmp_path / "evil-1.0.tar.gz"
    with tarfile.open(evil, "w:gz") as archive:
        info = tarfile.TarInfo("evil-1.0/setup.py")
        info.size = 1
        archive.addfile(info, io.BytesIO(b"#"))
        link = tarfile.TarInfo("evil-1.0/hooks.py")
        link.type, link.linkname = tarfile.SYMTYPE, "/etc/passwd"
        archive.addfile(link)
    with pytest.raises(ArchiveError, match="link"):
        unpack_sdist(Artifact(evil, "sdist"), ScanLimits(), tmp_path / "out")
    assert not (tmp_path / "out" / "evil-1.0" / "hooks.py").exists()
