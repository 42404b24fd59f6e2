"""The pieces of a workspace release that need no registry: npm ranges as npm reads them, the
dependency order, choosing members, requirements no version can meet (offline), the group
records kept on this machine, and the report of a batch that stopped partway."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from workspacekit import python_workspace

from hatch_stage.errors import ConfigError, OtpRequired
from hatch_stage.npm.ranges import InvalidRange, satisfies
from hatch_stage.release_set import members, plan
from hatch_stage.release_set.order import dependency_order
from hatch_stage.release_set.published import Offline
from hatch_stage.targets import groups
from hatch_stage.targets.decisions import decide_many
from hatch_stage.targets.interface import GONE, StageClient, StagedItem


@pytest.mark.parametrize(("version", "range_", "expected"), [
    ("1.2.3", "^1.2.3", True), ("2.0.0", "^1.2.3", False), ("2.0.0-rc.1", "^1.2.3", False),
    ("1.3.0-beta", "^1.2.3", False), ("1.2.3-beta.2", "^1.2.3-beta.1", True),
    ("0.2.5", "^0.2.3", True), ("0.3.0", "^0.2.3", False), ("0.0.4", "^0.0.3", False),
    ("0.0.9", "^0.0", True), ("0.1.0", "^0.0.x", False), ("0.9.0", "^0.x", True),
    ("1.2.9", "~1.2.3", True), ("1.3.0", "~1.2.3", False), ("1.9.0", "~1", True),
    ("1.2.3", "1.2.3", True), ("1.2.4", "1.2.3", False), ("1.1.0", "v1.1.0", True),
    ("1.5.0", "1.x", True), ("2.0.0", "1.x", False), ("5.0.0", "*", True), ("5.0.0", "", True),
    ("1.3.0", ">1.2", True), ("1.2.9", ">1.2", False), ("1.3.0-beta", ">1.2", False),
    ("1.2.0", "<1.2", False), ("1.1.9", "<1.2", True), ("1.2.9", "<=1.2", True),
    ("2.3.4", "1.2.3 - 2.3.4", True), ("2.3.5", "1.2.3 - 2.3.4", False),
    ("2.9.0", "1.2.3 - 2", True), ("3.0.0", "1.2.3 - 2", False), ("1.2.0", "1.2 - 2.3.4", True),
    ("1.0.0", "<1.0.0 || >=2.0.0", False), ("2.1.0", "<1.0.0 || >=2.0.0", True),
    ("1.4.0", ">= 1.2.0 < 2.0.0", True), ("1.2.3+build.5", "1.2.3", True),
])
def test_npm_ranges_read_as_npm_reads_them(version: str, range_: str, expected: bool) -> None:
    assert satisfies(version, range_) is expected


@pytest.mark.parametrize("range_", ["latest", "file:../core", "github:o/r", "https://x/y.tgz"])
def test_what_is_no_range_is_said_so(range_: str) -> None:
    with pytest.raises(InvalidRange):
        satisfies("1.0.0", range_)


def test_dependency_order_keeps_the_given_order_and_names_a_circle() -> None:
    assert dependency_order(["app", "core", "lib", "tool"],
                            {"app": {"lib"}, "lib": {"core", "outside"}, "tool": set()}) == [
        "core", "lib", "app", "tool"]
    with pytest.raises(ConfigError, match=r"circle \(a -> b -> a\)"):
        dependency_order(["a", "b", "c"], {"a": {"b"}, "b": {"a"}, "c": {"a"}})


def test_members_are_chosen_by_name_and_private_ones_left_out(tmp_path: Path) -> None:
    made = python_workspace(tmp_path / "ws", "uv", graph={"core": [], "app": ["core"],
                                                          "tools": []},
                            extra={"tools": "[tool.uv]\npackage = false\n"})
    found = members.discover(made.dirs["app"], "python")  # from a member: the root above
    assert found.root == made.root
    core, app, tools = (made.names[role] for role in ("core", "app", "tools"))
    chosen, left_out = members.select(found, [], [core.upper().replace("-", "_")])
    assert [member.name for member in chosen] == [app]
    assert {member.name: why for member, why in left_out} == {
        core: "excluded (--exclude)", tools: "private ([tool.uv] package = false)"}
    with pytest.raises(ConfigError, match=rf"'nope' is not a member .*members: .*{core}"):
        members.select(found, ["nope"], [])
    with pytest.raises(ConfigError, match="is in no Python workspace"):
        members.discover(tmp_path, "python")


def test_offline_a_requirement_on_a_member_left_out_is_refused(tmp_path: Path) -> None:
    made = python_workspace(tmp_path / "ws")
    found = members.discover(made.root, "python")
    lib = made.names["lib"]
    chosen, left_out = members.select(found, [], [lib])
    release = plan.prepare(found, chosen, left_out, Offline(), {"target": "python"},
                           tmp_path / "work", dry_run=True, command="check")
    [(entry, code, message)] = release.problems
    assert (entry.name, code) == (made.names["app"], "unmet_requirement")
    assert f"requires {lib}==1.0.0 (Requires-Dist)" in message
    assert "not in this release (excluded (--exclude))" in message
    assert "--offline" in message


def test_npm_members_private_and_unversioned_ones_left_out(tmp_path: Path) -> None:
    root = tmp_path / "mono"
    (root / ".git").mkdir(parents=True)
    (root / "pnpm-workspace.yaml").write_text("packages:\n  - packages/*\n")
    for directory, manifest in ((root, {"name": "mono", "private": True}),
                                (root / "packages" / "core", {"name": "core", "version": "1.0.0"}),
                                (root / "packages" / "notes", {"name": "notes"})):
        directory.mkdir(parents=True, exist_ok=True)
        (directory / "package.json").write_text(json.dumps(manifest))
    found = members.discover(root / "packages" / "core", "npm")
    chosen, left_out = members.select(found, [], [])
    assert [member.name for member in chosen] == ["core"]
    assert {member.name: why for member, why in left_out} == {
        "mono": 'private ("private": true)', "notes": "private (no version in package.json)"}


class _Client(StageClient):
    """A registry with two staged releases and no groups; approvals fail from the second on."""

    target = "npm"
    registry = "http://127.0.0.1:9/"

    def __init__(self) -> None:
        self.staged = {stage_id: StagedItem(stage_id, name, "1.1.0", status="staged")
                       for stage_id, name in (("a" * 8, "core"), ("b" * 8, "lib"))}
        self.approved: list[str] = []

    def list(self, package: str | None = None) -> list[StagedItem]:
        return list(self.staged.values())

    def view(self, stage_id: str) -> StagedItem:
        from hatch_stage.errors import RegistryError

        if stage_id not in self.staged:
            raise RegistryError("no such staged version", code="not_found")
        return self.staged[stage_id]

    def approve(self, stage_id: str, otp: str | None, digest: str | None = None, *,
                allow_secrets: bool = False) -> Mapping[str, Any]:
        if self.approved:
            raise OtpRequired("the registry refused the one-time password")
        self.approved.append(stage_id)
        self.staged.pop(stage_id)
        return {"message": "approved"}

    def fetch(self, stage_id: str, directory: Path) -> Any:
        raise NotImplementedError

    def reject(self, stage_id: str, otp: str | None) -> Mapping[str, Any]:
        raise NotImplementedError

    def published_release(self, name: str, staged_version: str,
                          against: str | None = None) -> Any:
        return None

    def download_published(self, release: Any, directory: Path) -> Any:
        raise NotImplementedError


def test_groups_of_a_registry_without_groups_are_kept_here(tmp_path: Path) -> None:
    client = _Client()
    made = groups.create(client, list(client.staged.values()))
    assert made.kept == "local" and groups.is_group_id(made.id)
    assert [group.id for group in groups.listing(client, client.list())] == [made.id]
    # another registry does not see it
    other = _Client()
    other.registry = "http://127.0.0.1:10/"
    assert groups.listing(other, other.list()) == []

    with pytest.raises(OtpRequired) as stopped:
        decide_many(client, "approve", ["a" * 8, "b" * 8], lambda: "123456",
                    labels={"a" * 8: "core@1.1.0", "b" * 8: "lib@1.1.0"})
    assert "Live now: core@1.1.0 (aaaaaaaa); not live: lib@1.1.0 (bbbbbbbb, its approval " \
           "failed)." in str(stopped.value)
    assert stopped.value.data == {
        "live": [{"stageId": "a" * 8, "name": "core", "version": "1.1.0"}],
        "not_live": [{"stageId": "b" * 8, "name": "lib", "version": "1.1.0",
                      "why": "approval failed: the registry refused the one-time password"}]}
    shown = groups.get(client, made.id)
    assert [(item.name, item.status) for item in shown.members] == [
        ("core", GONE), ("lib", "staged")]
    assert shown.status == "mixed" and [item.name for item in shown.waiting] == ["lib"]
    with pytest.raises(Exception, match="not a group id"):
        groups.get(client, "group-nope")
