"""Planted secrets: each kind, alone in an otherwise clean project, blocks under default settings.

The sample project is built by hatchling (sdist and wheel) with one secret planted in library
code, in a data file shipped in the package, or in a ``tests/`` module; the dry run must block,
name the member and line, and never show the secret, on screen or in ``--json``.

Generic evidence (keyword literals, entropy strings, URL credentials, private keys, credential
files) blocks in library code and data; in tests it is reported with low confidence instead
(see ``test_gate.py``), so the ``tests/`` cases are the provider formats, which block anywhere.
"""

from __future__ import annotations

import base64
import json
import math
import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from secretkinds import ALNUM, TOKENS, jwt, password, pick, private_key_block

from hatch_stage.commands.common import render_report
from hatch_stage.config import Config
from hatch_stage.pipeline import Pipeline, StageReport
from hatch_stage.plugins import plugin_manager
from hatch_stage.project import load_project

SCANNING = ["python-pack", "detect-secrets", "blocked-files"]
LOCATIONS = ("src/sample_pkg/vault.py", "src/sample_pkg/data/service.json", "tests/test_remote.py")


@dataclass(frozen=True)
class Plant:
    """One secret in one file: where, what the file holds, which line names it."""

    path: str
    text: str
    secret: str
    line: int


def token_plant(kind: str, index: int) -> Callable[[], Plant]:
    """A provider token, in code, data or a test module by turns."""
    def make() -> Plant:
        token = TOKENS[kind]()
        path = LOCATIONS[index % 3]
        if path.endswith(".json"):
            text = json.dumps({"service": "billing", "credential": token}, indent=2) + "\n"
            return Plant(path, text, token, 3)
        return Plant(path, f'"""Remote service."""\n\nENDPOINT = "billing"\nVALUE = "{token}"\n',
                     token, 4)
    return make


#: detect-secrets' default entropy limits: a random string at or below its limit (about 2 in
#: 100 base64 strings of this length) is, rightly, no finding, so the plant is drawn again
BASE64_LIMIT = 4.5
HEX_LIMIT = 3.0
HEX_DIGITS = "0123456789abcdef"


def shannon_entropy(text: str) -> float:
    return -sum(count / len(text) * math.log2(count / len(text))
                for count in Counter(text).values())


def above_entropy(limit: float, draw: Callable[[], str]) -> str:
    """A random string whose entropy clears ``limit`` with a margin."""
    while True:
        value = draw()
        if shannon_entropy(value) > limit + 0.1:
            return value


def generic(path: str, template: str, line: int, value: Callable[[], str]) -> Callable[[], Plant]:
    def make() -> Plant:
        secret = value()
        return Plant(path, template.format(secret=secret), secret, line)
    return make


def _docker_auth() -> str:
    return base64.b64encode(f"deploy:{pick(ALNUM, 18)}".encode()).decode()


def _service_account(key: str) -> str:
    return json.dumps({"type": "service_account", "project_id": "billing-prod",
                       "private_key_id": pick("0123456789abcdef", 40), "private_key": key,
                       "client_email": "deploy@billing-prod.iam.gserviceaccount.com"}, indent=2)


def _pgp_block() -> str:
    body = base64.b64encode(secrets.token_bytes(400)).decode()
    lines = [body[i:i + 64] for i in range(0, len(body), 64)]
    return "\n".join(["-----BEGIN PGP PRIVATE KEY BLOCK-----", "", *lines,
                      "-----END PGP PRIVATE KEY BLOCK-----"]) + "\n"


