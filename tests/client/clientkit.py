"""Helpers of the client tests: a copy of the sample project under a name of its own, the real
``hatch-stage`` command line run in an isolated home (every output kept, to grep for leaked
secrets), and the ``--json`` schemas every command's output must match.

A plain module (not conftest.py), imported by name from tests/client."""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from clitools import PROJECTS, Run, run_cli
from stagekit import Account, Server, unique_name

#: variables of the calling environment that would change what the CLI does: CI markers
#: (trusted publishing), GitHub's OIDC request variables, hatch's publish settings (and every
#: HATCH_STAGE_* variable)
UNSET = (
    "GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI", "GOOGLE_SERVICE_ACCOUNT_NAME",
    "ACTIONS_ID_TOKEN_REQUEST_URL", "ACTIONS_ID_TOKEN_REQUEST_TOKEN", "HATCH_INDEX_USER",
    "HATCH_INDEX_AUTH", "HATCH_INDEX_REPO", "HATCH_PUBLISHER", "HATCH_PUBLISHER_OPTIONS",
)

#: what a registry token looks like (``hst_`` + 43 URL-safe characters)
TOKEN = re.compile(r"hst_[A-Za-z0-9_-]{30,}")

# the sample project ------------------------------------------------------------------------

@dataclass
class Sample:
    """A copy of tests/fixtures/projects/sample renamed, so tests can share one registry."""

    root: Path
    name: str
    version: str

    @classmethod
    def create(cls, directory: Path, version: str = "1.0.0", prefix: str = "client") -> Sample:
        name = unique_name(prefix)
        root = directory / name
        shutil.copytree(PROJECTS / "sample", root)
        pyproject = root / "pyproject.toml"
        text = pyproject.read_text().replace('name = "sample-pkg"', f'name = "{name}"')
        # the import package keeps its name: tell hatchling where it is
        text += '\n[tool.hatch.build.targets.wheel]\npackages = ["src/sample_pkg"]\n'
        pyproject.write_text(text)
        sample = cls(root, name, version)
        sample.set_version(version)
        return sample

    def set_version(self, version: str) -> None:
        pyproject = self.root / "pyproject.toml"
        text = re.sub(r'(?m)^version = ".*"$', f'version = "{version}"', pyproject.read_text())
        pyproject.write_text(text)
        self.version = version


# the command line ---------------------------------------------------------------------------

@dataclass
class Cli:
    """Runs the real ``hatch-stage`` with HOME, XDG dirs, keyring and .pypirc in ``home``.

    Every run is kept; :meth:`assert_nothing_leaked` greps all of them (and the registry's
    log) for every secret the test handed out.
    """

    home: Path
    server: Server
    secrets: set[str] = field(default_factory=set)
    runs: list[tuple[list[str], Run]] = field(default_factory=list)

    def __post_init__(self) -> None:
        for directory in ("data", "config", "cache", "state", "store", "hatch"):
            (self.home / directory).mkdir(parents=True, exist_ok=True)
        (self.home / "hatch" / "config.toml").touch()

    @property
    def env(self) -> dict[str, str | None]:
        """The isolated environment (a None value unsets the variable)."""
        inherited = [name for name in os.environ if name.startswith("HATCH_STAGE_")]
        environment: dict[str, str | None] = dict.fromkeys([*UNSET, *inherited])
        environment.update(
            HOME=str(self.home),
            XDG_DATA_HOME=str(self.home / "data"),
            XDG_CONFIG_HOME=str(self.home / "config"),
            XDG_CACHE_HOME=str(self.home / "cache"),
            XDG_STATE_HOME=str(self.home / "state"),
            HATCH_STAGE_HOME=str(self.home / "store"),
            HATCH_CONFIG=str(self.home / "hatch" / "config.toml"),
            PYPIRC=str(self.home / ".pypirc"),
            PYTHON_KEYRING_BACKEND="keyrings.alt.file.PlaintextKeyring",
        )
        return environment

    def secret(self, *values: str) -> None:
        self.secrets.update(values)

    def account(self, project: str, role: str = "maintain") -> Account:
        """A user with TOTP and a token on the registry; both secrets are watched."""
        account = self.server.maintainer(project, role)
        self.secret(account.token, account.totp_secret)
        return account

    def __call__(
        self,
        *args: str,
        env: Mapping[str, str | None] | None = None,
        cwd: Path | None = None,
        input: str | None = None,
        close_stdin: bool = False,
        timeout: float = 120,
    ) -> Run:
        run = run_cli(list(args), cwd=cwd, env={**self.env, **(env or {})}, input=input,
                      timeout=timeout, close_stdin=close_stdin)
        self.runs.append((list(args), run))
        return run

    def json(self, *args: str, **kwargs: Any) -> dict[str, Any]:
        """Run with ``--json``; stdout must be exactly one JSON object (nothing before/after)."""
        run = self(*args, "--json", **kwargs)
        return one_document(run)

    def record(self, what: str, output: str) -> None:
        """Keep output of another program (hatch, pip) for the secret grep."""
        self.runs.append(([what], Run(0, output, "")))

    def assert_nothing_leaked(self) -> None:
        texts = [(" ".join(args), run.stdout + run.stderr) for args, run in self.runs]
        texts.append(("the registry's log", self.server.log()))
        for where, text in texts:
            for secret in self.secrets:
                assert secret not in text, f"a secret appeared in the output of {where}"
            # also tokens the test never saw (those minted for CI inside the command)
            assert not TOKEN.search(text), f"a token appeared in the output of {where}"


