"""Issue 4, must-show 3: the real ``hatch publish -p stage`` (hatch from the test env, finding
the publisher through the ``hatch`` entry point of the installed hatch-stage) stages the
project: built by hatch-stage when dist/ is empty, the prebuilt files of this version when
dist/ has them. Options merge ``-o`` over ``[tool.hatch.publish.stage]`` over the user's hatch
config (``HATCH_CONFIG``); a typo'd option is an error naming it.

hatch needs neither ``--no-prompt`` nor ``-y`` here: ``-y`` only confirms a *disabled*
publisher, and ``-n/--no-prompt`` is passed on as ``--yes``."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from clientkit import Cli, Sample, matches
from clitools import Run, environment
from stagekit import Server

from hatch_stage.plugins.python_pack import build

pytestmark = pytest.mark.slow

HATCH = str(Path(sys.executable).with_name("hatch"))


def hatch_publish(cli: Cli, sample: Sample, *args: str, token: str | None = None) -> Run:
    """``hatch publish -p stage ARGS`` in the project, stdin closed as in CI."""
    env = environment({**cli.env, "HATCH_STAGE_TOKEN": token})
    completed = subprocess.run([HATCH, "publish", "-p", "stage", *args], cwd=sample.root,
                               env=env, stdin=subprocess.DEVNULL, capture_output=True,
                               text=True, timeout=120)
    run = Run(completed.returncode, completed.stdout, completed.stderr)
    cli.record("hatch publish", run.stdout + run.stderr)
    return run


def staged_files(cli: Cli, registry: Server, sample: Sample, token: str) -> dict[str, Any]:
    """The one open session of the sample's version: {filename: sha256}."""
    listed = matches(cli.json("list", sample.name, "--registry", registry.url,
                              env={"HATCH_STAGE_TOKEN": token}, cwd=sample.root), "list")
    [item] = listed["data"]
    assert item["version"] == sample.version and item["status"] == "open"
    files = item["registry"]["files"]
    assert {entry["status"] for entry in files.values()} == {"completed"}
    return {name: entry["hashes"]["sha256"] for name, entry in files.items()}


def add_table(path: Path, header: str, **options: Any) -> None:
    lines = [f"\n[{header}]"] + [f"{key} = {json.dumps(value)}" for key, value in options.items()]
    with path.open("a") as out:
        out.write("\n".join(lines) + "\n")


def test_hatch_publish_builds_when_dist_is_empty(cli: Cli, registry: Server,
                                                 sample: Sample) -> None:
    maintainer = cli.account(sample.name)
    run = hatch_publish(cli, sample, "-o", f"registry={registry.url}", "-o", "yes=true",
                        token=maintainer.token)
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"staged {sample.name} 1.0.0 to {registry.url}" in run.stdout
    assert "hatch-stage approve" in run.stdout
    files = staged_files(cli, registry, sample, maintainer.token)
    stem = sample.name.replace("-", "_")
    assert sorted(files) == [f"{stem}-1.0.0-py3-none-any.whl", f"{stem}-1.0.0.tar.gz"]
    assert not (sample.root / "dist").exists()  # built privately, the project left alone


def test_hatch_publish_stages_the_prebuilt_files_of_this_version(
        cli: Cli, registry: Server, sample: Sample) -> None:
    maintainer = cli.account(sample.name)
    dist = sample.root / "dist"
    sample.set_version("0.9.0")
    build(sample.root, dist)  # an older release lying around: not this version's
    sample.set_version("1.0.0")
    prebuilt = {artifact.filename: artifact.sha256 for artifact in build(sample.root, dist)}
    # a rebuild now would differ, so equal hashes prove the files in dist/ were staged
    (sample.root / "src" / "sample_pkg" / "__init__.py").write_text("CHANGED = True\n")
    # registry from the project's table, yes from the user's hatch config
    add_table(sample.root / "pyproject.toml", "tool.hatch.publish.stage", registry=registry.url)
    add_table(Path(str(cli.env["HATCH_CONFIG"])), "publish.stage", yes=True)

    run = hatch_publish(cli, sample, token=maintainer.token)
    assert run.returncode == 0, run.stdout + run.stderr
    assert staged_files(cli, registry, sample, maintainer.token) == prebuilt
    assert len(list(dist.iterdir())) == 4  # dist/ untouched


def test_options_merge_in_order_and_typos_are_errors(cli: Cli, sample: Sample) -> None:
    config = Path(str(cli.env["HATCH_CONFIG"]))
    add_table(config, "publish.stage", **{"dry-run": True, "json": True, "min-score": 10,
                                          "tag": "from-user"})

    def dry_run(*args: str) -> dict[str, Any]:
        run = hatch_publish(cli, sample, *args)
        assert run.returncode == 0, run.stdout + run.stderr
        return dict(matches(json.loads(run.stdout), "publish --dry-run"))

    user = dry_run()
    assert (user["tag"], user["quality"]["min_score"]) == ("from-user", 10)
    add_table(sample.root / "pyproject.toml", "tool.hatch.publish.stage",
              **{"min_score": 20, "tag": "from-project"})
    project = dry_run()
    assert (project["tag"], project["quality"]["min_score"]) == ("from-project", 20)
    command_line = dry_run("-o", "tag=from-cli")
    assert (command_line["tag"], command_line["quality"]["min_score"]) == ("from-cli", 20)

    typo = hatch_publish(cli, sample, "-o", "min_scor=3")
    assert typo.returncode != 0
    assert "unknown option 'min_scor' (-o)" in typo.stdout + typo.stderr
    add_table(config, "publish.stage.extra", x=1)  # a sub-table is an unknown key too
    nested = hatch_publish(cli, sample)
    assert nested.returncode != 0
    assert "unknown option 'extra' ([publish.stage] in the hatch config)" in (
        nested.stdout + nested.stderr)
