"""The release comparison and the built-in review rules, on real hatchling builds of fixture
release pairs (no registry here; tests/client/test_review.py runs the command line)."""

from __future__ import annotations

import base64
import io
import json
import os
import tarfile
import zipfile
from pathlib import Path

import pytest
from releasepairs import PAIR_FLAGS, write_release
from rich.console import Console

from hatch_stage.commands.diffview import render_diff
from hatch_stage.config import Config
from hatch_stage.diff import DiffLimits, ReleaseDiff, compare_releases
from hatch_stage.diff.specifiers import compare
from hatch_stage.errors import ArchiveError
from hatch_stage.models import Artifact
from hatch_stage.plugins import plugin_manager
from hatch_stage.plugins.python_pack import build
from hatch_stage.reviewing import PluginRules


def built(tmp_path: Path, version: str, *, risky: bool, tag: str = "", **kwargs: str) -> (
    list[Artifact]
):
    root = write_release(tmp_path / f"src-{version}{tag}", "pairpkg", version, risky=risky,
                         **kwargs)
    out = tmp_path / f"dist-{version}{tag}"
    out.mkdir()
    return build(root, out)


def diff_of(new: list[Artifact], old: list[Artifact], *, disable: tuple[str, ...] = (),
            text_diffs: DiffLimits | None = None) -> ReleaseDiff:
    config = Config(disable=disable)
    rules = PluginRules(plugin_manager(disable=disable), config)
    return compare_releases(new, old, target="python", name="pairpkg",
                            version=new[0].filename.split("-")[1].removesuffix(".tar.gz"),
                            against="1.0" if old else None, rules=rules, text_diffs=text_diffs)


@pytest.fixture(scope="module")
def pair(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Artifact], list[Artifact]]:
    directory = tmp_path_factory.mktemp("pair")
    return built(directory, "1.0", risky=False), built(directory, "1.1", risky=True)


def test_each_change_of_the_pair_is_a_named_flag(pair: tuple[list[Artifact], list[Artifact]],
                                                 ) -> None:
    old, new = pair
    diff = diff_of(new, old)
    assert {flag.rule for flag in diff.flags} == PAIR_FLAGS
    by_rule = {flag.rule: flag for flag in diff.flags}
    assert by_rule["pth-file"].member == "pairpkg_startup.pth"
    assert "every interpreter start" in by_rule["pth-file"].reason
    assert {f.member for f in diff.flags if f.rule == "native-binary"} == {
        "pairpkg/_speedups.so", "pairpkg-1.1/src/pairpkg/_speedups.so"}
    assert "ELF" in by_rule["native-binary"].detail
    assert "'pairpkg-cli'" in by_rule["console-script"].reason
    assert "packaging>=24" in by_rule["dependency-added"].reason
    assert "mirror.example.net" in by_rule["project-url-host"].reason
    assert all(flag.plugin == flag.rule for flag in diff.flags)

    dependencies = {(d.name, d.change) for d in diff.dependencies}
    assert dependencies == {("idna", "loosened"), ("packaging", "added")}
    homepage = [m for m in diff.metadata if m.field == "Project-URL: Homepage"]
    assert homepage[0].new_host == "mirror.example.net"
    assert not [m for m in diff.metadata if m.field == "Project-URL: Source"], "unchanged"
    entry = diff.entry_points[0]
    assert (entry.group, entry.name, entry.change) == ("console_scripts", "pairpkg-cli", "added")

    wheel = next(a for a in diff.artifacts if a.kind == "wheel")
    assert wheel.against == "pairpkg-1.0-py3-none-any.whl"
    changes = {file.path: file.change for file in wheel.files}
    assert changes["pairpkg_startup.pth"] == "added"
    assert changes["pairpkg/__init__.py"] == "changed"
    assert changes["pairpkg-1.1.dist-info/METADATA"] == "changed"
    speedups = next(f for f in wheel.files if f.path == "pairpkg/_speedups.so")
    assert speedups.size_delta == speedups.new_size == 64 and speedups.old_size is None

    document = json.loads(json.dumps(diff.as_json()))
    assert document["counts"]["flags"] == len(diff.flags)
    assert document["against"] == "1.0" and document["first_release"] is False


def test_disabling_a_rule_removes_its_flags(pair: tuple[list[Artifact], list[Artifact]]) -> None:
    old, new = pair
    diff = diff_of(new, old, disable=("pth-file", "dependency-added"))
    assert {flag.rule for flag in diff.flags} == PAIR_FLAGS - {"pth-file", "dependency-added"}


def test_a_first_release_lists_everything_as_added_and_still_flags(
        pair: tuple[list[Artifact], list[Artifact]]) -> None:
    _old, new = pair
    diff = diff_of(new, [])
    assert diff.first_release and diff.against is None
    for artifact in diff.artifacts:
        assert artifact.against is None and artifact.unchanged == 0
        assert {file.change for file in artifact.files} == {"added"}
    assert {"pth-file", "native-binary", "console-script", "dependency-added",
            "build-changed"} <= {flag.rule for flag in diff.flags}
    assert {d.name for d in diff.dependencies if d.change == "added"} == {"idna", "packaging"}
    assert diff.as_json()["first_release"] is True


