"""Must-show 6, promotion: on approval the release is forwarded to an upstream index (a real
pypiserver started here) before it shows as published, and pip installs it from there; a
failed promotion leaves the session in ``error`` with the reason and nothing public.

Issue 8, must-show 4: whatever fails (an upstream answering 500, an upstream refusing, a file
the registry cannot read), the session ends in ``error`` with the reason and its history says
so, never stuck in ``processing``; a later approval retries it. The failing upstream is a
stand-in on 127.0.0.1 (PyPI itself cannot be made to fail here).

Issue 10, must-show 3: promotion forwards each file's verified attestations in the legacy
upload's ``attestations`` field, as twine does. The public index (which would verify them)
cannot run here: a stand-in upstream on 127.0.0.1 records the form it receives; a real
pypiserver still takes an attested release."""

from __future__ import annotations

import email.parser
import email.policy
import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import pytest
from provenancekit import (
    ASSETS,
    GITHUB_EARLIER_SDIST,
    GITLAB_CI_FILE,
    GITLAB_PROJECT,
    GITLAB_SDIST,
    MODELS_SDIST,
    attestation,
)
from stagekit import (
    Server,
    free_port,
    installed_release,
    pip_install,
    twine_upload,
    unique_name,
)
from stagekit import pypiserver as running_pypiserver

from hatch_stage.models import Artifact


@pytest.fixture(scope="module")
def pypiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with running_pypiserver(tmp_path_factory.mktemp("upstream-packages")) as url:
        yield url


def test_approval_promotes_to_upstream(server: Server, pypiserver: str, release_factory,
                                       tmp_path: Path) -> None:
    name = unique_name("promoted")
    settings = server.admin_cli("project", "set", name, "--upstream-url", f"{pypiserver}/",
                                "--upstream-token-stdin", stdin="pypi-upstream-secret\n")
    assert settings["data"]["upstream_token_set"] is True
    assert "pypi-upstream-secret" not in str(settings)

    maintainer = server.maintainer(name)
    client = server.client(maintainer.token)
    session = client.stage(name, "1.0.0", release_factory(name, "1.0.0"))
    assert pip_install(f"{pypiserver}/simple/", f"{name}==1.0.0",
                       tmp_path / "too-early").returncode != 0

    published = client.publish(session, maintainer.otp())
    assert published.status_code == 201, published.text
    installed = pip_install(f"{pypiserver}/simple/", f"{name}==1.0.0", tmp_path / "upstream")
    assert installed.returncode == 0, installed.stderr
    assert installed_release(tmp_path / "upstream", name) == f'RELEASE = "{name} 1.0.0"\n'
    assert httpx2.get(f"{server.url}/simple/{name}/").status_code == 200


def test_failed_promotion_leaves_error_and_nothing_public(
        server: Server, pypiserver: str, release_factory) -> None:
    name = unique_name("unpromoted")
    dead = f"http://127.0.0.1:{free_port()}/"
    server.admin("project", "set", name, "--upstream-url", dead)
    maintainer = server.maintainer(name)
    client = server.client(maintainer.token)
    session = client.stage(name, "1.0", release_factory(name, "1.0"))

    failed = client.publish(session, maintainer.otp())
    assert failed.status_code == 502
    status = client.status(session)
    assert status["status"] == "error"
    assert "promotion" in status["notices"][0] and dead in status["notices"][0]
    assert httpx2.get(f"{server.url}/simple/{name}/").status_code == 404
    assert httpx2.get(session["links"]["stage"]).status_code == 200  # still previewable

    # error is editable: fix the upstream and approve again
    server.admin("project", "set", name, "--upstream-url", f"{pypiserver}/")
    retried = client.publish(session, maintainer.otp(1))
    assert retried.status_code == 201, retried.text
    assert client.status(session)["notices"] == []
    assert name.replace("-", "_") in httpx2.get(f"{pypiserver}/simple/{name}/").text.replace(
        "-", "_")


