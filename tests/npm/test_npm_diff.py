"""Issue 9, must-show 1 for npm: a staged version that adds a ``postinstall`` script, a ``bin``
entry and a dependency, against the published tarball from a real Verdaccio's packument."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from npm_helpers import stage, well_kept, well_kept_files, write_package
from npm_verdaccio import Registry, publish_first_version

from hatch_stage.cli import main

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("npm")]


def test_a_staged_postinstall_is_flagged(npm_env: Registry, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    name = "hs-diffed"
    root = write_package(tmp_path / "pkg", well_kept(name, "1.0.0"), well_kept_files(name))
    publish_first_version(npm_env, root)
    risky = well_kept(name, "1.1.0", bin={name: "cli.js"}, dependencies={"left-pad": "^1.3.0"},
                      files=["index.js", "index.d.ts", "cli.js", "setup.js"])
    risky["scripts"] = {**risky["scripts"], "postinstall": "node setup.js"}
    write_package(root, risky, {"cli.js": "#!/usr/bin/env node\n", "setup.js": "// set up\n"})
    monkeypatch.setenv("NPM_TOKEN", npm_env.users["pat"].token)
    report = stage(root, npm_env.url, tmp_path / "work")
    assert report.staged is not None
    stage_id = report.staged.stage_id
    flags = ["--target", "npm", "--npm-registry", npm_env.url, "--project", str(root)]
    capsys.readouterr()

    assert main(["diff", stage_id, "--json", *flags]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["success"] is True and document["target"] == "npm"
    diff = document["data"]
    assert (diff["version"], diff["against"]) == ("1.1.0", "1.0.0")
    by_rule = {flag["rule"]: flag for flag in diff["flags"]}
    assert set(by_rule) == {"install-script", "console-script", "dependency-added"}
    assert by_rule["install-script"]["reason"].startswith("scripts.postinstall added")
    assert "node setup.js" in by_rule["install-script"]["detail"]
    assert [(d["name"], d["change"], d["group"]) for d in diff["dependencies"]] == [
        ("left-pad", "added", "dependencies")]
    assert [(e["group"], e["name"], e["change"]) for e in diff["entry_points"]] == [
        ("bin", name, "added")]
    (tarball,) = diff["artifacts"]
    assert tarball["against"] == f"{name}-1.0.0.tgz"
    added = {file["path"] for file in tarball["files"] if file["change"] == "added"}
    assert added == {"package/cli.js", "package/setup.js"}

    assert main(["view", stage_id, *flags]) == 0
    shown = capsys.readouterr().out
    assert "install-script" in shown and "scripts.postinstall added" in shown