def test_import_time_code_is_flagged_once_not_again_when_the_module_changes_otherwise(
        tmp_path: Path) -> None:
    payload = base64.b64encode(b"print('hi')").decode()
    risky_init = ("import subprocess as sp\nimport base64\nfrom urllib.request import urlopen\n"
                  "sp.Popen(['true'])\n"
                  f"exec(base64.b64decode('{payload}'))\n"
                  "urlopen('https://example.invalid/beacon')\n"
                  "def later():\n    sp.run(['not', 'at', 'import'])\n"
                  "if __name__ == '__main__':\n    sp.call(['main', 'only'])\n")
    old = built(tmp_path, "1.0", risky=False)
    first = built(tmp_path, "1.1", risky=False, extra_init=risky_init)
    found = {(f.reason.split(":")[0], f.line) for f in diff_of(first, old).flags
             if f.rule == "import-time-code" and f.artifact.endswith(".whl")}
    assert found == {("starts a process at import time", 7),
                     ("evaluates decoded data at import time", 8),
                     ("opens a network connection at import time", 9)}
    # the same calls in the next release, one more line: nothing new to flag
    again = built(tmp_path, "1.2", risky=False, extra_init=risky_init + "X = 1\n")
    assert not [f for f in diff_of(again, first).flags if f.rule == "import-time-code"]
    # the same when the earlier content comes from the text-diff cache, not a second read
    cached = diff_of(again, first, text_diffs=DiffLimits())
    assert not [f for f in cached.flags if f.rule == "import-time-code"]


def test_opaque_blobs_and_minified_code(tmp_path: Path) -> None:
    blob = base64.b64encode(os.urandom(3000)).decode()
    old = built(tmp_path, "1.0", risky=False)
    new = built(tmp_path, "1.1", risky=False,
                extra_init=f"DATA = '{blob}'\nHEX = '{os.urandom(1500).hex()}'\n"
                           f"x = [{', '.join(['1'] * 2600)}]\n")
    reasons = {f.reason for f in diff_of(new, old).flags if f.rule == "opaque-blob"}
    assert any("base64" in reason for reason in reasons)
    assert any("hex" in reason for reason in reasons)


def test_text_diffs_are_bounded(tmp_path: Path) -> None:
    old = built(tmp_path, "1.0", risky=False)
    lines = "".join(f"LINE_{n} = {n}\n" for n in range(2000))
    new = built(tmp_path, "1.1", risky=False, extra_init=lines)
    limits = DiffLimits(max_lines=50)
    diff = diff_of(new, old, text_diffs=limits)
    init = next(f for a in diff.artifacts for f in a.files if f.path == "pairpkg/__init__.py")
    assert init.diff is not None and init.diff.startswith("--- a/pairpkg/__init__.py")
    assert '-VERSION = "1.0"' in init.diff and '+VERSION = "1.1"' in init.diff
    assert len(init.diff.splitlines()) == 50 and "cut after 50 lines" in init.note
    tiny = diff_of(new, old, text_diffs=DiffLimits(max_member_bytes=100))
    init = next(f for a in tiny.artifacts for f in a.files if f.path == "pairpkg/__init__.py")
    assert init.diff is None and "too large" in init.note
    assert all(f.diff is None for a in diff_of(new, old).artifacts for f in a.files)


def test_a_wheel_member_the_sdist_does_not_hold_is_flagged(
        pair: tuple[list[Artifact], list[Artifact]], tmp_path: Path) -> None:
    old, new = pair
    wheel = next(a for a in new if a.kind == "wheel")
    tampered = tmp_path / wheel.filename
    with zipfile.ZipFile(wheel.path) as source, zipfile.ZipFile(tampered, "w") as target:
        for info in source.infolist():
            target.writestr(info, source.read(info))
        target.writestr("pairpkg/_telemetry.py", "import os\n")
    sdist = next(a for a in new if a.kind == "sdist")
    diff = diff_of([sdist, Artifact(tampered, "wheel")], old)
    flagged = [f for f in diff.flags if f.rule == "wheel-not-in-sdist"]
    assert [f.member for f in flagged] == ["pairpkg/_telemetry.py"]


def test_specifier_verdicts() -> None:
    assert compare(">=3,<4", ">=3") == "loosened"
    assert compare(">=3", ">=3,<4") == "tightened"
    assert compare("~=2.1", ">=2.1") == "loosened"
    assert compare(">=1.0", ">=1") == "same"
    assert compare("==1.2.*", ">=1.2,<1.3") == "tightened"  # 1.2a1 is no longer allowed
    assert compare(">=2", "<2") == "changed"
    assert compare(">=1,!=1.5", ">=1") == "loosened"


def test_terminal_output_escapes_what_comes_from_the_package(tmp_path: Path) -> None:
    old = built(tmp_path, "1.0", risky=False)
    hostile = "\\u001b[2J\\u001b[31m[bold]fake[/bold]"  # TOML escapes of ESC
    new = built(tmp_path, "1.1", risky=False,
                extra_pyproject=f'\n[tool.hatch.build.targets.wheel.force-include]\n'
                                f'"pyproject.toml" = "pairpkg/{hostile}.txt"\n')
    out = io.StringIO()
    render_diff(Console(file=out, width=200, color_system=None), diff_of(new, old))
    text = out.getvalue()
    assert "\x1b" not in text and "\\x1b[2J" in text and "[bold]fake[/bold]" in text


def test_an_unsafe_archive_is_refused(tmp_path: Path) -> None:
    evil = tmp_path / "pairpkg-1.1.tar.gz"
    with tarfile.open(evil, "w:gz") as archive:
        data = b"x"
        info = tarfile.TarInfo("pairpkg-1.1/../../escape.py")
        info.size = len(data)
        archive.addfile(info, io.BytesIO(data))
    with pytest.raises(ArchiveError, match="unsafe path"):
        diff_of([Artifact(evil, "sdist")], [])
