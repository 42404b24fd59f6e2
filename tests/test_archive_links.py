"""Links inside artifacts: read as the member they lead to when that member is in the same
archive; refused when they lead anywhere else (absolute, outside, through a chain, a loop)."""

from __future__ import annotations

import random
import stat
import string
import tarfile
import zipfile
from pathlib import Path

import pytest
from clitools import run_cli
from test_archive import make_tar, make_zip, read_all, read_text, regular

from hatch_stage.archive import iter_members
from hatch_stage.config import ScanLimits
from hatch_stage.errors import ArchiveError
from hatch_stage.models import Artifact

INDEX = b"# pkg\n\nThe documentation's first page, shipped as the README too.\n"
CHANGES = b"# Changes\n\n## 1.0\n\n- first release\n"


def symlink(name: str, target: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.SYMTYPE, target
    return info, None


def hardlink(name: str, target: str) -> tuple[tarfile.TarInfo, None]:
    info = tarfile.TarInfo(name)
    info.type, info.linkname = tarfile.LNKTYPE, target
    return info, None


def zip_link(name: str, target: str) -> tuple[zipfile.ZipInfo, bytes]:
    info = zipfile.ZipInfo(name)
    info.create_system = 3  # unix, so the mode bits mean something
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info, target.encode()


def links_of(artifact: Artifact) -> dict[str, str | None]:
    return {m.name: m.link for m in iter_members(artifact, ScanLimits())}


def test_links_inside_an_sdist_are_read_as_the_member_they_lead_to(tmp_path: Path) -> None:
    sdist = make_tar(tmp_path / "pkg-1.0.tar.gz", [
        regular("pkg-1.0/docs/index.md", INDEX),
        regular("pkg-1.0/CHANGELOG.md", CHANGES),
        symlink("pkg-1.0/README.md", "docs/index.md"),
        symlink("pkg-1.0/docs/changelog.md", "../CHANGELOG.md"),
        # a chain, a path through a link to a directory, and a hard link
        symlink("pkg-1.0/first", "second"),
        symlink("pkg-1.0/second", "./docs//index.md"),
        symlink("pkg-1.0/manual", "docs"),
        symlink("pkg-1.0/via-dir.md", "manual/../CHANGELOG.md"),
        hardlink("pkg-1.0/copy.md", "pkg-1.0/docs/index.md"),
    ])
    read = read_all(sdist)
    assert read["pkg-1.0/README.md"] == read["pkg-1.0/first"] == read["pkg-1.0/copy.md"] == INDEX
    assert read["pkg-1.0/docs/changelog.md"] == read["pkg-1.0/via-dir.md"] == CHANGES
    # the link to a directory has no content of its own; the rest say where they lead
    assert links_of(sdist) == {
        "pkg-1.0/docs/index.md": None,
        "pkg-1.0/CHANGELOG.md": None,
        "pkg-1.0/README.md": "pkg-1.0/docs/index.md",
        "pkg-1.0/docs/changelog.md": "pkg-1.0/CHANGELOG.md",
        "pkg-1.0/first": "pkg-1.0/docs/index.md",
        "pkg-1.0/second": "pkg-1.0/docs/index.md",
        "pkg-1.0/via-dir.md": "pkg-1.0/CHANGELOG.md",
        "pkg-1.0/copy.md": "pkg-1.0/docs/index.md",
    }


def test_links_inside_a_wheel_are_read_as_the_member_they_lead_to(tmp_path: Path) -> None:
    wheel = make_zip(tmp_path / "pkg-1.0-py3-none-any.whl", [
        ("pkg/data/real.txt", INDEX),
        zip_link("pkg/alias.txt", "data/real.txt"),
        zip_link("pkg/data/again.txt", "../alias.txt"),
    ])
    assert read_all(wheel) == {n: INDEX for n in
                               ("pkg/data/real.txt", "pkg/alias.txt", "pkg/data/again.txt")}
    assert links_of(wheel)["pkg/data/again.txt"] == "pkg/data/real.txt"


def test_a_link_to_binary_data_stays_unread_for_scanners(tmp_path: Path) -> None:
    blob = bytes(range(256)) * 8
    sdist = make_tar(tmp_path / "pkg-1.0.tar.gz", [
        regular("pkg-1.0/model.bin", blob), symlink("pkg-1.0/latest.bin", "model.bin"),
    ])
    assert read_text(sdist) == {"pkg-1.0/model.bin": None, "pkg-1.0/latest.bin": None}


ESCAPES = [
    ("/etc/passwd", "an absolute path outside the archive"),
    ("../../x", "which leads out of the archive"),
    ("../../../../../../etc/passwd", "which leads out of the archive"),
    ("C:/Windows/win.ini", "an absolute path outside the archive"),
    ("..\\..\\x", "an absolute path outside the archive"),
]


@pytest.mark.parametrize(("target", "why"), ESCAPES)
def test_links_leading_outside_are_refused(tmp_path: Path, target: str, why: str) -> None:
    for artifact in (
        make_tar(tmp_path / "bad-1.0.tar.gz", [regular("bad-1.0/a.py", b"x"),
                                               symlink("bad-1.0/link", target)]),
        make_tar(tmp_path / "hard-1.0.tar.gz", [regular("bad-1.0/a.py", b"x"),
                                                hardlink("bad-1.0/link", "bad-1.0/" + target
                                                         if target.startswith("..") else target)]),
        make_zip(tmp_path / "bad-1.0-py3-none-any.whl", [("bad/a.py", b"x"),
                                                          zip_link("bad-1.0/link", target)]),
    ):
        with pytest.raises(ArchiveError) as refused:
            read_all(artifact)
        message = str(refused.value)
        assert message.startswith(f"{artifact.filename}: member 'bad-1.0/link' is a link to ")
        assert why in message and message.endswith("; refused")


def test_a_chain_that_escapes_is_refused_even_when_it_comes_back(tmp_path: Path) -> None:
    chains = [
        # each link alone stays inside; followed, the walk leaves the archive
        [symlink("pkg-1.0/up", ".."), symlink("pkg-1.0/out", "up/../secret")],
        [symlink("pkg-1.0/one", "two"), symlink("pkg-1.0/two", "../../etc/passwd")],
        # leaving and coming back in is still leaving: nothing outside may be looked at
        [regular("pkg-1.0/x", b"x"), symlink("pkg-1.0/back", "../../pkg-1.0/x")],
    ]
    for number, members in enumerate(chains):
        artifact = make_tar(tmp_path / f"chain{number}-1.0.tar.gz", members)
        with pytest.raises(ArchiveError, match="leads out of the archive; refused"):
            read_all(artifact)


def test_a_loop_of_links_is_refused(tmp_path: Path) -> None:
    artifact = make_tar(tmp_path / "loop-1.0.tar.gz", [
        symlink("pkg-1.0/a", "b"), symlink("pkg-1.0/b", "a"),
    ])
    with pytest.raises(ArchiveError, match=r"through more than 40 links \(a loop\?\); refused"):
        read_all(artifact)


def test_links_count_against_the_limits(tmp_path: Path) -> None:
    data = b"y" * 2000
    artifact = make_tar(tmp_path / "many-1.0.tar.gz", [
        regular("pkg-1.0/data.txt", data),
        *(symlink(f"pkg-1.0/copy{n}.txt", "data.txt") for n in range(3)),
    ])
    with pytest.raises(ArchiveError, match="members add up to more than 5000 bytes"):
        read_all(artifact, ScanLimits(max_total_bytes=5000))
    with pytest.raises(ArchiveError, match="more than 3 members"):
        read_all(artifact, ScanLimits(max_members=3))


README = """\
# linked-pkg

A package whose README and changelog are links into docs/, as hatchling keeps them in sdists.
It exists to show that the check reads what the links lead to.

## Usage

    import linked_pkg
"""


def test_an_sdist_with_linked_readme_and_changelog_is_checked(tmp_path: Path) -> None:
    """A real hatchling build keeps the links in the sdist; the check reads their targets: the
    changelog counts, and a key planted in the README's target is found (once, where it is)."""
    root = tmp_path / "linked"
    (root / "docs").mkdir(parents=True)
    (root / "linked_pkg").mkdir()
    key = "AKIA" + "".join(random.choices(string.ascii_uppercase + string.digits, k=16))
    (root / "docs" / "index.md").write_text(README + f"\n    aws_key = '{key}'\n")
    (root / "docs" / "changes.md").write_text(CHANGES.decode())
    (root / "README.md").symlink_to("docs/index.md")
    (root / "CHANGELOG.md").symlink_to("docs/changes.md")
    (root / "linked_pkg" / "__init__.py").write_text("")
    (root / "pyproject.toml").write_text(
        '[build-system]\nrequires = ["hatchling"]\nbuild-backend = "hatchling.build"\n\n'
        '[project]\nname = "linked-pkg"\nversion = "1.0"\nreadme = "README.md"\n'
    )
    run = run_cli(["check", "--json", "--out", str(tmp_path / "out")], cwd=root)
    report = run.json()
    assert run.returncode == 1 and report["error_code"] == "secrets_found", run.stderr
    sdist = next(tmp_path.joinpath("out").glob("*.tar.gz"))
    with tarfile.open(sdist) as archive:
        kinds = {info.name: info.issym() for info in archive}
    assert kinds["linked_pkg-1.0/README.md"] and kinds["linked_pkg-1.0/CHANGELOG.md"]
    found = [(f["artifact"], f["member"]) for f in report["findings"]]
    assert (sdist.name, "linked_pkg-1.0/docs/index.md") in found
    assert not any(member.endswith("/README.md") for _, member in found), "reported once"
    assert key not in run.stdout + run.stderr
    notes = " ".join(note["message"] for note in report["notes"])
    assert "CHANGELOG.md -> docs/changes.md" in notes and "README.md -> docs/index.md" in notes
    checks = {check["name"]: check for check in report["quality"]["checks"]}
    assert checks["changelog"]["passed"]
