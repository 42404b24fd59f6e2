"""The scan stage: detect-secrets and blocked files over real built artifacts, and exactness.

Secrets are planted in fixture projects built by hatchling; the exactness tests compare the
fast scanner with detect-secrets' own ``scan_file`` on the same files.
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import string
import sys
import threading
from pathlib import Path

import pytest
from detect_secrets.core.scan import scan_file
from detect_secrets.settings import default_settings, get_settings

from hatch_stage.config import Config
from hatch_stage.inspection import is_blocked
from hatch_stage.models import Artifact, Finding
from hatch_stage.pipeline import Pipeline
from hatch_stage.plugins import plugin_manager
from hatch_stage.project import load_project
from hatch_stage.secretscan import _fold, mask, scanner

SCANNING = ["python-pack", "detect-secrets", "blocked-files"]


def random_aws_key() -> str:
    return "AKIA" + "".join(random.choices(string.ascii_uppercase + string.digits, k=16))


def scan_project(root: Path, workdir: Path, config: Config | None = None) -> list[Finding]:
    """Build the project with hatchling and run the scan stage with the built-in scanners."""
    config = config or Config()
    pipeline = Pipeline(load_project(root, config), config, plugin_manager(only=SCANNING))
    artifacts = pipeline.pack([], workdir)
    findings, _accepted = pipeline.scan(artifacts)
    return findings


def plant(project: Path, relative: str, text: str) -> None:
    path = project / "src" / "sample_pkg" / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")


# --- the detect-secrets plugin on real artifacts ------------------------------------------------


def test_planted_aws_key_names_member_and_line_and_never_shows(
    sample_project: Path, tmp_path: Path
) -> None:
    key = random_aws_key()
    module = f'"""Settings."""\n\nREGION = "eu-west-1"\nACCESS = "{key}"\n'
    plant(sample_project, "settings.py", module)

    findings = scan_project(sample_project, tmp_path / "work")

    aws = [f for f in findings if f.type == "AWS Access Key"]
    by_kind = {f.artifact.rsplit(".", 1)[-1]: f for f in aws}
    assert set(by_kind) == {"whl", "gz"}, "found in both the wheel and the sdist"
    assert (by_kind["whl"].member, by_kind["whl"].line) == ("sample_pkg/settings.py", 4)
    assert by_kind["gz"].member == "sample_pkg-1.2.0/src/sample_pkg/settings.py"
    assert by_kind["gz"].line == 4
    assert all(f.plugin == "detect-secrets" for f in aws)
    assert by_kind["whl"].hashed_secret == hashlib.sha1(key.encode()).hexdigest()
    assert by_kind["whl"].masked == "AKIA" + "*" * 16
    shown = repr(findings) + json.dumps([f.as_json() for f in findings])
    assert key not in shown and key[4:] not in shown


def test_clean_project_has_no_findings(sample_project: Path, tmp_path: Path) -> None:
    assert scan_project(sample_project, tmp_path / "work") == []


def test_allowlist_pragmas_are_honoured(sample_project: Path, tmp_path: Path) -> None:
    plant(
        sample_project,
        "settings.py",
        f'ACCESS = "{random_aws_key()}"  # pragma: allowlist secret\n'
        "# pragma: allowlist nextline secret\n"
        f'OTHER = "{random_aws_key()}"\n',
    )
    assert scan_project(sample_project, tmp_path / "work") == []


def test_binary_and_non_text_members_are_skipped(sample_project: Path, tmp_path: Path) -> None:
    key = random_aws_key()
    plant(sample_project, "logo.png", "PNG " + key)  # a non-text extension detect-secrets skips
    (sample_project / "src" / "sample_pkg" / "blob.dat").write_bytes(b"\xff\xfe" + key.encode())
    assert scan_project(sample_project, tmp_path / "work") == []


# --- the blocked-files plugin ---------------------------------------------------------------------


def test_files_that_must_never_ship_are_blocked(sample_project: Path, tmp_path: Path) -> None:
    files = {
        ".env": "DEBUG=1\n",
        ".env.example": "TOKEN=\n",
        "conf/.npmrc": "//registry.npmjs.org/:_authToken=npm_abcdefghijklmnop\n",
        "plain/.npmrc": "registry=https://registry.npmjs.org/\n",
        "env_ref/.npmrc": "//registry.npmjs.org/:_authToken=${NPM_TOKEN}\n",
        "keys/server.key": "-----BEGIN RSA PRIVATE KEY-----\nMIIB\n-----END RSA PRIVATE KEY-----\n",
        "keys/cert.pem": "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n",
        "keys/id_ed25519": "key\n",
        "keys/id_ed25519.pub": "ssh-ed25519 AAAA\n",
        "credentials.json": "{}\n",
        "local.sqlite3": "data\n",
    }
    for name, text in files.items():
        plant(sample_project, name, text)

    config = Config(blocked_files=("*.sqlite3",), allow_secrets=True)
    findings = scan_project(sample_project, tmp_path / "work", config)

    blocked = {f.member.rsplit("sample_pkg/", 1)[1] for f in findings if f.type == "Blocked file"}
    assert blocked == {".env", "conf/.npmrc", "keys/server.key", "keys/id_ed25519",
                       "credentials.json", "local.sqlite3"}
    for finding in findings:
        if finding.type == "Blocked file":
            assert (finding.line, finding.masked, finding.plugin) == (None, "", "blocked-files")


@pytest.mark.parametrize(
    ("name", "data", "blocked"),
    [
        ("pkg/.env.production", b"", True),
        ("pkg/.env.sample", b"", False),
        ("pkg/.env.template", b"", False),
        ("pkg/environment.py", b"", False),
        (".pypirc", b"", True),
        ("a/.netrc", b"", True),
        ("a/.git-credentials", b"", True),
        ("a/.htpasswd", b"", True),
        ("home/.aws/credentials", b"", True),
        ("docs/credentials", b"", False),
        ("client_secret_123.apps.googleusercontent.com.json", b"", True),
        ("service-account.json", b"", True),
        ("ID_RSA", b"", True),
        ("bundle.p12", b"", True),
        ("tls/server.pem", b"-----BEGIN PRIVATE KEY-----", True),
        ("tls/ca.pem", b"-----BEGIN CERTIFICATE-----", False),
        (".npmrc", b"_auth = dXNlcjpwYXNz\n", True),
        (".npmrc", b"; //host/:_password=c2VjcmV0\n", True),
        (".npmrc", b"//host/:_authToken=\n", False),
    ],
)
def test_blocked_file_rules(name: str, data: bytes, blocked: bool) -> None:
    from hatch_stage.models import Member

    assert is_blocked(Member("a.whl", name, data)) is blocked


# --- exactness against detect-secrets itself ------------------------------------------------------

AWS = "AKIAQWERTYUIOPASDFGH"
B64 = "c2VjcmV0LXNlY3JldC1zZWNyZXQtWXpBeE1qTTBOVFkzT0Rr"
HEX = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822c"
GITHUB = "ghp_" + "aB3dE5gH7jK9mN1pQ3sT5vW7yZ9bC1dE3fG5"
JWT = ("eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ"
       ".SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c")
KEY_BLOCK = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEA\n-----END RSA PRIVATE KEY-----\n"

VARIED_FILES = {
    "app.py": (
        '"""A module."""\nimport os\n\n'
        f'ACCESS = "{AWS}"\n'
        'password = "correct-horse-battery"\n'
        f"token = '{B64}'  \n"
        f'digest = "{HEX}"\n'
        f'gh = "{GITHUB}"\n'
        'secret = get_secret()\n'
        'url = "https://admin:s3cr3tpass@db.example.com/x"\n'
        f'jwt = "{JWT}"\n'
        f'allowed = "{B64[::-1]}"  # pragma: allowlist secret\n'
        'server = "8.8.8.8:53"\n'
        f'again = "{AWS}"\n'
        'if password == "hunter2hunter2": pass\n'
        f'last = "{HEX[::-1]}"'
    ),
    "crlf.py": f'one = 1\r\napi_key = "zXq81LmPq0-lkdjf"\r\nother = "{AWS}"\r\n',
    "config.yaml": (
        "database:\n  password: yaml-pass-1234\n  host: db\n"
        f"aws: {AWS}\nkeys:\n  - {B64}\nblock: |\n  {HEX}\n"
        "anchor: &a s3cr3t-value-123\nref: *a\n"
    ),
    "settings.ini": f"[main]\npassword = ini-pass-9876\nkey = {B64}\n\n[other]\nsecret: {HEX}\n",
    "setup.cfg": "[metadata]\nname = x\n\n[options]\npassword = cfg-password-1\n",
    "tool.toml": f'[tool.x]\ntoken = "{B64}"\nname = "x"\n',
    "data.json": json.dumps({"password": "json-secret-42", "aws": AWS, "hex": HEX}, indent=2),
    "README.md": f"# Read me\n\nSet `api_key = \"md-key-123456\"`.\n\n{KEY_BLOCK}\nURL: {JWT}\n",
    "poetry.lock": f'[[package]]\nname = "x"\ntoken = "{B64}"\n',
    "deploy.env": f"DB_PASSWORD=env-pass-5555\nAWS_KEY={AWS}\nSECRET_TOKEN={B64}\n",
    "notes.txt": "password: plain-text-pass\nsecret = not quoted here\nnothing else\n",
    # a long s and a dotted capital I: re.IGNORECASE matches them to s and i
    "unicode.txt": '# \u00fcn\u00efc\u00f6d\u00e9\npa\u017fsword = "long-s-folded-pass"\n'
    'AP\u0130_KEY = "dotted-capital-i-1"\n',
    "swagger.json": json.dumps({"password": "swagger-pass-1"}),
    "main.go": 'package main\nconst apiKey := "go-secret-value-1"\nvar password = "go-pass-22"\n',
    "app.js": f'const password = "js-pass-33";\nconst t = "{B64}";\n',
    "trailing.txt": f"key = '{HEX}'   \t\n",
}


def reference(names: list[str]) -> set[tuple[str, int, str, str]]:
    """detect-secrets' own scan of the files in the current directory, one result per secret."""
    results = set()
    with default_settings():
        for name in names:
            first: dict[tuple[str, str], int] = {}
            for secret in scan_file(name):
                first.setdefault((secret.type, secret.secret_hash), secret.line_number)
            results |= {(name, line, kind, digest) for (kind, digest), line in first.items()}
    return results


