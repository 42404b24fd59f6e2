"""Issue 10: the registry verifies PEP 740 attestations, keeps nothing that fails, and serves
what it verified on every stage preview and on the live index.

Real distributions with the attestations that were really published for them
(tests/provenancekit.py), verified offline against the Sigstore trust root bundled with
sigstore; the tests check what the registry serves with pypi-attestations itself.

Must-show 1: a real release staged with ``hatch-stage publish --provenance-file`` against a
served registry whose project trusts that publisher is accepted; the preview's and, after
approval, the live index's JSON and HTML carry provenance URLs; the Integrity API's object
verifies with pypi-attestations against the publisher. Must-show 2: the same attestation
with another publisher configured, for a tampered copy of the file, and for another file, is
refused with its reason, over PEP 694 and over twine's legacy upload, and nothing is kept.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from clitools import run_cli
from provenancekit import (
    ASSETS,
    GITHUB_EARLIER_SDIST,
    GITHUB_PUBLISHER,
    GITHUB_REPOSITORY,
    GITHUB_SDIST,
    GITHUB_WORKFLOW,
    GITLAB_CI_FILE,
    GITLAB_PROJECT,
    GITLAB_SDIST,
    STAGING_WHEEL,
    attestation,
    copy_with_attestation,
    tampered,
)
from pypi_attestations import Distribution, GitHubPublisher, GitLabPublisher, Provenance
from reviewpage import signed_in_client
from stagekit import Server, Storage, sdist_bytes, unique_name

from hatch_stage.models import Artifact

JSON = "application/vnd.pypi.simple.v1+json"
INTEGRITY = "application/vnd.pypi.integrity.v1+json"


@pytest.fixture(scope="module")
def attested(storage_factory: Callable[[], Storage], tmp_path_factory: pytest.TempPathFactory,
             ) -> Iterator[Server]:
    """A registry of this module's own, on the backend's storage (with the s3 backend the
    files are in a bucket, the attestations in PostgreSQL): the real distributions have fixed
    names, and a file name can be published once per index."""
    running = Server.over(tmp_path_factory.mktemp("attested") / "data",
                          storage_factory()).start()
    try:
        yield running
    finally:
        running.stop()


def served_provenance(page: str, filename: str) -> str:
    """The provenance URL the PEP 691 JSON page gives ``filename``, after checking that the
    PEP 503 HTML page gives the same one."""
    document = httpx2.get(page, headers={"Accept": JSON}).json()
    assert document["meta"]["api-version"] == "1.3"
    (entry,) = [item for item in document["files"] if item["filename"] == filename]
    url = str(entry["provenance"])
    html = httpx2.get(page).text
    assert f'>{filename}</a>' in html and f'data-provenance="{url}"' in html, html
    return url


def verifies(url: str, distribution: Path, publisher: Any) -> list[str]:
    """The Integrity API's object at ``url``, every attestation verified with pypi-attestations
    (offline) against ``publisher`` and the file; the predicate types."""
    answer = httpx2.get(url)
    assert answer.status_code == 200, answer.text
    assert answer.headers["content-type"].startswith(INTEGRITY)
    provenance = Provenance.model_validate_json(answer.content)
    dist = Distribution.from_file(distribution)
    return [attestation.verify(publisher, dist, offline=True)[0]
            for bundle in provenance.attestation_bundles
            for attestation in bundle.attestations]


def test_a_real_attested_release_is_accepted_served_and_published_with_its_provenance(
        attested: Server, tmp_path: Path, offline_sigstore: None) -> None:
    project = "gitlab-oidc-project"
    publisher = attested.admin("publisher", "add", "--project", project, "--kind", "gitlab",
                               "--repository", GITLAB_PROJECT, "--workflow", GITLAB_CI_FILE)
    assert publisher["kind"] == "gitlab"
    assert publisher["jwks"] == "https://gitlab.com/oauth/discovery/keys"  # the default
    stager, maintainer = attested.maintainer(project, "stage"), attested.maintainer(project)
    dist = copy_with_attestation(GITLAB_SDIST, tmp_path / "dist")

    staged = run_cli(["publish", "--registry", attested.url, "--yes", "--json",
                      "--provenance-file", str(dist.parent), str(dist)], cwd=tmp_path,
                     env={"HATCH_STAGE_TOKEN": stager.token}, timeout=300)
    assert staged.returncode == 0, staged.stdout + staged.stderr
    session = staged.json()["data"]
    entry = session["files"][GITLAB_SDIST]["provenance"]
    assert entry["publisher"] == {
        "kind": "GitLab", "repository": GITLAB_PROJECT, "workflow_filepath": GITLAB_CI_FILE,
        "environment": None,
        "claims": {"ref": "refs/heads/main", "sha": "72f7c63b75eb55ea80864962f0e645c93414da34"}}
    assert entry["predicate-types"] == ["https://docs.pypi.org/attestations/publish/v1"]

    # the stage preview: JSON and HTML carry the preview's own Integrity API URL
    preview = session["links"]["stage"]
    url = served_provenance(f"{preview}{project}/", GITLAB_SDIST)
    assert url == entry["url"] == f"{preview}integrity/{project}/0.0.3/{GITLAB_SDIST}/provenance"
    expected = GitLabPublisher(repository=GITLAB_PROJECT, workflow_filepath=GITLAB_CI_FILE)
    assert verifies(url, dist, expected) == ["https://docs.pypi.org/attestations/publish/v1"]
    live = f"{attested.url}/integrity/{project}/0.0.3/{GITLAB_SDIST}/provenance"
    assert httpx2.get(live).status_code == 404  # not public before approval

    # the review page names who built the file, as the registry verified it
    page, _csrf = signed_in_client(attested, maintainer)
    shown = page.get(f"/review/{session['id']}")
    assert shown.status_code == 200, shown.text
    assert "signed by GitLab" in shown.text and GITLAB_PROJECT in shown.text

    approved = attested.client(maintainer.token).publish(session, maintainer.otp(1))
    assert approved.status_code == 201, approved.text
    assert served_provenance(f"{attested.url}/simple/{project}/", GITLAB_SDIST) == live
    assert verifies(live, dist, expected) == ["https://docs.pypi.org/attestations/publish/v1"]
    # another spelling of the project and version finds the same file
    assert httpx2.get(live.replace("gitlab-oidc-project/0.0.3",
                                   "Gitlab_OIDC_Project/0.0.3.0")).status_code == 200

    # the Integrity API answers 404 for a file without provenance and for unknown files
    plain = unique_name("plain")
    owner = attested.maintainer(plain)
    client = attested.client(owner.token)
    bare = client.create(plain, "1.0").json()
    filename = f"{plain.replace('-', '_')}-1.0.tar.gz"
    assert client.upload_bytes(bare, filename, sdist_bytes(plain, "1.0")).status_code == 201
    assert client.publish(bare, owner.otp()).status_code == 201
    for missing in (f"{plain}/1.0/{filename}", f"{plain}/2.0/{filename}",
                    f"{project}/0.0.3/{filename}", f"{project}/0.0.3/nothing-0.0.3.tar.gz"):
        answer = httpx2.get(f"{attested.url}/integrity/{missing}/provenance")
        assert answer.status_code == 404, missing
    document = httpx2.get(f"{attested.url}/simple/{plain}/", headers={"Accept": JSON}).json()
    assert document["files"][0]["provenance"] is None


def twine(url: str, token: str, *paths: Path) -> tuple[int, str]:
    """A real ``twine upload --attestations`` (twine looks for ``<file>.*.attestation``):
    its exit status and its output, on one line (``--verbose`` shows the registry's reason,
    wrapped to the terminal)."""
    done = subprocess.run(
        [sys.executable, "-m", "twine", "upload", "--repository-url", url, "-u", "__token__",
         "-p", token, "--non-interactive", "--disable-progress-bar", "--verbose",
         "--attestations", *map(str, paths)], capture_output=True, text=True, timeout=120)
    return done.returncode, " ".join((done.stdout + done.stderr).split())


def test_attestations_that_do_not_prove_the_file_are_refused_and_nothing_is_kept(
        attested: Server, tmp_path: Path) -> None:
    project = "pypi-attestations"
    # 1. the same attestation, with another publisher configured (another workflow file)
    attested.admin("publisher", "add", "--project", project, "--repository",
                   GITHUB_REPOSITORY, "--workflow", "publish.yml",
                   "--jwks", str(tmp_path / "unused-jwks.json"))
    stager = attested.maintainer(project, "stage")
    client = attested.client(stager.token)
    session = client.create(project, "0.0.19").json()
    real = Artifact.from_path(ASSETS / GITHUB_SDIST)
    file = client.start_file(session, real).json()
    assert client.send_bytes(file, real.path.read_bytes()).status_code == 200
    refused = client.http.post(file["mechanism"]["attestations_url"],
                               json=[attestation(GITHUB_SDIST)])
    assert refused.status_code == 400
    problem = refused.json()
    assert problem["code"] == "provenance_refused"
    assert "not a trusted publisher" in problem["detail"]
    assert f"{GITHUB_REPOSITORY}/.github/workflows/release.yml" in problem["detail"]
    assert "publish.yml" in problem["detail"]  # what is trusted instead
    kept = client.status(session)
    assert kept["files"][GITHUB_SDIST]["provenance"] is None

    # with the right publisher as well, the same attestation is accepted for the real file
    attested.admin("publisher", "add", "--project", project, "--repository",
                   GITHUB_REPOSITORY, "--workflow", GITHUB_WORKFLOW)
    accepted = client.http.post(file["mechanism"]["attestations_url"],
                                json=[attestation(GITHUB_SDIST)])
    assert accepted.status_code == 200, accepted.text
    assert client.status(session)["files"][GITHUB_SDIST]["provenance"]["publisher"][
        "workflow"] == GITHUB_WORKFLOW
    assert client.http.delete(file["links"]["file-upload-session"]).status_code == 204
    before = client.status(session)

    # 2. a tampered copy of the file, through twine's legacy upload: refused with the reason
    copy = tampered(GITHUB_SDIST, tmp_path / "tampered")
    (copy.parent / f"{GITHUB_SDIST}.publish.attestation").write_text(
        (ASSETS / f"{GITHUB_SDIST}.publish.attestation").read_text())
    stored = attested.stored_digests()
    status, output = twine(f"{attested.url}/legacy/staged/", stager.token, copy,
                           copy.parent / f"{GITHUB_SDIST}.publish.attestation")
    assert status != 0 and "400" in output
    assert "other contents than this" in output, output
    after = client.status(session)
    assert after["files"] == before["files"] and after["history"] == before["history"]
    assert attested.stored_digests() == stored, "the tampered bytes were stored"
    # over PEP 694 too: the attestation is checked against the file's declared sha256
    bad = client.start_file(session, Artifact.from_path(copy)).json()
    refused = client.http.post(bad["mechanism"]["attestations_url"],
                               json=[attestation(GITHUB_SDIST)])
    assert refused.status_code == 400 and "other contents" in refused.json()["detail"]

    # 3. the attestation of one file for another file (an earlier release's sdist)
    other = copy_with_attestation(GITHUB_EARLIER_SDIST, tmp_path / "other")
    (other.parent / f"{GITHUB_EARLIER_SDIST}.publish.attestation").write_text(
        (ASSETS / f"{GITHUB_SDIST}.publish.attestation").read_text())
    status, output = twine(f"{attested.url}/legacy/staged/", stager.token, other,
                           other.parent / f"{GITHUB_EARLIER_SDIST}.publish.attestation")
    assert status != 0
    assert f"attests {GITHUB_SDIST}, not {GITHUB_EARLIER_SDIST}" in output, output
    listed = client.http.get("/upload/2.0/sessions", params={"project": project}).json()
    assert [item["version"] for item in listed["sessions"]] == ["0.0.19"], \
        "a session was opened for the refused upload"
    assert attested.stored_digests() == stored


def test_the_trust_root_is_a_registry_setting(storage_factory: Callable[[], Storage],
                                              tmp_path_factory: pytest.TempPathFactory) -> None:
    """An attestation signed on Sigstore's staging instance does not verify on a registry set
    to production (the default); with ``serve --sigstore-staging`` its signature verifies,
    and it is then refused for what it is: an email identity, not a trusted publisher."""
    answers = {}
    for extra in ((), ("--sigstore-staging",)):
        server = Server.over(tmp_path_factory.mktemp("root") / "data", storage_factory(),
                             extra=extra).start()
        try:
            project = "rfc8785"
            server.admin("publisher", "add", "--project", project, "--repository",
                         "trailofbits/rfc8785.py", "--workflow", "release.yml")
            client = server.client(server.maintainer(project, "stage").token)
            session = client.create(project, "0.1.2").json()
            wheel = Artifact.from_path(ASSETS / STAGING_WHEEL)
            file = client.start_file(session, wheel).json()
            answer = client.http.post(file["mechanism"]["attestations_url"],
                                      json=[attestation(STAGING_WHEEL)])
            assert answer.status_code == 400
            answers[bool(extra)] = answer.json()["detail"]
        finally:
            server.stop()
    assert "certificate chain" in answers[False]
    assert "william@yossarian.net" in answers[True] and "not a trusted publisher" in answers[True]


def test_a_project_without_trusted_publishers_takes_no_attestations(
        attested: Server) -> None:
    project = unique_name("untrusted")
    client = attested.client(attested.maintainer(project, "stage").token)
    session = client.create(project, "1.0").json()
    data = sdist_bytes(project, "1.0")
    file = client.start_bytes(session, f"{project.replace('-', '_')}-1.0.tar.gz", data).json()
    answer = client.http.post(file["mechanism"]["attestations_url"],
                              json=[attestation(GITHUB_SDIST)])
    assert answer.status_code == 400
    assert "has none" in answer.json()["detail"]
    assert "hatch-stage admin publisher add" in answer.json()["detail"]


def test_github_publishers_verify_what_pypi_attestations_verifies(offline_sigstore: None,
                                                                 ) -> None:
    """The registry's check and pypi-attestations' agree on the real GitHub attestation."""
    from hatch_stage.provenance import verify_attestations

    dist = Distribution.from_file(ASSETS / GITHUB_SDIST)
    item = attestation(GITHUB_SDIST)
    ours = verify_attestations([item], dist.name, dist.digest, [GITHUB_PUBLISHER])
    from pypi_attestations import Attestation

    theirs = Attestation.model_validate(item).verify(
        GitHubPublisher(repository=GITHUB_REPOSITORY, workflow=GITHUB_WORKFLOW), dist,
        offline=True)
    assert ours.predicate_types == (theirs[0],)
    assert ours.signed_by.ref == "refs/tags/v0.0.19"
