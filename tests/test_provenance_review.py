"""Issue 10, part E: the review rules ``provenance-dropped`` and ``publisher-changed``, run by
the real diff (:func:`hatch_stage.diff.compare_releases`) over the real sdists of
pypi-attestations 0.0.16 and 0.0.19 with the built-in rule plugins. The identities are real
ones, verified from real attestations; no real project was ever signed by two publishers, so
the changed identity is the GitLab publisher of another project's real attestation, put on
the staged file here. tests/client/test_review_provenance.py runs the commands end to end."""

from __future__ import annotations

import pytest
from provenancekit import (
    ASSETS,
    GITHUB_EARLIER_SDIST,
    GITHUB_PUBLISHER,
    GITHUB_REPOSITORY,
    GITHUB_SDIST,
    GITLAB_PROJECT,
    GITLAB_PUBLISHER,
    GITLAB_SDIST,
    attestation,
    sha256_of,
)

from hatch_stage.config import Config
from hatch_stage.diff import ReleaseDiff, compare_releases
from hatch_stage.models import Artifact
from hatch_stage.plugins import plugin_manager
from hatch_stage.provenance import PublisherIdentity, SignedBy, verify_attestations
from hatch_stage.reviewing import PluginRules


def signed(distribution: str, publisher: PublisherIdentity) -> SignedBy:
    """Who signed ``distribution``, from its real attestation."""
    return verify_attestations([attestation(distribution)], distribution,
                               sha256_of(distribution), [publisher]).signed_by


@pytest.fixture(scope="module")
def identities() -> dict[str, SignedBy]:
    return {"earlier": signed(GITHUB_EARLIER_SDIST, GITHUB_PUBLISHER),
            "later": signed(GITHUB_SDIST, GITHUB_PUBLISHER),
            "gitlab": signed(GITLAB_SDIST, GITLAB_PUBLISHER)}


def diff(signers: dict[str, SignedBy | None] | None, *disabled: str) -> ReleaseDiff:
    rules = PluginRules(plugin_manager(disable=disabled), Config())
    return compare_releases([Artifact.from_path(ASSETS / GITHUB_SDIST)],
                            [Artifact.from_path(ASSETS / GITHUB_EARLIER_SDIST)],
                            target="python", name="pypi-attestations", version="0.0.19",
                            against="0.0.16", rules=rules, signers=signers)


def provenance_flags(result: ReleaseDiff) -> list[tuple[str, str]]:
    return [(flag.rule, flag.reason) for flag in result.flags
            if flag.rule in ("provenance-dropped", "publisher-changed")]


def test_the_same_publisher_at_a_new_ref_is_not_flagged(identities: dict[str, SignedBy]) -> None:
    result = diff({GITHUB_SDIST: identities["later"], GITHUB_EARLIER_SDIST: identities["earlier"]})
    assert identities["later"].ref != identities["earlier"].ref
    assert provenance_flags(result) == []
    (item,) = result.provenance
    assert (item.signed_by, item.against, item.previous) == (
        identities["later"], GITHUB_EARLIER_SDIST, identities["earlier"])
    assert result.as_json()["provenance"]["previous_signers"] == [
        identities["earlier"].as_json()]


def test_another_identity_is_flagged(identities: dict[str, SignedBy]) -> None:
    result = diff({GITHUB_SDIST: identities["gitlab"],
                   GITHUB_EARLIER_SDIST: identities["earlier"]})
    ((rule, reason),) = provenance_flags(result)
    assert rule == "publisher-changed"
    assert f"GitLab {GITLAB_PROJECT}" in reason and f"GitHub {GITHUB_REPOSITORY}" in reason
    assert provenance_flags(diff({GITHUB_SDIST: identities["gitlab"],
                                  GITHUB_EARLIER_SDIST: identities["earlier"]},
                                 "publisher-changed")) == []


def test_dropped_provenance_is_flagged(identities: dict[str, SignedBy]) -> None:
    result = diff({GITHUB_SDIST: None, GITHUB_EARLIER_SDIST: identities["earlier"]})
    ((rule, reason),) = provenance_flags(result)
    assert rule == "provenance-dropped" and "0.0.16" in reason
    # nothing to drop when the previous release had none; nothing known without provenance
    assert provenance_flags(diff({GITHUB_SDIST: None, GITHUB_EARLIER_SDIST: None})) == []
    assert provenance_flags(diff(None)) == [] and diff(None).provenance == ()
