"""The secret gate: confidence, known non-secrets, strict and exact modes, the grouped report,
unparseable files and the ``hatch-stage baseline`` round trip.

Releases are real: hatchling builds of the sample project through the real command line, or
sdists written here for the scan's own rules.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import tarfile
from pathlib import Path

import pytest
from clitools import run_cli
from secretkinds import ALNUM, TOKENS, password, pick, private_key_block

from hatch_stage.config import ScanLimits
from hatch_stage.inspection import blocking, inspect_release, scan_secrets
from hatch_stage.models import Artifact, Finding

DETECT_SECRETS = str(Path(sys.executable).with_name("detect-secrets"))
SHA = "2c9f875913ee60ca25ce70243dc24d5b6415598c"


def sdist(tmp_path: Path, files: dict[str, str], name: str = "demo-1.0") -> Artifact:
    """An sdist holding ``files`` under ``name/``."""
    path = tmp_path / f"{name}.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        for member, text in files.items():
            data = text.encode()
            info = tarfile.TarInfo(f"{name}/{member}")
            info.size = len(data)
            archive.addfile(info, io.BytesIO(data))
    return Artifact(path, "sdist")


def found(artifact: Artifact, *, exact: bool = False) -> list[Finding]:
    return list(scan_secrets([artifact], ScanLimits(), exact=exact).findings)


# --- known non-secrets -------------------------------------------------------------------------

KNOWN_NON_SECRETS = {
    ".pre-commit-config.yaml": (
        "repos:\n  - repo: https://github.com/astral-sh/ruff-pre-commit\n"
        f"    rev: {SHA}  # frozen: v0.9.1\n    hooks:\n      - id: ruff\n"
    ),
    "CHANGELOG.md": f"# Changes\n\n- Fix the parser ({SHA[:12]}, {SHA})\n",
    "requirements.txt": "idna==3.10 \\\n    --hash=sha256:"
    "946d195a0d259cbba61165e88e65941f16e9b36ea6ddb97f00452bae8b1287d3\n",
    "uv.lock": '[[package]]\nname = "idna"\nsdist = { hash = "sha256:'
    '12f65c9b470abda6dc35cf8e63cc574b1c52b11df2c86030af0ac09b01b13ea9" }\n'
    'token = "c2VjcmV0LXNlY3JldC1zZWNyZXQtWXpBeE1qTTBOVFkzT0Rr"\n',
    "package-lock.json": '{"integrity": "sha512-Q2VjcmV0LXNlY3JldC1zZWNyZXQtWXpBeE1qTTBOVFkzT0Rr'
    'c2VjcmV0LXNlY3JldC1zZWNyZXQ=", "secret": "c2VjcmV0LXNlY3JldC1zZWNyZXQtWXpBeE1q"}\n',
    "acme/checksums.py": 'ARCHIVE_SHA256 = "'
    'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"\n'
    'FILE_DIGESTS = {"a.bin": "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a0"}'
    "\n",
    "acme/aws_docs.py": 'ACCESS_KEY_ID = "AKIAIOSFODNN7EXAMPLE"\n'
    'SECRET_ACCESS_KEY = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"\n',
    "acme/urls.py": 'DEFAULT = "postgresql://user:pass@localhost/app"\n'
    'SAMPLE = "mysql://scott:tiger@db.example.com/test"\n',
    "acme/env.py": 'API_TOKEN = "${API_TOKEN}"\nDB_PASSWORD = "{{ db_password }}"\n',
    ".github/workflows/release.yml": "env:\n  PYPI_PASSWORD: ${{ secrets.PYPI_PASSWORD }}\n"
    "  password: ${{ secrets.TOKEN }}\n",
}


def test_known_non_secrets_are_not_findings(tmp_path: Path) -> None:
    artifact = sdist(tmp_path, KNOWN_NON_SECRETS)
    assert found(artifact) == []
    # the same files hold many findings for detect-secrets itself (the exact mode)
    exact = {f.member.split("/", 1)[1] for f in found(artifact, exact=True)}
    assert {".pre-commit-config.yaml", "acme/checksums.py", "acme/aws_docs.py",
            "acme/urls.py"} <= exact


def test_a_provider_token_in_a_hash_context_is_still_found(tmp_path: Path) -> None:
    token = TOKENS["GitHub Token"]()
    artifact = sdist(tmp_path, {"acme/x.py": f'CHECKSUM_TOKEN = "{token}"\n'})
    assert [(f.type, f.confidence) for f in found(artifact)] == [("GitHub Token", "high")]


# --- confidence -----------------------------------------------------------------------------------


def test_generic_evidence_blocks_in_library_code_and_is_low_in_tests_and_docs(
    tmp_path: Path,
) -> None:
    secret = password()
    line = f'DB_PASSWORD = "{secret}"\n'
    artifact = sdist(tmp_path, {
        "acme/settings.py": line, "tests/test_settings.py": line, "docs/setup.md": line,
        "examples/app.py": line, "acme/api.py": f'"""Use it like this::\n\n    {line}"""\n',
    })
    verdicts = {f.member.split("/", 1)[1]: (f.confidence, f.rule) for f in found(artifact)}
    assert verdicts == {
        "acme/settings.py": ("high", "named-high-entropy"),
        "tests/test_settings.py": ("low", "in-tests"),
        "docs/setup.md": ("low", "in-docs"),
        "examples/app.py": ("low", "in-examples"),
        "acme/api.py": ("low", "in-docs"),  # a docstring
    }


@pytest.mark.parametrize(("text", "rule"), [
    ('password = "hunter2hunter2"\n', "low-entropy"),
    ('SECRET_KEY = "AWSSecretKey"\n', "low-entropy"),
    ('TEST_PASSWORD = "Xq7rT9vLm2pW8sKz"\n', "test-vector"),
    ('api_key = "0f1e0f1e0f1e0f1e0f1e0f1e0f1e0f1e"\n', "test-vector"),
    ('BLOB = "c2VjcmV0LXNlY3JldC1zZWNyZXQtWXpBeE1qTTBOVFkzT0Rr"\n', "no-secret-name"),
    ('TOKEN = "ghp_' + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5" + '"\n', "checksum-mismatch"),
    ('MARKER = b"-----BEGIN OPENSSH PRIVATE KEY-----"\n', "key-marker"),
])
def test_low_confidence_rules(tmp_path: Path, text: str, rule: str) -> None:
    findings = found(sdist(tmp_path, {"acme/module.py": text}))
    assert [(f.confidence, f.rule) for f in findings] == [("low", rule)]


def test_keys_and_credential_files_in_fixtures_are_low_elsewhere_high(tmp_path: Path) -> None:
    key = private_key_block()
    artifact = sdist(tmp_path, {"tests/certs/server.key": key, "tests/.env": "TOKEN=x\n",
                                "acme/certs/server.key": key, "acme/.env": "TOKEN=x\n",
                                "PKG-INFO": "Metadata-Version: 2.4\nName: demo\nVersion: 1.0\n"})
    inspection = inspect_release([artifact])
    verdicts = {(f.member.split("/", 1)[1], f.type): f.confidence for f in inspection.findings}
    assert verdicts == {
        ("tests/certs/server.key", "Blocked file"): "low",
        ("tests/certs/server.key", "Private Key"): "low",
        ("tests/.env", "Blocked file"): "low",
        ("acme/certs/server.key", "Blocked file"): "high",
        ("acme/certs/server.key", "Private Key"): "high",
        ("acme/.env", "Blocked file"): "high",
    }


def test_the_gate_rule() -> None:
    high = Finding("a.whl", "a/x.py", 1, "AWS Access Key", "AKIA****", confidence="high")
    low = Finding("a.whl", "tests/x.py", 1, "Secret Keyword", "****", confidence="low")
    outside = Finding("a.whl", "a/y.py", 2, "Acme Token", "****")  # an outside plugin's
    assert blocking([high, low, outside]) == [high, outside]
    assert blocking([high, low, outside], strict=True) == [high, low, outside]
    assert blocking([high, low], allow_secrets=True, strict=True) == []


# --- through the command line ---------------------------------------------------------------------


def plant(project: Path, relative: str, text: str) -> None:
    target = project / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8")


def test_low_findings_are_shown_but_do_not_block_unless_strict(sample_project: Path) -> None:
    secret = password()
    plant(sample_project, "tests/test_login.py", f'PASSWORD = "{secret}"\n')

    result = run_cli(["check", "--json"], cwd=sample_project)
    assert result.returncode == 0, result.stdout
    document = result.json()
    assert document["success"] is True
    assert document["secrets"] == {"blocking": 0, "high": 0, "low": 1, "strict": False,
                                   "scan_mode": "default"}
    [finding] = document["findings"]
    assert (finding["confidence"], finding["rule"]) == ("low", "in-tests")

    human = run_cli(["check"], cwd=sample_project)
    assert human.returncode == 0 and "1 low confidence" in human.stdout
    assert "tests/test_login.py" in human.stdout and secret not in human.stdout

    strict = run_cli(["check", "--strict", "--json"], cwd=sample_project)
    assert strict.returncode == 1 and strict.json()["error_code"] == "secrets_found"
    plant(sample_project, "pyproject.toml",
          (sample_project / "pyproject.toml").read_text() + "\n[tool.hatch-stage]\nstrict = true\n")
    assert run_cli(["check"], cwd=sample_project).returncode == 1


def test_exact_mode_reports_what_detect_secrets_reports_and_blocks_on_all(
    sample_project: Path,
) -> None:
    plant(sample_project, "tests/test_hash.py", f'DIGEST = "{SHA}"\n')
    assert run_cli(["check"], cwd=sample_project).returncode == 0
    exact = run_cli(["check", "--json"], cwd=sample_project,
                    env={"HATCH_STAGE_SCAN_MODE": "exact"})
    assert exact.returncode == 1
    assert [f["type"] for f in exact.json()["findings"]] == ["Hex High Entropy String"]


def test_a_secret_in_sdist_and_wheel_is_reported_once_naming_both(sample_project: Path) -> None:
    token = TOKENS["Anthropic API Key"]()
    plant(sample_project, "src/sample_pkg/llm.py", f'KEY = "{token}"\n')
    for number in range(8):  # low-confidence findings in tests, folded into counts
        plant(sample_project, f"tests/test_vectors_{number}.py",
              f'password = "{pick(ALNUM, 20)}"\nother_password = "{pick(ALNUM, 20)}"\n')

    result = run_cli(["check"], cwd=sample_project)
    assert result.returncode == 1
    out = result.stdout
    assert out.count("Anthropic API Key") == 1
    assert "also in sample_pkg-1.2.0-py3-none-any.whl: sample_pkg/llm.py" in out
    assert "1 high confidence, 16 low confidence" in out
    assert "low confidence only: 16 findings in 8 files" in out and "… and 3 more files" in out
    assert token[4:] not in out
    assert "blocked: 1 high-confidence secret finding" in out


def test_an_unparseable_file_is_scanned_line_by_line_with_a_note(sample_project: Path) -> None:
    """aiohttp ships llhttp's dependabot.yml, whose ``!!int ${{...}}`` YAML's loader rejects."""
    dependabot = (
        "version: 2\nupdates:\n  - package-ecosystem: npm\n    directory: /\n"
        "    open-pull-requests-limit: !!int ${{secrets.OPEN_PR_LIMIT}}\n"
    )
    plant(sample_project, "src/sample_pkg/vendor/llhttp/.github/dependabot.yml", dependabot)
    token = TOKENS["Stripe Access Key"]()
    plant(sample_project, "src/sample_pkg/vendor/llhttp/.github/ci.yml", f"key: {token}\n")

    result = run_cli(["check", "--json"], cwd=sample_project)
    document = result.json()
    assert result.returncode == 1 and document["error_code"] == "secrets_found"
    assert {f["type"] for f in document["findings"]} == {"Stripe Access Key"}
    assert document["quality"]["score"] > 0 and document["quality"]["checks"]
    notes = document["notes"]
    assert notes and all(n["member"].endswith("llhttp/.github/dependabot.yml") for n in notes)
    assert "scanned line by line" in notes[0]["message"]
    human = run_cli(["check"], cwd=sample_project)
    assert "note:" in human.stdout and "dependabot.yml" in human.stdout


def test_baseline_round_trip(sample_project: Path, tmp_path: Path) -> None:
    """Fixture keys and a blocked test file accepted once; the baseline ships unscanned;
    detect-secrets audits it; a secret added afterwards still blocks."""
    plant(sample_project, "tests/certs/server.key", private_key_block())
    plant(sample_project, "tests/.env", f"API_TOKEN={pick('abcdef0123456789', 32)}\n")
    plant(sample_project, "tests/test_client.py", f'password = "{pick(ALNUM, 20)}"\n')
    plant(sample_project, "src/sample_pkg/keys.py", f'SIGNING_KEY = """{private_key_block()}"""\n')
    pyproject = sample_project / "pyproject.toml"
    pyproject.write_text(
        pyproject.read_text().replace('"LICENSE"]', '"LICENSE", ".secrets.baseline"]'))

    before = run_cli(["check", "--strict", "--json"], cwd=sample_project)
    assert before.returncode == 1 and before.json()["secrets"]["high"] == 1

    written = run_cli(["baseline", "--json"], cwd=sample_project)
    assert written.returncode == 0, written.stdout + written.stderr
    data = written.json()["data"]
    assert data["accepted_files"] == ["tests/.env", "tests/certs/server.key"]
    assert set(data["files"]) >= {"src/sample_pkg/keys.py", "tests/test_client.py"}

    after = run_cli(["check", "--strict", "--json"], cwd=sample_project)
    assert after.returncode == 0, after.stdout
    report = after.json()
    assert report["findings"] == [] and report["baselined_findings"] >= 6
    shipped = [f for f in report["files"] if f["kind"] == "sdist"]
    assert shipped  # and the baseline is one of its members, yet no finding names it

    audit = subprocess.run([DETECT_SECRETS, "audit", "--report", ".secrets.baseline"],
                           cwd=sample_project, capture_output=True, text=True, check=False)
    assert audit.returncode == 0, audit.stderr
    audited = {entry["filename"] for entry in json.loads(audit.stdout)["results"]}
    assert {"src/sample_pkg/keys.py", "tests/test_client.py"} <= audited

    token = TOKENS["Slack Token"]()
    plant(sample_project, "src/sample_pkg/chat.py", f'WEBHOOK_TOKEN = "{token}"\n')
    added = run_cli(["check", "--json"], cwd=sample_project)
    assert added.returncode == 1
    assert [f["type"] for f in added.json()["findings"]] == ["Slack Token", "Slack Token"]
