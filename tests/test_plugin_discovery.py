"""Which plugins load: installed ones found as ``importlib.metadata.entry_points(group=...)``
finds them, reading only the distributions that declare the group (the rest are many, and
every check would parse them all); and the built-ins of the stages a command runs.

Distributions are written as ``.dist-info`` directories on a path of their own, as an
installer leaves them.
"""

from __future__ import annotations

import sys
from importlib.metadata import entry_points
from pathlib import Path

import pytest

from hatch_stage.errors import PluginError
from hatch_stage.pipeline import PREPARE_HOOKS
from hatch_stage.plugins import (
    BUILTIN,
    BUILTIN_HOOKS,
    installed_plugins,
    outside_plugin_names,
    plugin_manager,
)


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


def test_each_builtin_implements_only_the_hooks_it_is_listed_for() -> None:
    """A command that loads the built-ins of some hooks only must miss none of theirs."""
    manager = plugin_manager()
    for name in BUILTIN:
        plugin = manager.get_plugin(name)
        assert plugin is not None, name
        implemented = {caller.name for caller in manager.get_hookcallers(plugin) or ()}
        assert implemented and implemented <= set(BUILTIN_HOOKS[name]), name


def test_a_check_loads_the_builtins_of_its_stages_only() -> None:
    manager = plugin_manager(hooks=PREPARE_HOOKS)
    loaded = {name for name, _plugin in manager.list_name_plugin()}
    staged = {name for name, hooks in BUILTIN_HOOKS.items() if set(hooks) & set(PREPARE_HOOKS)}
    assert loaded == staged
    assert {"python-pack", "detect-secrets", "blocked-files", "python-score"} <= loaded
    assert not loaded & {"python-auth", "pep694-upload", "pep740-sign", "pth-file"}
    with pytest.raises(PluginError, match="unknown plugin"):  # names are still all known
        plugin_manager(disable=["detect-secret"], hooks=PREPARE_HOOKS)
    # disabling a built-in the check would not load anyway is no mistake
    assert plugin_manager(disable=["python-auth"], hooks=PREPARE_HOOKS).get_plugin(
        "python-auth") is None
