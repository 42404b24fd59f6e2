"""Must-show 6, promotion: on approval the release is forwarded to an upstream index (a real
pypiserver started here) before it shows as published, and pip installs it from there; a
failed promotion leaves the session in ``error`` with the reason and nothing public."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx2
import pytest
from stagekit import (
    Server,
    free_port,
    installed_release,
    pip_install,
    unique_name,
    wait_until,
)


@pytest.fixture(scope="module")
def pypiserver(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    packages = tmp_path_factory.mktemp("upstream-packages")
    port = free_port()
    process = subprocess.Popen(
        [str(Path(sys.executable).with_name("pypi-server")), "run", "-i", "127.0.0.1",
         "-p", str(port), "-a", ".", "-P", ".", "--disable-fallback", str(packages)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"

    def up() -> bool:
        try:
            return httpx2.get(f"{url}/simple/", timeout=1).status_code == 200
        except httpx2.TransportError:
            return False

    try:
        wait_until(up, 30, "pypiserver")
        yield url
    finally:
        process.terminate()
        process.wait(10)


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
