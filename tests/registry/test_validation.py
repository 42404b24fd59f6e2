"""Issue 8, must-show 3: the registry inspects every file it stages. A file that is not a
well-formed wheel or sdist of the session's release ends ``error`` with the reason, and
publishing is refused naming it until it is removed; a valid release passes. The validation
report of a release is the client's dry run (same findings, same checks, same score), and its
findings block a publish as the client's gate blocks a stage."""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2
import pytest
from clitools import PROJECTS, run_cli
from secretkinds import TOKENS
from stagekit import (
    Server,
    module_of,
    release_digest,
    sdist_bytes,
    twine_upload,
    unique_name,
    wheel_bytes,
)

from hatch_stage.models import Artifact

#: a file name and bytes that are wrong for the release, and what the reason must say
Bad = tuple[str, bytes, str]


CASES: dict[str, Callable[[str, str], Bad]] = {
    "a .whl that is not a zip": lambda name, version: (
        f"{module_of(name)}-{version}-py3-none-any.whl", b"PK? not really" * 64,
        "not a zip archive"),
    "a wheel naming another project": lambda name, version: (
        f"{module_of(name)}-{version}-py3-none-any.whl",
        wheel_bytes(name, version, metadata_name="requests"), "names project 'requests'"),
    "a wheel of another version": lambda name, version: (
        f"{module_of(name)}-{version}-py3-none-any.whl",
        wheel_bytes(name, version, metadata_version="9.9.9"), "says version 9.9.9"),
    "a RECORD that does not match": lambda name, version: (
        f"{module_of(name)}-{version}-py3-none-any.whl", wheel_bytes(name, version, tamper=True),
        "RECORD hash or size does not match"),
    "WHEEL tags that are not the file name's": lambda name, version: (
        f"{module_of(name)}-{version}-cp312-cp312-manylinux_2_17_x86_64.whl",
        wheel_bytes(name, version, "cp312-cp312-manylinux_2_17_x86_64", wheel_tag="py3-none-any"),
        "WHEEL declares tags py3-none-any"),
    "a tarball with two top directories": lambda name, version: (
        f"{module_of(name)}-{version}.tar.gz",
        sdist_bytes(name, version, b"data", extra={"elsewhere/setup.py": b"import os\n"}),
        "one top directory"),
    "an sdist whose PKG-INFO is another version": lambda name, version: (
        f"{module_of(name)}-{version}.tar.gz",
        sdist_bytes(name, version, metadata=f"Metadata-Version: 2.1\nName: {name}\n"
                                            "Version: 0.0.1\n"), "says version 0.0.1"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_a_malformed_file_ends_in_error_and_blocks_publishing(
        server: Server, release_factory, case: str) -> None:
    name = unique_name("inspected")
    maintainer = server.maintainer(name)
    client = server.client(maintainer.token)
    sdist, wheel = release_factory(name, "1.0")
    filename, data, reason = CASES[case](name, "1.0")
    session = client.create(name, "1.0").json()
    for artifact in (sdist, wheel):
        if artifact.filename != filename:
            client.upload(session, artifact)

    refused = client.upload_bytes(session, filename, data)
    assert refused.status_code == 422, refused.text
    problem = refused.json()
    assert problem["code"] == "invalid_file" and reason in problem["detail"]
    entry = client.status(session)["files"][filename]
    assert entry["status"] == "error" and reason in entry["notices"][0]
    history = client.status(session)["history"]
    assert history[-1]["event"] == "failed" and history[-1]["filename"] == filename
    assert history[-1]["actor"] == maintainer.user and reason in history[-1]["reason"]

    blocked = client.publish(session, maintainer.otp())
    assert blocked.status_code == 409, blocked.text
    assert blocked.json()["code"] == "files_not_ready"
    assert filename in blocked.json()["detail"] and reason in blocked.json()["detail"]
    assert httpx2.get(f"{server.url}/simple/{name}/").status_code == 404
    assert httpx2.get(f"{session['links']['stage']}files/{filename}").status_code == 404

    # removed, the rest of the release (valid) publishes with the same, unspent code
    client.http.delete(entry["link"]).raise_for_status()
    removed = client.status(session)["history"][-1]
    assert (removed["event"], removed["filename"], removed["actor"]) == (
        "removed", filename, maintainer.user)
    published = client.publish(session, maintainer.otp())
    assert published.status_code == 201, published.text
    assert filename not in published.json()["files"]


def test_a_valid_release_passes_and_its_report_is_the_client_dry_run(
        server: Server, tmp_path: Path) -> None:
    """The sample project with a credential in a module: the registry's report of the staged
    files equals ``hatch-stage check --json`` on them (findings, checks, score), and the
    finding blocks a publish unless the approval allows it."""
    name = unique_name("reported")
    project = tmp_path / "project"
    shutil.copytree(PROJECTS / "sample", project)
    pyproject = project / "pyproject.toml"
    pyproject.write_text(pyproject.read_text().replace('name = "sample-pkg"', f'name = "{name}"')
                         + '\n[tool.hatch.build.targets.wheel]\npackages = ["src/sample_pkg"]\n')
    key = TOKENS["AWS Access Key"]()  # a fresh one: a keyboard row would be a test vector
    (project / "src" / "sample_pkg" / "settings.py").write_text(f'AWS_KEY = "{key}"\n')
    kept = tmp_path / "kept"
    run = run_cli(["check", "--json", "--out", str(kept)], cwd=project,
                  env={"HATCH_STAGE_TOKEN": None})
    dry_run = json.loads(run.stdout)
    assert run.returncode == 1 and dry_run["error_code"] == "secrets_found"
    assert {f["member"].rsplit("/", 1)[-1] for f in dry_run["findings"]} == {"settings.py"}

    maintainer = server.maintainer(name)
    client = server.client(server.maintainer(name, role="stage").token)
    artifacts = [Artifact.from_path(path) for path in sorted(kept.iterdir())]
    session = client.stage(name, dry_run["version"], artifacts)
    assert {entry["status"] for entry in session["files"].values()} == {"completed"}
    report = session["validation"]
    assert report["release-digest"] == session["release-digest"] == release_digest(session)

    def ordered(findings: list[dict[str, Any]]) -> list[str]:
        return sorted(json.dumps({k: v for k, v in f.items() if k != "blocking"}, sort_keys=True)
                      for f in findings)

    assert ordered(report["findings"]) == ordered(dry_run["findings"])
    assert all(finding["blocking"] for finding in report["findings"]) and report["blocked"]
    assert report["checks"] == dry_run["quality"]["checks"]
    assert report["score"] == dry_run["quality"]["score"]
    assert key not in json.dumps(session)

    approving = server.client(maintainer.token)
    blocked = approving.publish(session, maintainer.otp())
    assert blocked.status_code == 409 and blocked.json()["code"] == "secrets_found"
    assert "settings.py" in blocked.json()["detail"] and key not in blocked.text
    allowed = approving.publish(session, maintainer.otp(), **{"allow-secrets": True})
    assert allowed.status_code == 201, allowed.text


def test_twine_uploads_are_inspected_too(server: Server, release_factory, tmp_path: Path) -> None:
    """The legacy API refuses a malformed file outright (twine shows the reason) and stores
    nothing; a valid one is staged with its report."""
    name = unique_name("twine-inspected")
    stager = server.maintainer(name, role="stage")
    bad = tmp_path / f"{module_of(name)}-1.0-py3-none-any.whl"
    bad.write_bytes(wheel_bytes(name, "1.0", tamper=True))
    refused = twine_upload(f"{server.url}/legacy/staged/", stager.token, [Artifact(bad, "wheel")])
    assert refused.returncode != 0
    shown = " ".join((refused.stdout + refused.stderr).split())  # rich wraps long lines
    assert "RECORD hash or size does not match" in shown
    listing = server.client(stager.token).http.get("/upload/2.0/sessions",
                                                   params={"project": name}).json()
    assert listing["sessions"] == []

    uploaded = twine_upload(f"{server.url}/legacy/staged/", stager.token,
                            release_factory(name, "1.0"))
    assert uploaded.returncode == 0, uploaded.stdout + uploaded.stderr
    (session,) = server.client(stager.token).http.get(
        "/upload/2.0/sessions", params={"project": name}).json()["sessions"]
    assert session["validation"]["findings"] == [] and session["validation"]["score"] > 0
    assert [event["event"] for event in session["history"]] == ["created", "added", "added"]