def one_document(run: Run) -> dict[str, Any]:
    """The single JSON object a ``--json`` run printed; fails on anything else on stdout."""
    try:
        document = json.loads(run.stdout)
    except json.JSONDecodeError as error:
        raise AssertionError(f"stdout is not one JSON document ({error}):\n{run.stdout}\n"
                             f"stderr:\n{run.stderr}") from None
    assert isinstance(document, dict), run.stdout
    assert (run.returncode == 0) == (document.get("success") is True), (
        f"exit status {run.returncode} for {document}\nstderr:\n{run.stderr}")
    return document


# --json schemas -----------------------------------------------------------------------------
# A schema maps a key to: a type; a tuple of types (None for null); a nested schema (dict);
# [schema] for a list of such items; or a literal value the key must equal. A key ending in
# "?" may be absent. Keys a schema does not name are allowed (the registry's own documents
# carry more than we check).

def check(document: Any, schema: Any, where: str = "$") -> None:
    """Raise AssertionError naming the first place ``document`` does not match ``schema``."""
    if isinstance(schema, dict):
        assert isinstance(document, dict), f"{where}: expected an object, got {document!r}"
        for key, spec in schema.items():
            optional = key.endswith("?")
            name = key.rstrip("?")
            if name not in document:
                assert optional, f"{where}: missing key {name!r} in {sorted(document)}"
                continue
            check(document[name], spec, f"{where}.{name}")
    elif isinstance(schema, list):
        assert isinstance(document, list), f"{where}: expected a list, got {document!r}"
        for index, item in enumerate(document):
            check(item, schema[0], f"{where}[{index}]")
    elif isinstance(schema, tuple):
        types = tuple(type(None) if kind is None else kind for kind in schema)
        assert isinstance(document, types), f"{where}: {document!r} is not one of {types}"
        assert not (isinstance(document, bool) and bool not in types), f"{where}: a boolean"
    elif isinstance(schema, type):
        assert isinstance(document, schema), f"{where}: {document!r} is not a {schema.__name__}"
        assert schema is bool or not isinstance(document, bool), f"{where}: a boolean"
    else:
        assert document == schema and type(document) is type(schema), (
            f"{where}: {document!r} is not {schema!r}")


OPTIONAL_STR = (str, None)
ENVELOPE = {"success": True, "target": "python", "registry": str}
SESSION = {
    "id": str, "name": str, "version": str, "status": str, "created-at": str,
    "links": {"stage": str, "session": str, "upload": str, "publish": str},
    "files": dict, "notices": list, "release-digest": str,
    "history": [{"at": str, "event": str, "actor": str, "actor-type": str,
                 "filename": OPTIONAL_STR, "reason": OPTIONAL_STR}],
    "validation": (dict, None),
}
ITEM = {
    "stageId": str, "name": str, "version": str, "tag": OPTIONAL_STR,
    "status": OPTIONAL_STR, "createdAt": OPTIONAL_STR, "digest": OPTIONAL_STR,
    "registry": SESSION,
}
FILE = {"filename": str, "kind": str, "size": int, "sha256": str}
REPORT = {
    "success": True, "target": "python", "registry": OPTIONAL_STR, "dry_run": bool,
    "name": str, "version": str, "tag": str, "files": [FILE], "findings": list,
    "baselined_findings": int,
    "quality": {"score": int, "min_score": (int, None),
                "checks": [{"name": str, "points": int, "max_points": int, "passed": bool,
                            "reason": str, "plugin": OPTIONAL_STR}]},
    "provenance": {"attach": bool, "how": str, "files": [str], "note": str},
}
#: a PEP 740 publisher object as the registry serves it (kind, claims, the kind's fields)
PUBLISHER = {"kind": str, "claims": dict}
FLAG = {"rule": str, "reason": str, "artifact": str, "member": str, "line": (int, None),
        "detail": str, "plugin": str}
