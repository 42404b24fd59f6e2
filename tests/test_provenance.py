"""Provenance: attaching PEP 740 attestations made elsewhere, and refusing ones that do not fit.

Signing itself needs the public sigstore services (Fulcio, Rekor), which cannot run here: the
attestations below are built locally with a real in-toto statement over the real artifact
and a stand-in certificate and signature (what Fulcio and the signer would have produced).
"""

from __future__ import annotations

import base64
import hashlib
import json
from pathlib import Path

from clitools import run_cli
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


def test_attestations_are_attached_to_the_staged_files(
    sample_project: Path, tmp_path: Path
) -> None:
    artifacts = built(sample_project, tmp_path)
    proofs = tmp_path / "proofs"
    proofs.mkdir()
    for artifact in artifacts:
        attestation_for(artifact, proofs)
    env = {"HATCH_STAGE_HOME": str(tmp_path / "store")}
    staged = run_cli(
        ["publish", "--yes", "--json", "--provenance-file", str(proofs), *map(str, artifacts)],
        cwd=tmp_path,
        env=env,
    )
    assert staged.returncode == 0, staged.stdout + staged.stderr
    assert staged.json()["stageId"]


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