class _Answering(BaseHTTPRequestHandler):
    """An upstream index stand-in that answers every upload with one status, and keeps each
    upload's form."""

    def do_POST(self) -> None:
        owner: Standin = self.server.owner  # type: ignore[attr-defined]
        body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        owner.forms.append(form_of(self.headers.get("Content-Type", ""), body))
        owner.requests += 1
        message = owner.message.encode()
        self.send_response(owner.status, owner.message)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(message)))
        self.end_headers()
        self.wfile.write(message)

    def log_message(self, format: str, *args: object) -> None:
        pass


def form_of(content_type: str, body: bytes) -> dict[str, list[bytes]]:
    """A multipart/form-data body as {field: [values]}, read by the standard library."""
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(
        f"Content-Type: {content_type}\r\n\r\n".encode() + body)
    fields: dict[str, list[bytes]] = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        fields.setdefault(str(name), []).append(part.get_payload(decode=True) or b"")
    return fields


class Standin:
    """An upstream on 127.0.0.1: ``status`` and ``message`` for every request; the forms it
    received in ``forms``."""

    def __init__(self, status: int, message: str) -> None:
        self.status, self.message, self.requests = status, message, 0
        self.forms: list[dict[str, list[bytes]]] = []
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Answering)
        self.httpd.owner = self  # type: ignore[attr-defined]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _staged(server: Server, release_factory, prefix: str, upstream: str) -> tuple[Any, Any, Any]:
    name = unique_name(prefix)
    server.admin("project", "set", name, "--upstream-url", upstream)
    maintainer = server.maintainer(name)
    client = server.client(maintainer.token)
    return maintainer, client, client.stage(name, "1.0", release_factory(name, "1.0"))


def _ends_in_error(server: Server, client: Any, session: dict[str, Any], answer: Any,
                   *reasons: str) -> dict[str, Any]:
    """The publish failed, the session is in error (never processing) with the reason, its
    history says so, and nothing is public."""
    assert answer.status_code == 502, answer.text
    assert answer.json()["code"] == "promotion_failed"
    status = client.status(session)
    assert status["status"] == "error", status
    for reason in reasons:
        assert reason in status["notices"][0], status["notices"]
    assert status["history"][-1]["event"] == "error"
    assert status["history"][-1]["actor"] == "registry"
    assert httpx2.get(f"{server.url}/simple/{session['name']}/").status_code == 404
    return status


@pytest.mark.parametrize(("status", "message"), [
    (500, "Internal Server Error"), (403, "Invalid or non-existent authentication")])
def test_an_upstream_that_fails_or_refuses_leaves_error_and_a_retry_publishes(
        server: Server, pypiserver: str, release_factory, status: int, message: str) -> None:
    standin = Standin(status, message)
    try:
        maintainer, client, session = _staged(server, release_factory, "refused", standin.url)
        failed = client.publish(session, maintainer.otp())
        _ends_in_error(server, client, session, failed, standin.url, str(status))
        # a 500 is retried a bounded number of times; a refusal is final at once
        assert standin.requests == (4 if status == 500 else 1)
        # cancel and a new session are not stuck behind it; the fixed upstream takes it
        server.admin("project", "set", session["name"], "--upstream-url", f"{pypiserver}/")
        retried = client.publish(session, maintainer.otp(1))
        assert retried.status_code == 201, retried.text
        assert client.status(session)["status"] == "published"
    finally:
        standin.close()


def test_pypiserver_refusing_a_file_leaves_error(server: Server, pypiserver: str,
                                                 release_factory) -> None:
    maintainer, client, session = _staged(server, release_factory, "duplicate", f"{pypiserver}/")
    name = session["name"]
    # the release reached the upstream some other way first: pypiserver refuses it again
    sdist = release_factory(name, "1.0")[0]
    sent = twine_upload(f"{pypiserver}/", "unused", [sdist])
    assert sent.returncode == 0, sent.stdout + sent.stderr
    failed = client.publish(session, maintainer.otp())
    _ends_in_error(server, client, session, failed, "refused", sdist.filename)
    # the maintainer can still reject it: error is not a dead end
    assert client.cancel(session, maintainer.otp(1)).status_code == 200


