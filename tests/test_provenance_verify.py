"""The neutral provenance checks (:mod:`hatch_stage.provenance`) on real attestations: each
negative case of tests/fixtures/provenance/README.md refused with its reason, GitHub and GitLab
publishers accepted, and the trust root the one bundled with sigstore, whatever the user's
sigstore cache holds."""

from __future__ import annotations

import base64
import copy
import hashlib
import json
from pathlib import Path
from typing import Any

import pytest
from provenancekit import (
    ASSETS,
    GITHUB_EARLIER_SDIST,
    GITHUB_PUBLISHER,
    GITHUB_REPOSITORY,
    GITHUB_SDIST,
    GITHUB_WORKFLOW,
    GITLAB_CI_FILE,
    GITLAB_PROJECT,
    GITLAB_PUBLISHER,
    GITLAB_SDIST,
    STAGING_WHEEL,
    attestation,
    sha256_of,
)

from hatch_stage.errors import ConfigError
from hatch_stage.provenance import (
    ProvenanceError,
    PublisherIdentity,
    parse_publisher,
    same_distribution,
    verify_attestations,
    verify_provenance_object,
)

GITHUB, GITLAB, sha256 = GITHUB_PUBLISHER, GITLAB_PUBLISHER, sha256_of


def refusal(items: Any, filename: str, digest: str, publishers: list[PublisherIdentity],
            **options: Any) -> str:
    with pytest.raises(ProvenanceError) as refused:
        verify_attestations(items, filename, digest, publishers, **options)
    return str(refused.value)


def test_real_attestations_verify_against_their_publishers() -> None:
    publish = attestation(GITHUB_SDIST)
    slsa = json.loads((ASSETS / f"{GITHUB_SDIST}.slsa.attestation").read_text())
    verified = verify_attestations([publish, slsa], GITHUB_SDIST, sha256(GITHUB_SDIST),
                                   [GITLAB, GITHUB])
    assert verified.signed_by.publisher == GITHUB
    assert verified.signed_by.ref == "refs/tags/v0.0.19"
    assert verified.predicate_types == ("https://docs.pypi.org/attestations/publish/v1",
                                        "https://slsa.dev/provenance/v1")
    gitlab = verify_attestations([attestation(GITLAB_SDIST)], GITLAB_SDIST,
                                 sha256(GITLAB_SDIST), [GITHUB, GITLAB])
    assert gitlab.signed_by.publisher == GITLAB
    assert gitlab.signed_by.as_json()["workflow_filepath"] == GITLAB_CI_FILE
    # the provenance object the index serves verifies the same way
    served = verified.provenance_object()
    again = verify_provenance_object(served, GITHUB_SDIST, sha256(GITHUB_SDIST), [GITHUB])
    assert again.signed_by == verified.signed_by
    published = json.loads((ASSETS / f"{GITHUB_SDIST}.provenance").read_text())
    assert verify_provenance_object(published, GITHUB_SDIST, sha256(GITHUB_SDIST),
                                    [GITHUB]).signed_by.publisher == GITHUB


@pytest.mark.parametrize(("publisher", "reason"), [
    (PublisherIdentity("github", "trailofbits/other", GITHUB_WORKFLOW), "not a trusted publisher"),
    (PublisherIdentity("github", GITHUB_REPOSITORY, "publish.yml"), "not a trusted publisher"),
    (PublisherIdentity("gitlab", GITHUB_REPOSITORY, GITLAB_CI_FILE), "not a trusted publisher"),
    (PublisherIdentity("google", email="release@example.iam.gserviceaccount.com"),
     "not a trusted publisher"),
])
def test_another_publisher_is_refused(publisher: PublisherIdentity, reason: str) -> None:
    text = refusal([attestation(GITHUB_SDIST)], GITHUB_SDIST, sha256(GITHUB_SDIST), [publisher])
    assert reason in text
    assert f"https://github.com/{GITHUB_REPOSITORY}/.github/workflows/release.yml" in text


def test_other_bytes_another_file_and_an_edited_statement_are_refused() -> None:
    item = attestation(GITHUB_SDIST)
    flipped = bytearray((ASSETS / GITHUB_SDIST).read_bytes())
    flipped[1000] ^= 1
    assert "other contents" in refusal([item], GITHUB_SDIST,
                                       hashlib.sha256(flipped).hexdigest(), [GITHUB])
    assert f"attests {GITHUB_SDIST}, not {GITHUB_EARLIER_SDIST}" in refusal(
        [item], GITHUB_EARLIER_SDIST, sha256(GITHUB_SDIST), [GITHUB])
    # the statement rewritten to name the tampered bytes: the signature no longer holds
    edited = copy.deepcopy(item)
    statement = json.loads(base64.b64decode(edited["envelope"]["statement"]))
    statement["subject"][0]["digest"]["sha256"] = hashlib.sha256(flipped).hexdigest()
    edited["envelope"]["statement"] = base64.b64encode(json.dumps(statement).encode()).decode()
    assert "does not verify" in refusal([edited], GITHUB_SDIST,
                                        hashlib.sha256(flipped).hexdigest(), [GITHUB])


