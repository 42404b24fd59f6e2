"""``hatch_stage.inspection.check_distribution``: what makes a file a well-formed wheel or sdist
of a release (the registry's check on every file it stages), on real hatchling builds and on
hand-made broken ones."""

from __future__ import annotations

import base64
import hashlib
import io
import tarfile
import zipfile
from pathlib import Path

import pytest
from stagekit import build_release, sdist_bytes, wheel_bytes

from hatch_stage.config import ScanLimits
from hatch_stage.inspection import check_distribution
from hatch_stage.models import Artifact

NAME, VERSION = "demo-pkg", "1.0"
WHEEL = "demo_pkg-1.0-py3-none-any.whl"
SDIST = "demo_pkg-1.0.tar.gz"
DIST_INFO = "demo_pkg-1.0.dist-info"


def _check(tmp_path: Path, filename: str, data: bytes, **limits: int) -> list[str]:
    path = tmp_path / filename
    path.write_bytes(data)
    return check_distribution(Artifact.from_path(path), NAME, VERSION, ScanLimits(**limits))


def _record_line(name: str, data: bytes) -> str:
    digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
    return f"{name},sha256={digest},{len(data)}"


def _wheel(members: dict[str, bytes], record: list[str] | None = None,
           links: tuple[str, ...] = ()) -> bytes:
    """A zip of ``members`` plus a RECORD listing them (or ``record`` as given)."""
    lines = record if record is not None else [_record_line(n, d) for n, d in members.items()]
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        for name, data in members.items():
            archive.writestr(name, data)
        for name in links:
            info = zipfile.ZipInfo(name)
            info.external_attr = (0o120777 << 16)
            archive.writestr(info, "/etc/passwd")
        archive.writestr(f"{DIST_INFO}/RECORD", "\n".join([*lines, f"{DIST_INFO}/RECORD,,"]))
    return out.getvalue()


def _good_members() -> dict[str, bytes]:
    return {
        "demo_pkg/__init__.py": b"x = 1\n",
        f"{DIST_INFO}/METADATA": b"Metadata-Version: 2.1\nName: Demo_Pkg\nVersion: 1.0.0\n",
        f"{DIST_INFO}/WHEEL": b"Wheel-Version: 1.0\nTag: py3-none-any\n",
    }


def test_real_hatchling_builds_are_well_formed(tmp_path: Path) -> None:
    for artifact in build_release(tmp_path, NAME, VERSION):
        assert check_distribution(artifact, NAME, VERSION) == [], artifact.filename
        # ... and of that release only
        assert check_distribution(artifact, "other-pkg", VERSION)
        assert check_distribution(artifact, NAME, "1.1")


def test_names_and_versions_compare_normalized(tmp_path: Path) -> None:
    # METADATA says Demo_Pkg 1.0.0: the same project and version as demo-pkg 1.0
    assert _check(tmp_path, WHEEL, _wheel(_good_members())) == []
    assert _check(tmp_path, SDIST, sdist_bytes("Demo.Pkg", "1.0.0", top="demo_pkg-1.0")) == []


@pytest.mark.parametrize(("change", "reason"), [
    (lambda m: m.pop(f"{DIST_INFO}/WHEEL"), "has no WHEEL"),
    (lambda m: m.update({"other-1.0.dist-info/METADATA": b"Name: other\n"}),
     "has exactly one .dist-info directory"),
    (lambda m: m.update({f"{DIST_INFO}/WHEEL": b"Wheel-Version: 1.0\n"}), "declares no Tag"),
    (lambda m: m.update({f"{DIST_INFO}/METADATA": b"Metadata-Version: 2.1\nName: demo-pkg\n"}),
     "has no Version"),
])
def test_broken_wheels_name_the_problem(tmp_path: Path, change, reason: str) -> None:
    members = _good_members()
    change(members)
    assert any(reason in problem for problem in _check(tmp_path, WHEEL, _wheel(members)))