@pytest.mark.parametrize("damage", ["truncated", "missing"])
def test_an_unreadable_file_leaves_error(server: Server, pypiserver: str, release_factory,
                                         damage: str) -> None:
    maintainer, client, session = _staged(server, release_factory, "unreadable",
                                          f"{pypiserver}/")
    wheel = release_factory(session["name"], "1.0")[1]
    server.damage_blob(wheel.sha256, None if damage == "missing" else 100)
    failed = client.publish(session, maintainer.otp())
    expected = "missing from the registry's store" if damage == "missing" else "cannot be read"
    _ends_in_error(server, client, session, failed, wheel.filename, expected)


def _attested(server: Server, distribution: str, upstream: str, *publisher: str,
              ) -> tuple[Any, Any, dict[str, Any]]:
    """A real attested sdist staged over PEP 694 with its real attestation, for a project
    that trusts its ``publisher`` (``publisher add`` flags) and promotes to ``upstream``."""
    project = Artifact.from_path(ASSETS / distribution)
    name = project.filename.split("-")[0].replace("_", "-")
    version = project.filename.split("-")[1].removesuffix(".tar.gz")
    server.admin("project", "set", name, "--upstream-url", upstream)
    server.admin("publisher", "add", "--project", name, *publisher)
    maintainer = server.maintainer(name)
    client = server.client(maintainer.token)
    session = client.create(name, version).json()
    file = client.start_file(session, project).json()
    assert client.send_bytes(file, project.path.read_bytes()).status_code == 200
    attached = client.http.post(file["mechanism"]["attestations_url"],
                                json=[attestation(distribution)])
    assert attached.status_code == 200, attached.text
    assert client.post(file["links"]["complete"]).status_code == 201
    return maintainer, client, client.status(session)


def test_promotion_forwards_the_attestations_as_twine_does(server: Server) -> None:
    standin = Standin(200, "OK")
    try:
        maintainer, client, session = _attested(
            server, MODELS_SDIST, standin.url, "--repository",
            "trailofbits/pypi-attestation-models", "--workflow", "release.yml")
        published = client.publish(session, maintainer.otp())
        assert published.status_code == 201, published.text
    finally:
        standin.close()
    (form,) = standin.forms
    assert form["content"] == [(ASSETS / MODELS_SDIST).read_bytes()]
    assert form["name"] == [b"pypi-attestation-models"] and form["version"] == [b"0.0.4a2"]
    assert json.loads(form["attestations"][0]) == [attestation(MODELS_SDIST)]


def test_a_project_can_promote_without_its_attestations(server: Server) -> None:
    """PyPI takes attestations only from trusted publishing: a project that promotes with an
    API token turns them off (the registry still verifies and serves them)."""
    standin = Standin(200, "OK")
    try:
        maintainer, client, session = _attested(
            server, GITLAB_SDIST, standin.url, "--kind", "gitlab", "--repository",
            GITLAB_PROJECT, "--workflow", GITLAB_CI_FILE)
        settings = server.admin("project", "set", "gitlab-oidc-project",
                                "--no-upstream-attestations")
        assert settings["upstream_attestations"] is False
        assert client.publish(session, maintainer.otp()).status_code == 201
    finally:
        standin.close()
    (form,) = standin.forms
    assert "attestations" not in form and form["name"] == [b"gitlab-oidc-project"]
    assert client.status(session)["files"][GITLAB_SDIST]["provenance"] is not None


def test_pypiserver_takes_an_attested_release(server: Server, tmp_path: Path) -> None:
    with running_pypiserver(tmp_path / "packages") as upstream:
        maintainer, client, session = _attested(
            server, GITHUB_EARLIER_SDIST, f"{upstream}/", "--repository",
            "trailofbits/pypi-attestations", "--workflow", "release.yml")
        # the sdist's tests hold sha256 digests the scan reports; the reviewer allows them
        published = client.publish(session, maintainer.otp(), **{"allow-secrets": True})
        assert published.status_code == 201, published.text
        listed = httpx2.get(f"{upstream}/simple/pypi-attestations/")
        assert GITHUB_EARLIER_SDIST in listed.text
    assert (tmp_path / "packages" / GITHUB_EARLIER_SDIST).read_bytes() == (
        ASSETS / GITHUB_EARLIER_SDIST).read_bytes()