def test_the_trust_root_is_chosen_not_guessed() -> None:
    wheel = attestation(STAGING_WHEEL)
    assert "certificate chain" in refusal([wheel], STAGING_WHEEL, sha256(STAGING_WHEEL),
                                          [GITHUB])
    assert "william@yossarian.net" in refusal([wheel], STAGING_WHEEL, sha256(STAGING_WHEEL),
                                              [GITHUB], staging=True)
    assert "certificate chain" in refusal([attestation(GITHUB_SDIST)], GITHUB_SDIST,
                                          sha256(GITHUB_SDIST), [GITHUB], staging=True)


def test_a_sigstore_cache_in_the_home_directory_is_neither_read_nor_written(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """pypi-attestations' own verify reads a root cached for the user first: the registry
    uses only the root bundled with sigstore."""
    for variable in ("XDG_CACHE_HOME", "XDG_DATA_HOME"):
        home = tmp_path / variable
        root = home / "sigstore-python" / "tuf" / "https%3A%2F%2Ftuf-repo-cdn.sigstore.dev"
        root.mkdir(parents=True)
        (root / "trusted_root.json").write_text("{not a trust root")
        monkeypatch.setenv(variable, str(home))
    before = sorted(str(path) for path in tmp_path.rglob("*"))
    verify_attestations([attestation(GITHUB_SDIST)], GITHUB_SDIST, sha256(GITHUB_SDIST),
                        [GITHUB])
    assert sorted(str(path) for path in tmp_path.rglob("*")) == before


def test_malformed_input_is_a_refusal_never_a_crash() -> None:
    digest = sha256(GITHUB_SDIST)
    item = attestation(GITHUB_SDIST)
    assert "non-empty JSON array" in refusal({"not": "a list"}, GITHUB_SDIST, digest, [GITHUB])
    assert "non-empty JSON array" in refusal([], GITHUB_SDIST, digest, [GITHUB])
    assert "no trusted publisher" in refusal([item], GITHUB_SDIST, digest, [])
    assert "not a JSON object" in refusal(["text"], GITHUB_SDIST, digest, [GITHUB])
    assert "not a PEP 740 attestation" in refusal([{"version": 1}], GITHUB_SDIST, digest,
                                                  [GITHUB])
    broken = copy.deepcopy(item)
    broken["verification_material"]["certificate"] = base64.b64encode(b"junk").decode()
    assert "attestation 1" in refusal([broken], GITHUB_SDIST, digest, [GITHUB])
    assert "more than one attestation of type" in refusal([item, item], GITHUB_SDIST, digest,
                                                          [GITHUB])
    huge = {**item, "padding": "x" * 300_000}
    assert "larger than" in refusal([huge], GITHUB_SDIST, digest, [GITHUB])


def test_file_names_are_compared_parsed() -> None:
    """The spt3g attestation names its wheel with platform tags in one order; the same wheel
    in the other order is the same distribution (PEP 740), another name is not."""
    raw = json.loads((ASSETS / "spt3g-1.0-cp310-cp310-manylinux_2_17_x86_64.manylinux2014_"
                                "x86_64.whl.publish.attestation").read_text())
    subject = json.loads(base64.b64decode(raw["envelope"]["statement"]))["subject"][0]["name"]
    assert same_distribution(
        subject, "spt3g-1.0-cp310-cp310-manylinux2014_x86_64.manylinux_2_17_x86_64.whl")
    assert same_distribution("Pypi_Attestations-0.0.19.tar.gz", GITHUB_SDIST)
    assert not same_distribution(subject, "spt3g-1.1-cp310-cp310-manylinux2014_x86_64.whl")
    assert not same_distribution("not a file", GITHUB_SDIST)


def test_publishers_named_on_the_command_line() -> None:
    assert parse_publisher(f"github:{GITHUB_REPOSITORY}/{GITHUB_WORKFLOW}") == GITHUB
    assert parse_publisher(f"gitlab:{GITLAB_PROJECT}//{GITLAB_CI_FILE}") == GITLAB
    assert parse_publisher("google:a@b.iam.gserviceaccount.com").email == (
        "a@b.iam.gserviceaccount.com")
    for wrong in ("github", "svn:o/r/x.yml", "gitlab:g/p/.gitlab-ci.yml", "github:o/r",
                  "google:nobody", "github:o/r/release.yml\n", "google:a@b.example\n"):
        with pytest.raises(ConfigError):
            parse_publisher(wrong)
