"""Installed plugins are found as ``importlib.metadata.entry_points(group=...)`` finds them,
reading only the distributions that declare the group (the rest are many, and every check
would parse them all).

Distributions are written as ``.dist-info`` directories on a path of their own, as an
installer leaves them.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from hatch_stage.plugins import installed_plugins, outside_plugin_names


def _distribution(site: Path, name: str, version: str, entry_points_txt: str | None) -> None:
    info = site / f"{name.replace('-', '_')}-{version}.dist-info"
    info.mkdir(parents=True)
    info.joinpath("METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n\n" + "long text\n" * 50)
    if entry_points_txt is not None:
        info.joinpath("entry_points.txt").write_text(entry_points_txt)


def test_plugins_are_what_importlib_finds(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    _distribution(first, "team-scanner", "2.0",
                  "[hatch_stage]\nteam-scanner = team_scanner.plugin\n"
                  "[console_scripts]\nteam = team_scanner:main\n")
    # the same distribution again, later on the path: the first one counts, as pip's
    _distribution(second, "Team_Scanner", "1.0", "[hatch_stage]\nold-name = team_scanner.old\n")
    _distribution(second, "two-plugins", "1.0",
                  "[hatch_stage]\nrule-a = two.a\nrule-b = two.b:plugin\n")
    _distribution(second, "other-tool", "1.0", "[console_scripts]\nhatch_stage = x:y\n")
    _distribution(second, "no-entry-points", "1.0", None)
    monkeypatch.setattr(sys, "path", [str(first), str(second), *sys.path])

    expected = {point.name: point.value for point in entry_points(group="hatch_stage")}
    assert expected == {"team-scanner": "team_scanner.plugin", "rule-a": "two.a",
                        "rule-b": "two.b:plugin"}
    assert {name: point.value for name, point in installed_plugins().items()} == expected
    assert outside_plugin_names() == ["rule-a", "rule-b", "team-scanner"]
