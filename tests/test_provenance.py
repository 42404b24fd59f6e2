"""Provenance on the publishing side: attaching PEP 740 attestations made elsewhere (real
ones, tests/provenancekit.py), refusing ones that do not fit before anything is sent, and
saying in the dry run what would be attached.

The attestation for other bytes is built here with a real in-toto statement and a stand-in
certificate and signature: the client refuses it on its subject alone, before sending it.
Signing (``--provenance``) is tested up to Fulcio in tests/client/test_signing.py.
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from clitools import run_cli
from provenancekit import GITLAB_CI_FILE, GITLAB_PROJECT, GITLAB_SDIST, copy_with_attestation
from pypi_attestations import Attestation


def attestation_for(artifact: Path, directory: Path, digest: str | None = None) -> Path:
    statement = {
        "_type": "https://in-toto.io/Statement/v1",
        "subject": [
            {
                "name": artifact.name,
                "digest": {"sha256": digest or hashlib.sha256(artifact.read_bytes()).hexdigest()},
            }
        ],
        "predicateType": "https://docs.pypi.org/attestations/publish/v1",
        "predicate": None,
    }
    # Base64Bytes fields take their wire form: base64 text
    attestation = Attestation.model_validate(
        {
            "version": 1,
            "verification_material": {
                "certificate": base64.b64encode(b"stand-in certificate").decode(),
                "transparency_entries": [{"logIndex": "1"}],
            },
            "envelope": {
                "statement": base64.b64encode(json.dumps(statement).encode()).decode(),
                "signature": base64.b64encode(b"stand-in signature").decode(),
            },
        }
    )
    path = directory / f"{artifact.name}.publish.attestation"
    path.write_text(attestation.model_dump_json())
    return path


def built(project: Path, tmp_path: Path) -> list[Path]:
    out = tmp_path / "dist"
    assert run_cli(["check", "--json", "--out", str(out)], cwd=project).returncode == 0
    return sorted(out.iterdir())


def test_real_attestations_are_attached_and_verified_by_the_local_registry(
    tmp_path: Path,
) -> None:
    dist = copy_with_attestation(GITLAB_SDIST, tmp_path / "dist")
    env = {"HATCH_STAGE_HOME": str(tmp_path / "store")}
    publish = ["publish", "--yes", "--json", "--provenance-file", str(dist.parent), str(dist)]

    # the embedded registry has no trusted publisher for the project yet: refused, with why
    refused = run_cli(publish, cwd=tmp_path, env=env, timeout=300)
    assert refused.returncode == 1
    assert refused.json()["error_code"] == "provenance_refused", refused.stdout
    assert "hatch-stage admin publisher add" in refused.json()["error"]

    added = run_cli(["admin", "publisher", "add", "--data", str(tmp_path / "store"),
                     "--project", "gitlab-oidc-project", "--kind", "gitlab", "--repository",
                     GITLAB_PROJECT, "--workflow", GITLAB_CI_FILE, "--json"], cwd=tmp_path)
    assert added.returncode == 0, added.stdout + added.stderr
    staged = run_cli(publish, cwd=tmp_path, env=env, timeout=300)
    assert staged.returncode == 0, staged.stdout + staged.stderr
    document = staged.json()
    assert document["provenance"] == {
        "attach": True, "how": "file", "files": [GITLAB_SDIST],
        "note": "the registry verifies them against the project's trusted publishers"}
    signed_by = document["data"]["files"][GITLAB_SDIST]["provenance"]["publisher"]
    assert signed_by["kind"] == "GitLab" and signed_by["repository"] == GITLAB_PROJECT


def test_the_dry_run_says_what_provenance_publish_would_attach(
    sample_project: Path, tmp_path: Path
) -> None:
    env = {"HATCH_STAGE_HOME": str(tmp_path / "store"), "GITHUB_ACTIONS": None,
           "ACTIONS_ID_TOKEN_REQUEST_URL": None, "ACTIONS_ID_TOKEN_REQUEST_TOKEN": None}

    def planned(*flags: str, **changes: str) -> dict[str, object]:
        run = run_cli(["publish", "--dry-run", "--json", *flags], cwd=sample_project,
                      env={**env, **changes})
        assert run.returncode == 0, run.stdout + run.stderr
        return dict(run.json()["provenance"])

    assert planned()["attach"] is False
    unsigned = planned("--provenance")
    assert unsigned["attach"] is True and unsigned["how"] == "sign"
    assert "no CI OIDC identity" in str(unsigned["note"])
    ci = planned("--provenance", GITHUB_ACTIONS="true",
                 ACTIONS_ID_TOKEN_REQUEST_URL="http://127.0.0.1:9/token",
                 ACTIONS_ID_TOKEN_REQUEST_TOKEN="request-token")
    assert "GitHub Actions job's OIDC identity" in str(ci["note"])
    assert sorted(ci["files"]) == sorted(a.name for a in built(sample_project, tmp_path / "b"))
    assert planned("--no-provenance")["attach"] is False


def test_an_attestation_for_other_bytes_is_refused(sample_project: Path, tmp_path: Path) -> None:
    wheel = next(a for a in built(sample_project, tmp_path) if a.suffix == ".whl")
    proofs = tmp_path / "proofs"
    proofs.mkdir()
    attestation_for(wheel, proofs, digest="0" * 64)
    env = {"HATCH_STAGE_HOME": str(tmp_path / "store")}
    refused = run_cli(
        ["publish", "--yes", "--json", "--provenance-file", str(proofs), str(wheel)],
        cwd=tmp_path,
        env=env,
    )
    assert refused.returncode != 0
    assert refused.json()["error_code"] == "sign_failed"
    assert "another digest" in refused.json()["error"]
    listed = run_cli(["list", "--json"], cwd=tmp_path, env=env)
    assert listed.json()["data"] == [], "nothing was staged"


def test_provenance_without_a_ci_identity_is_a_clear_error(
    sample_project: Path, tmp_path: Path
) -> None:
    env = {"HATCH_STAGE_HOME": str(tmp_path / "store"), "GITHUB_ACTIONS": ""}
    result = run_cli(["publish", "--yes", "--json", "--provenance"], cwd=sample_project, env=env)
    assert result.returncode != 0
    assert result.json()["error_code"] == "sign_failed"
    assert "OIDC identity" in result.json()["error"]