def test_record_must_cover_every_file_with_a_strong_hash(tmp_path: Path) -> None:
    members = _good_members()
    unlisted = _wheel({**members, "demo_pkg/extra.py": b"import os\n"},
                      record=[_record_line(n, d) for n, d in members.items()])
    assert any("does not list demo_pkg/extra.py" in p for p in _check(tmp_path, WHEEL, unlisted))
    phantom = _wheel(members, record=[*(_record_line(n, d) for n, d in members.items()),
                                      _record_line("demo_pkg/gone.py", b"")])
    assert any("lists demo_pkg/gone.py, not in the wheel" in p
               for p in _check(tmp_path, WHEEL, phantom))
    weak = [line if not line.startswith("demo_pkg/") else
            f"demo_pkg/__init__.py,md5={hashlib.md5(b'x = 1').hexdigest()},6"
            for line in (_record_line(n, d) for n, d in members.items())]
    assert any("no sha256 (or stronger) hash for demo_pkg/__init__.py" in p
               for p in _check(tmp_path, WHEEL, _wheel(members, record=weak)))


def test_unsafe_wheels_are_refused(tmp_path: Path) -> None:
    members = _good_members()
    linked = _wheel(members, links=("demo_pkg/link",))
    assert any("symbolic link" in p for p in _check(tmp_path, WHEEL, linked))
    escaping = _wheel({**members, "../evil.py": b"x"})
    assert any("unsafe path" in p for p in _check(tmp_path, WHEEL, escaping))
    bomb = _wheel({**members, "demo_pkg/zeros.bin": b"\0" * (8 << 20)})
    assert any("decompression bomb" in p or "add up to more" in p
               for p in _check(tmp_path, WHEEL, bomb, max_total_bytes=4 << 20))


def _tar(members: dict[str, bytes], links: tuple[str, ...] = (), target: str = "/etc/passwd",
         ) -> bytes:
    out = io.BytesIO()
    with tarfile.open(fileobj=out, mode="w:gz") as archive:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
        for name in links:
            info = tarfile.TarInfo(name)
            info.type, info.linkname = tarfile.SYMTYPE, target
            archive.addfile(info)
    return out.getvalue()


def test_broken_sdists_name_the_problem(tmp_path: Path) -> None:
    pkg_info = b"Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.0\n"
    assert any("PKG-INFO is missing" in p for p in _check(
        tmp_path, SDIST, _tar({"demo_pkg-1.0/setup.py": b""})))
    assert any("is not demo-pkg-1.0" in p for p in _check(
        tmp_path, SDIST, _tar({"demo_pkg-2.0/PKG-INFO": pkg_info})))
    assert any("is a link to '/etc/passwd'" in p for p in _check(
        tmp_path, SDIST, _tar({"demo_pkg-1.0/PKG-INFO": pkg_info}, links=("demo_pkg-1.0/x",))))
    assert any("leads out of the archive" in p for p in _check(tmp_path, SDIST, _tar(
        {"demo_pkg-1.0/PKG-INFO": pkg_info}, links=("demo_pkg-1.0/x",), target="../../x")))
    assert any("unsafe path" in p for p in _check(
        tmp_path, SDIST, _tar({"demo_pkg-1.0/PKG-INFO": pkg_info, "/etc/cron.d/x": b""})))
    assert any("not a readable gzip-compressed tar archive" in p for p in _check(
        tmp_path, SDIST, wheel_bytes(NAME, VERSION)))
    assert _check(tmp_path, SDIST, _tar({"demo_pkg-1.0/PKG-INFO": pkg_info})) == []


def test_an_sdist_with_in_tree_links_is_well_formed(tmp_path: Path) -> None:
    """hatchling keeps in-tree links (a README pointing at docs/index.md): the registry accepts
    what the client's reader accepts, a link that ends on a member of the same archive."""
    pkg_info = b"Metadata-Version: 2.1\nName: demo-pkg\nVersion: 1.0\n"
    linked = _tar({"demo_pkg-1.0/PKG-INFO": pkg_info, "demo_pkg-1.0/docs/index.md": b"# demo"},
                  links=("demo_pkg-1.0/README.md",), target="docs/index.md")
    assert _check(tmp_path, SDIST, linked) == []