def fast(root: Path, names: list[str]) -> set[tuple[str, int, str, str]]:
    with scanner() as scan:
        return {
            (name, s.line, s.type, s.hashed_secret)
            for name in names
            for s in scan.scan(name, (root / name).read_bytes())
        }


def write_files(root: Path, files: dict[str, str]) -> list[str]:
    for name, text in files.items():
        (root / name).write_bytes(text.encode("utf-8"))
    return sorted(files)


def test_findings_identical_to_detect_secrets_on_varied_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    names = write_files(tmp_path, VARIED_FILES)
    (tmp_path / "blob.bin.dat").write_bytes(b"\xff" + AWS.encode())
    names.append("blob.bin.dat")
    monkeypatch.chdir(tmp_path)

    expected = reference(names)
    assert fast(tmp_path, names) == expected
    # the comparison means something: many types, transformed files, lock and swagger skipped
    assert len(expected) >= 20
    assert {kind for _, _, kind, _ in expected} >= {
        "AWS Access Key", "Secret Keyword", "Base64 High Entropy String",
        "Hex High Entropy String", "GitHub Token", "Basic Auth Credentials", "JSON Web Token",
        "Private Key",
    }
    files_with_findings = {name for name, _, _, _ in expected}
    transformed_or_odd = {"config.yaml", "settings.ini", "deploy.env", "unicode.txt", "crlf.py"}
    assert transformed_or_odd <= files_with_findings
    assert not {"poetry.lock", "swagger.json", "blob.bin.dat"} & files_with_findings


