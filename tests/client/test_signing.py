"""Issue 10, part F: ``publish --provenance`` in CI signs with sigstore using the job's ambient
OIDC identity. Fulcio and Rekor (Sigstore's public services) cannot be reached from here, so
the signing path is tested up to that boundary: the CI job's identity comes from a stand-in
of GitHub's token service, and a stand-in Fulcio on 127.0.0.1 (named by a sigstore client
trust config, as a private Sigstore instance would be) records the certificate request that
carries it, and issues nothing. Publishing then fails with the reason and stages nothing:
provenance that was asked for is never silently dropped."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

import pytest
from clientkit import Cli, Sample
from cryptography import x509
from localservers import FulcioStandin, OidcEndpoint
from stagekit import GITHUB_ISSUER, Server

pytestmark = pytest.mark.slow


def test_publish_provenance_signs_with_the_ambient_identity_up_to_fulcio(
        cli: Cli, registry: Server, sample: Sample, issuer_key: tuple[Any, Path],
        tmp_path: Path) -> None:
    key, jwks = issuer_key
    repository = f"octo/{sample.name}"
    registry.admin("publisher", "add", "--project", sample.name, "--issuer", GITHUB_ISSUER,
                   "--repository", repository, "--workflow", "release.yml",
                   "--jwks", str(jwks))
    request_token = "ghs_request_" + "s" * 30
    cli.secret(request_token)
    with OidcEndpoint(key, repository, request_token) as oidc, FulcioStandin() as fulcio:
        env = {**oidc.ci_environment(),
               "HATCH_STAGE_SIGSTORE_TRUST_CONFIG": str(fulcio.trust_config(tmp_path))}
        planned = cli("publish", "--dry-run", "--json", "--provenance", cwd=sample.root,
                      env=env)
        assert planned.json()["provenance"]["how"] == "sign"
        assert "GitHub Actions" in planned.json()["provenance"]["note"]

        signed = cli("publish", "--registry", registry.url, "--yes", "--json",
                     "--provenance", cwd=sample.root, env=env, timeout=300)
    assert signed.returncode == 1, signed.stdout + signed.stderr
    failure = signed.json()
    assert failure["error_code"] == "sign_failed"
    assert "signing with sigstore failed" in failure["error"]

    # the job's identity was asked for twice: for the registry (trusted publishing) and
    # for Sigstore; the second went to Fulcio with a request for a signing certificate
    audiences = [audience for audience, _token in oidc.issued]
    assert audiences == ["hatch-stage", "sigstore"]
    sigstore_token = oidc.issued[1][1]
    (request,) = fulcio.requests
    path, authorization, body = request
    assert path == "/api/v2/signingCert"
    assert authorization == f"Bearer {sigstore_token}"
    # a CSR for a fresh key, signed by it (the proof of possession Fulcio checks)
    csr = x509.load_pem_x509_csr(base64.b64decode(json.loads(body)["certificateSigningRequest"]))
    assert csr.is_signature_valid
    assert sigstore_token not in signed.stdout + signed.stderr

    # nothing was staged: signing comes before the upload
    maintainer = cli.account(sample.name)
    listed = cli("list", sample.name, "--registry", registry.url, "--json",
                 env={"HATCH_STAGE_TOKEN": maintainer.token})
    assert listed.json()["data"] == []
