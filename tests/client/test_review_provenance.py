"""Issue 10, must-show 5 (and part E): the reviewer sees who built each file.

A real project with real attestations (pypi-attestations 0.0.16 and 0.0.19, signed by the
``release.yml`` workflow of trailofbits/pypi-attestations on GitHub Actions), staged and
published through a real registry with the real command line: ``view --json`` shows each
file's verified identity (kind, repository, workflow, ref); ``diff`` flags a release that
drops provenance the previous one had; ``verify --publisher`` checks the attestations on the
reviewer's machine against the publisher the reviewer expects. A change of identity cannot
be staged with real files (no real release of one project was ever signed by two
publishers), so tests/test_provenance_review.py checks that rule through the real diff with
real verified identities.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from clientkit import Cli, matches
from provenancekit import (
    GITHUB_EARLIER_SDIST,
    GITHUB_REPOSITORY,
    GITHUB_SDIST,
    GITHUB_WORKFLOW,
    copy_with_attestation,
)
from stagekit import Server

pytestmark = pytest.mark.slow
PROJECT = "pypi-attestations"
EXPECTED = f"github:{GITHUB_REPOSITORY}/{GITHUB_WORKFLOW}"


def _staged(cli: Cli, registry: Server, env: dict[str, str | None], directory: Path,
            dist: Path, *flags: str) -> str:
    """Stage ``dist`` (its tests hold sha256 digests the scan reports: allowed)."""
    staged = cli.json("publish", "--registry", registry.url, "--yes", "--allow-secrets",
                      *flags, str(dist), cwd=directory, env=env, timeout=300)
    return str(matches(staged, "publish")["stageId"])


def test_view_diff_and_verify_show_who_built_each_file(cli: Cli, registry: Server,
                                                       tmp_path: Path) -> None:
    registry.admin("publisher", "add", "--project", PROJECT, "--repository",
                   GITHUB_REPOSITORY, "--workflow", GITHUB_WORKFLOW)
    maintainer = cli.account(PROJECT)
    env: dict[str, str | None] = {"HATCH_STAGE_TOKEN": maintainer.token}
    common = ("--registry", registry.url)

    # 0.0.16, attested, is published
    earlier = copy_with_attestation(GITHUB_EARLIER_SDIST, tmp_path / "earlier")
    first = _staged(cli, registry, env, tmp_path, earlier, "--provenance-file",
                    str(earlier.parent))
    viewed = matches(cli.json("view", first, *common, env=env), "view")
    publisher = viewed["data"]["registry"]["files"][GITHUB_EARLIER_SDIST]["provenance"][
        "publisher"]
    assert publisher == {"kind": "GitHub", "repository": GITHUB_REPOSITORY,
                         "workflow": GITHUB_WORKFLOW, "environment": None,
                         "claims": {"ref": "refs/tags/v0.0.16", "sha": publisher["claims"]["sha"]}}
    approved = cli.json("approve", first, "--otp", maintainer.otp(), "--allow-secrets",
                        *common, env=env)
    assert matches(approved, "approve")["data"]["status"] == "published"

    # 0.0.19 staged without its attestation: the diff flags it, view shows it
    later = copy_with_attestation(GITHUB_SDIST, tmp_path / "later")
    unsigned = _staged(cli, registry, env, tmp_path, later)
    diff = matches(cli.json("diff", unsigned, *common, env=env), "diff")["data"]
    (flag,) = [flag for flag in diff["flags"] if flag["rule"] == "provenance-dropped"]
    assert flag["artifact"] == GITHUB_SDIST and flag["plugin"] == "provenance-dropped"
    assert "0.0.16" in flag["reason"] and GITHUB_REPOSITORY in flag["reason"]
    (item,) = diff["provenance"]["files"]
    assert item["signed_by"] is None and item["against"] == GITHUB_EARLIER_SDIST
    assert item["previous"]["claims"]["ref"] == "refs/tags/v0.0.16"
    shown = cli("view", unsigned, *common, env=env)
    assert shown.returncode == 0
    text = " ".join(shown.stdout.split())
    assert "provenance: no provenance" in text and "provenance-dropped" in text
    # a release staged alone has no group: view shows no "group None" row
    assert not re.search(r"^\s*group\s", shown.stdout, re.MULTILINE)
    assert cli.json("reject", unsigned, "--otp", maintainer.otp(1), *common,
                    env=env)["success"]

    # 0.0.19 with its attestation: the same publisher at a new ref, nothing flagged
    signed = _staged(cli, registry, env, tmp_path, later, "--provenance-file",
                     str(later.parent))
    diff = matches(cli.json("diff", signed, *common, env=env), "diff")["data"]
    assert not [flag for flag in diff["flags"]
                if flag["rule"] in ("provenance-dropped", "publisher-changed")]
    (item,) = diff["provenance"]["files"]
    assert item["signed_by"]["claims"]["ref"] == "refs/tags/v0.0.19"
    shown = cli("view", signed, *common, env=env)
    assert (f"signed by GitHub {GITHUB_REPOSITORY}, workflow {GITHUB_WORKFLOW}, ref "
            "refs/tags/v0.0.19") in " ".join(shown.stdout.split())

    # verify: the attestations checked here, against the publisher the reviewer expects
    verified = matches(cli.json("verify", signed, "--publisher", EXPECTED, "--no-rebuild",
                                *common, env=env), "verify --publisher")
    (check,) = verified["data"]["provenance"]
    assert check["status"] == "verified" and verified["data"]["runs_build_code"] is False
    assert check["signed_by"]["claims"]["ref"] == "refs/tags/v0.0.19"
    other = cli.json("verify", signed, "--publisher",
                     f"github:{GITHUB_REPOSITORY}/publish.yml", "--no-rebuild", *common,
                     env=env)
    assert matches(other, "error")["error_code"] == "provenance_mismatch"
    assert "not a trusted publisher" in other["error"]
    gitlab = cli.json("verify", signed, "--publisher", "gitlab:trailofbits/pypi-attestations"
                      "//.gitlab-ci.yml", "--no-rebuild", *common, env=env)
    assert gitlab["error_code"] == "provenance_mismatch"