CODE = "src/sample_pkg/settings.py"
DATA = "src/sample_pkg/data"
PLANTS: dict[str, Callable[[], Plant]] = {
    **{kind: token_plant(kind, index) for index, kind in enumerate(TOKENS)},
    # detect-secrets' generic kinds, in library code and data
    "Secret Keyword in code": generic(CODE, 'HOST = "db"\n\nDB_PASSWORD = "{secret}"\n', 3,
                                      password),
    "Secret Keyword in YAML data": generic(f"{DATA}/settings.yaml",
                                           "database:\n  host: db\n  password: {secret}\n", 3,
                                           lambda: pick(ALNUM, 20)),
    "Base64 High Entropy String": generic(CODE, 'API_TOKEN = "{secret}"\n', 1,
                                          lambda: above_entropy(
                                              BASE64_LIMIT, lambda: base64.b64encode(
                                                  secrets.token_bytes(30)).decode())),
    "Hex High Entropy String": generic(f"{DATA}/webhook.json",
                                       '{{\n  "signing_token": "{secret}"\n}}\n', 2,
                                       lambda: above_entropy(HEX_LIMIT,
                                                             lambda: pick(HEX_DIGITS, 40))),
    "Basic Auth Credentials": generic(CODE, 'DATABASE_URL = "postgresql://deploy:{secret}'
                                      '@db.internal.net:5432/app"\n', 1, lambda: pick(ALNUM, 20)),
    "JSON Web Token": generic(f"{DATA}/session.json", '{{\n  "access_token": "{secret}"\n}}\n',
                              2, jwt),
    "Private Key in code": generic(CODE, 'SIGNING_KEY = """{secret}"""\n', 1, private_key_block),
    "NPM tokens": generic(f"{DATA}/registry.txt", "//registry.npmjs.org/:_authToken={secret}\n",
                          1, TOKENS["npm Access Token"]),
    "Azure Storage Account access key": generic(
        f"{DATA}/storage.cfg", "[storage]\nconnection = DefaultEndpointsProtocol=https;"
        "AccountName=billing;AccountKey={secret};\n", 2,
        lambda: base64.b64encode(secrets.token_bytes(64)).decode()),
    "Artifactory Credentials": generic(f"{DATA}/repo.txt", "token: {secret}\n", 1,
                                       lambda: "AKCp" + pick(ALNUM, 69)),
    # credential files recognised by their content, under names that say nothing
    "OpenSSH private key file": generic(f"{DATA}/deploy_identity", "{secret}", 1,
                                        lambda: private_key_block("OPENSSH")),
    "PGP private key file": generic(f"{DATA}/signing", "{secret}", 1, _pgp_block),
    "git credentials file": generic(f"{DATA}/store", "https://deploy:{secret}@git.internal.net\n",
                                    1, lambda: pick(ALNUM, 20)),
    "netrc file": generic(f"{DATA}/hosts", "machine api.internal.net\n  login deploy\n"
                          "  password {secret}\n", 3, lambda: pick(ALNUM, 20)),
    "docker config.json auths": generic(
        f"{DATA}/registry.json",
        '{{\n  "auths": {{\n    "registry.internal.net": {{\n      "auth": "{secret}"\n'
        "    }}\n  }}\n}}\n", 4, _docker_auth),
    "kubeconfig client key": generic(
        f"{DATA}/cluster.yaml",
        "apiVersion: v1\nkind: Config\nusers:\n- name: deploy\n  user:\n"
        "    client-key-data: {secret}\n", 6,
        lambda: base64.b64encode(private_key_block("EC").encode()).decode()),
    "cloud service-account JSON": generic(f"{DATA}/billing.json", "{secret}", 5,
                                          lambda: _service_account(private_key_block(""))),
    "AWS credentials file": generic(f"{DATA}/profile.ini",
                                    "[default]\naws_access_key_id = {secret}\n"
                                    "aws_secret_access_key = "
                                    + base64.b64encode(secrets.token_bytes(30)).decode() + "\n",
                                    2, TOKENS["AWS Access Key"]),
}


def dry_run(project: Path) -> StageReport:
    config = Config()
    pipeline = Pipeline(load_project(project, config), config, plugin_manager(only=SCANNING))
    return pipeline.prepare([], project / ".work")


def test_at_least_thirty_kinds_in_every_place() -> None:
    assert len(PLANTS) >= 30
    places = {plant().path.split("/")[0 if plant().path.startswith("tests") else 2]
              for plant in PLANTS.values()}
    assert {"tests", "vault.py", "data", "settings.py"} <= places


@pytest.mark.parametrize("kind", list(PLANTS))
def test_planted_secret_blocks_is_named_and_never_shown(
    kind: str, sample_project: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    plant = PLANTS[kind]()
    target = sample_project / plant.path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(plant.text, encoding="utf-8")

    report = dry_run(sample_project)

    blocking = report.blocking_findings
    assert report.blockers, f"{kind} did not block: {report.findings}"
    named = [f for f in blocking if f.member.endswith(plant.path.removeprefix("src/"))]
    assert named, [(f.member, f.type, f.rule) for f in blocking]
    assert plant.line in {f.line for f in named}, [(f.line, f.type) for f in named]
    render_report(report)
    shown = capsys.readouterr().out + json.dumps(report.as_json()) + repr(report.findings)
    assert f"{plant.path.removeprefix('src/')}:{plant.line}" in shown
    for piece in {plant.secret, plant.secret[4:], plant.secret[-12:]}:
        assert piece not in shown


def test_the_sample_project_alone_does_not_block(sample_project: Path) -> None:
    report = dry_run(sample_project)
    assert report.findings == () and not report.blockers