CHANGE = {"change": str, "old": (str, None), "new": (str, None)}
DIFF = {
    "target": str, "name": str, "version": str, "against": OPTIONAL_STR, "first_release": bool,
    "counts": {"flags": int, "files_added": int, "files_removed": int, "files_changed": int,
               "dependencies_added": int},
    "flags": [FLAG],
    "artifacts": [{"filename": str, "kind": str, "against": OPTIONAL_STR, "note": str,
                   "counts": {"added": int, "removed": int, "changed": int, "unchanged": int},
                   "files": [{"path": str, "change": str, "old_size": (int, None),
                              "new_size": (int, None), "size_delta": int,
                              "old_sha256": OPTIONAL_STR, "new_sha256": OPTIONAL_STR,
                              "binary": bool, "diff?": str, "note?": str}]}],
    "unmatched": [str],
    "metadata": [{"field": str, **CHANGE, "new_host": OPTIONAL_STR}],
    "dependencies": [{"name": str, "group": str, **CHANGE}],
    "entry_points": [{"group": str, "name": str, **CHANGE}],
    "provenance": {"files": [{"filename": str, "signed_by": (dict, None),
                              "against": OPTIONAL_STR, "previous": (dict, None)}],
                   "previous_signers": [PUBLISHER]},
}
VERDICT = {"filename": str, "status": str, "reason": str, "rebuilt": OPTIONAL_STR,
           "differences": [{"member": str, "problem": str, "staged_sha256": OPTIONAL_STR,
                            "rebuilt_sha256": OPTIONAL_STR}]}
WORKSPACE_MEMBER = {
    "name": str, "version": OPTIONAL_STR, "directory": str, "state": str,
    "reason": OPTIONAL_STR, "problems": [{"code": str, "message": str}], "requires": [str],
    "stageId": OPTIONAL_STR, "preview_url": OPTIONAL_STR, "report": (dict, None),
}
WORKSPACE = {
    "success": bool, "dry_run": bool, "target": str, "registry": OPTIONAL_STR,
    "workspace": str, "order": [str], "members": [WORKSPACE_MEMBER],
    "group": (dict, None),
}
GROUP = {"id": str, "status": OPTIONAL_STR, "kept": str, "createdAt": OPTIONAL_STR,
         "members": [{"position": int, "stageId": str, "name": str, "version": str,
                      "status": OPTIONAL_STR, "digest": OPTIONAL_STR}]}
SCHEMAS: dict[str, dict[str, Any]] = {
    "error": {"success": False, "target": OPTIONAL_STR, "registry": OPTIONAL_STR,
              "error": str, "error_code": str},
    "check": {**REPORT, "dry_run": True},
    "publish --dry-run": {**REPORT, "dry_run": True},
    "publish": {**REPORT, "dry_run": False, "registry": str, "stageId": str, "auth": str,
                "preview_url": str, "data": SESSION},
    "list": {**ENVELOPE, "data": [{**ITEM, "group": OPTIONAL_STR}], "groups": [GROUP]},
    "publish --workspace": WORKSPACE,
    "view (group)": {**ENVELOPE, "groupId": str,
                     "data": {"group": GROUP, "members": [{**ITEM, "diff": (dict, None)}]}},
    "view": {**ENVELOPE, "stageId": str, "data": {**ITEM, "diff": (dict, None)}},
    "diff": {**ENVELOPE, "stageId": str, "data": DIFF},
    "verify": {"success": bool, "target": "python", "registry": str, "stageId": str,
               "data": {"runs_build_code": True, "note": str, "wheels": [VERDICT]}},
    "verify --publisher": {
        "success": bool, "target": "python", "registry": str, "stageId": str,
        "data": {"runs_build_code": bool, "note": OPTIONAL_STR, "wheels": [VERDICT],
                 "provenance": [{"filename": str, "status": str, "reason": str,
                                 "signed_by": (dict, None)}]}},
    "download": {**ENVELOPE, "stageId": str, "data": {"files": [str], "digest": str}},
    "approve": {**ENVELOPE, "stageId": str, "data": SESSION},
    "approve (batch)": {**ENVELOPE, "data": [{"stageId": str, "result": SESSION}]},
    "reject": {**ENVELOPE, "stageId": str, "data": SESSION},
    "login": {**ENVELOPE, "data": {"stored": True}},
    "logout": {**ENVELOPE, "data": {"removed": bool}},
    "serve": {**ENVELOPE, "data": {"url": str, "pid": int, "data": str, "upload": str,
                                   "simple": str, "legacy": str}},
    "admin": {**ENVELOPE, "data": (dict, list)},
}


def matches(document: Mapping[str, Any], command: str) -> Mapping[str, Any]:
    """``document`` after checking it against the schema of ``command`` (or "error")."""
    check(document, SCHEMAS[command], command)
    return document