FRAGMENTS = [
    "password", "api_key", "Secret", "PASSWD", "db_pass", "token", "aws", "key", "pwd",
    "contrase\u00f1a",
    " = ", ": ", " := ", " == ", " => ", "(", ")", "[", "]", "'", '"', "`", ";", ",", "  ", "\t",
    "# pragma: allowlist secret", "// pragma: allowlist nextline secret", "${VAR}", "<tpl>",
    AWS, B64, HEX, GITHUB, JWT, "8.8.4.4", "10.0.0.1", "https://u:p4ss@h.io", "xoxb-1-abc",
    "sk_live_" + "a1B2" * 6, "-----BEGIN PRIVATE KEY-----", "id_", "get_secret(x)", "\u0130",
    "hunter2", "correcthorsebatterystaple", "0123456789abcdef", "aGVsbG8gd29ybGQgaGVsbG8=",
    "[section]", "- item", "key_value:", "=", "\u017f", "\u00e9",
]
EXTENSIONS = [".py", ".txt", ".yaml", ".cfg", ".js", ".go", ".c", ".md", ".ini", ".toml", ""]


def random_file(rng: random.Random) -> str:
    lines = []
    for _ in range(rng.randint(1, 30)):
        line = "".join(rng.choice(FRAGMENTS) for _ in range(rng.randint(0, 9)))
        lines.append(line + rng.choice(["", " ", "  \t"]))
    return rng.choice(["\n", "\r\n", "\r"]).join(lines) + rng.choice(["", "\n"])


def test_findings_identical_to_detect_secrets_on_generated_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rng = random.Random(20260701)
    files = {f"f{n:03d}{rng.choice(EXTENSIONS)}": random_file(rng) for n in range(150)}
    names = write_files(tmp_path, files)
    monkeypatch.chdir(tmp_path)

    expected = reference(names)
    assert len(expected) > 100
    assert fast(tmp_path, names) == expected


def test_every_default_plugin_has_a_prefilter() -> None:
    with default_settings():
        plugins = get_settings().plugins
    with scanner() as scan:
        assert scan.triggers is not None, "a plugin without triggers sends every line the slow way"
        assert {type(p).__name__ for p in scan.plugins} == set(plugins)


def test_lowered_text_keeps_every_ignorecase_match() -> None:
    # a case-insensitive trigger searches _fold(text); nothing re.IGNORECASE matches may be lost
    letters = re.compile("[a-z]", re.IGNORECASE)
    for point in range(sys.maxunicode + 1):
        char = chr(point)
        if letters.fullmatch(char):
            matching = [c for c in string.ascii_lowercase if re.fullmatch(c, char, re.IGNORECASE)]
            assert _fold(char) in matching, hex(point)


def test_detect_secrets_settings_are_restored() -> None:
    before = get_settings().json()
    with scanner():
        assert "detect_secrets.filters.common.is_invalid_file" not in get_settings().filters
    assert get_settings().json() == before
    assert "detect_secrets.filters.common.is_invalid_file" in get_settings().filters


def test_scanners_in_several_threads_at_once_find_what_one_finds() -> None:
    # the registry inspects concurrent uploads in a thread pool: each scanner changes
    # detect-secrets' global settings while it scans, so two at once used to fail with
    # "No such `...` plugin to initialize" (seen under benchmarks/load.py's 32 clients)
    text = f'ACCESS = "{AWS}"\npassword = "hunter2hunter2"\n'.encode() * 50
    with scanner() as alone:
        expected = alone.scan("settings.py", text)
    assert expected
    found: list[list[object]] = []
    failures: list[BaseException] = []

    def scan_repeatedly() -> None:
        try:
            for _ in range(20):
                with scanner() as scan:
                    found.append(list(scan.scan("settings.py", text)))
        except BaseException as error:  # reported below, with the others
            failures.append(error)

    threads = [threading.Thread(target=scan_repeatedly) for _ in range(8)]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # threads take turns often, as on a busy server
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    finally:
        sys.setswitchinterval(interval)
    assert not failures, failures
    assert found == [expected] * 160


def test_masking_leaves_too_little_to_recover() -> None:
    assert mask("hunter2") == "*******"
    assert mask(AWS) == "AKIA" + "*" * 16
    assert mask("") == ""


# --- real source text ---------------------------------------------------------------------------
# (speed goals live in benchmarks/scan.py, which prints the ratio against detect-secrets)


def test_findings_identical_to_detect_secrets_on_its_own_sources(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Real source text (detect-secrets' own package), scanned both ways."""
    import detect_secrets

    package = Path(detect_secrets.__file__).parent
    names = []
    for number, source in enumerate(sorted(package.rglob("*.py"))):
        name = f"m{number}.py"
        (tmp_path / name).write_bytes(source.read_bytes())
        names.append(name)
    monkeypatch.chdir(tmp_path)

    expected = reference(names)
    assert len(expected) > 10
    assert fast(tmp_path, names) == expected


def test_artifact_members_are_read_through_the_safe_reader(tmp_path: Path) -> None:
    import tarfile

    from hatch_stage.errors import ArchiveError
    from hatch_stage.plugins import blocked_files, detect_secrets_scan

    path = tmp_path / "evil-1.0.tar.gz"
    with tarfile.open(path, "w:gz") as archive:
        payload = tmp_path / "payload"
        payload.write_text("x = 1\n")
        archive.add(payload, arcname="../outside.py")
    artifact = Artifact(path, "sdist")
    for plugin in (detect_secrets_scan, blocked_files):
        with pytest.raises(ArchiveError, match=r"evil-1\.0\.tar\.gz.*'\.\./outside\.py'"):
            plugin.hatch_stage_scan([artifact], None, Config())  # type: ignore[arg-type]
