"""How sure a finding is: the confidence rules, and what is known not to be a secret.

A finding is *high* confidence, and blocks the release, when it is:

- ``provider-format``: a provider's credential in its fixed format (prefix, length, and the
  checksum where the format has one), not a documented example;
- ``private-key``: a private key with a key body, outside tests, docs and examples;
- ``credential-file``: a file that holds credentials (by name or by content: ``.env``,
  ``.netrc``, docker ``config.json`` auths, a kubeconfig client key ...), outside tests, docs and
  examples;
- ``named-high-entropy``: generic evidence (an entropy string, a ``password =`` literal, URL
  credentials, a JWT) in shipped library code or data, under a secret-like name, with a
  high-entropy value.

It is *low* confidence, reported (to the reviewer too) but not blocking, when it is generic
evidence or a key or credential file in tests (``in-tests``), docs (``in-docs``) or examples
(``in-examples``); generic evidence without a secret-like name (``no-secret-name``) or with a
guessable value (``low-entropy``); a value that looks like a test vector (``test-vector``); a
provider-format token whose checksum fails (``checksum-mismatch``: made up, never issued); a
``-----BEGIN ... PRIVATE KEY-----`` marker with no key after it (``key-marker``); a public IP
address (``ip-address``).

Known non-secrets are not findings at all: hashes and digests in their context (``sha256:``,
``--hash=``, ``integrity``, checksum tables), commit SHAs in ``rev:`` lines and changelogs,
documented example credentials (AWS's ``...EXAMPLE`` keys, ``user:pass@`` placeholders, the
jwt.io sample) and ``${VAR}`` / ``${{ secrets.X }}`` / ``{{ var }}`` placeholders. Lock files
are not scanned (see :func:`is_lock_file`).

``--strict`` blocks on every finding, whatever its confidence.
"""

from __future__ import annotations

import binascii
import functools
import io
import math
import re
import tokenize
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import PurePosixPath

from ..models import member_path
from ..patterns import lazy

HIGH = "high"
LOW = "low"


@dataclass(frozen=True)
class Verdict:
    """A finding's confidence and the rule that set it."""

    confidence: str
    rule: str


# --- where a file sits ------------------------------------------------------------------------

_TEST_DIRS = frozenset({"tests", "test", "testing", "testsuite", "fixtures", "fixture",
                        "testdata", "test_data", "test-data", "__tests__", "unittests"})
_EXAMPLE_DIRS = frozenset({"examples", "example", "samples", "sample", "demo", "demos",
                           "tutorial", "tutorials", "docs_src", "cookbook"})
_DOC_DIRS = frozenset({"docs", "doc", "documentation", "man"})
_DOC_SUFFIXES = frozenset({".md", ".rst", ".adoc", ".markdown", ".ipynb", ".rdoc"})
_DOC_STEMS = ("readme", "changelog", "changes", "history", "news", "authors", "contributing",
              "license", "notice", "release", "upgrading", "migration")
_CHANGELOG = lazy(r"^(?:changelog|changes|history|news|releases?|release[-_]notes)\b",
                  re.IGNORECASE)
_CHANGELOG_DIRS = frozenset({"changelog.d", "changes", "newsfragments", "changelog"})
_LOCK_FILES = frozenset({
    "uv.lock", "poetry.lock", "pdm.lock", "pipfile.lock", "package-lock.json",
    "npm-shrinkwrap.json", "pnpm-lock.yaml", "yarn.lock", "bun.lock", "cargo.lock",
    "composer.lock", "gemfile.lock", "podfile.lock", "go.sum", "packages.lock.json",
    "pylock.toml",
})


_TEST_DIR = lazy(r"^(?:tests?[_-]|dummy|mock|fake)|[_-]tests?$|fixture")


def place(path: str) -> str:
    """Where ``path`` sits: ``tests``, ``examples``, ``docs`` or ``code`` (library code/data)."""
    parts = [part.lower() for part in PurePosixPath(path.replace("\\", "/")).parts]
    name = parts[-1] if parts else ""
    directories = set(parts[:-1])
    if directories & _TEST_DIRS or any(_TEST_DIR.search(d) for d in directories) or (
        name.startswith("test_") or name == "conftest.py" or name == "tests.py"
        or name.endswith(("_test.py", "_tests.py"))
    ):
        return "tests"
    if directories & _EXAMPLE_DIRS or "example" in name:
        return "examples"
    suffix = PurePosixPath(name).suffix
    metadata = name in ("pkg-info", "metadata") or any(p.endswith(".dist-info") for p in parts)
    if directories & _DOC_DIRS or suffix in _DOC_SUFFIXES or name.startswith(_DOC_STEMS) or (
        metadata and name in ("pkg-info", "metadata")
    ):
        return "docs"
    return "code"


def is_lock_file(path: str) -> bool:
    """A dependency lock file: hashes and URLs by the hundred, never a secret of its own."""
    return member_path(path.replace("\\", "/")).name.lower() in _LOCK_FILES


def is_changelog(path: str) -> bool:
    parts = member_path(path.replace("\\", "/")).parts
    return bool(parts) and (_CHANGELOG.match(parts[-1]) is not None
                            or bool({p.lower() for p in parts[:-1]} & _CHANGELOG_DIRS))


# --- what a value looks like -------------------------------------------------------------------

_TEMPLATE = lazy(r"\$\{|\{\{|\{%|%\(|\$\(|^<.*>$|^\{.*\}$|^\$[A-Za-z_]|^%[A-Za-z_]+%$")
_PLACEHOLDER_WORDS = lazy(
    r"example|placeholder|changeme|change_me|replace_?me|redacted|dummy|your[_-]?\w*(?:key|"
    r"token|secret|password|pass)|xxxx|\*\*\*|<|insert|fill_?in|todo|fixme",
    re.IGNORECASE,
)
_PLACEHOLDER_VALUES = frozenset({
    "pass", "password", "passwd", "pwd", "pw", "secret", "token", "key", "apikey", "api_key",
    "user", "username", "login", "foo", "bar", "baz", "test", "testing", "tiger", "guest",
    "admin", "root", "me", "x", "s3cr3t", "hunter2", "letmein", "qwerty", "default", "none",
    "null", "changeit", "p@ssw0rd", "pa55word", "mypassword", "mysecret", "secretkey",
})
_EXAMPLE_JWT_BODY = "eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4gRG9lIiwiaWF0IjoxNTE2MjM5MDIyfQ"
_EXAMPLE_HOSTS = lazy(r"@(?:[\w.-]*\.)?example(?:\.com|\.org|\.net)?\b|@host\b|@hostname\b",
                      re.IGNORECASE)


def shannon(value: str) -> float:
    """Bits of entropy per character of ``value``."""
    if not value:
        return 0.0
    counts = Counter(value)
    size = len(value)
    return -sum(n / size * math.log2(n / size) for n in counts.values())


def _is_generated(value: str) -> bool:
    """Letters mixed with digits or symbols, no spaces: not words, identifiers or sentences
    (``AWSSecretKey``, ``keyring.backends.SecretService``, ``Artifactory Credentials``)."""
    return (not any(c.isspace() for c in value) and any(c.isalpha() for c in value)
            and any(c.isdigit() or not (c.isalnum() or c in "_-.:/") for c in value))


def is_placeholder(value: str) -> bool:
    """A value that stands for a secret rather than being one."""
    stripped = value.strip("'\"`")
    if not stripped or _TEMPLATE.search(stripped) or stripped.lower() in _PLACEHOLDER_VALUES:
        return True
    if "EXAMPLE" in stripped or _PLACEHOLDER_WORDS.search(stripped):
        return True
    return len(set(stripped.lower())) <= 2


def looks_like_test_vector(value: str) -> bool:
    """Made-up values: long runs, short repeated patterns, counting sequences, few symbols."""
    if len(set(value)) <= max(4, len(value) // 8):
        return True
    if re.search(r"(.)\1{5,}", value):
        return True
    for size in range(1, 9):
        if len(value) >= 3 * size and value == (value[:size] * (len(value) // size + 1))[
            : len(value)
        ]:
            return True
    if re.search(r"[a-z]{3,}-[a-z]{3,}-[a-z]{3,}", value):  # words, not random characters
        return True
    lowered = value.lower()
    return any(run in lowered for run in ("0123456789", "abcdefghij", "1234567890", "deadbeef",
                                          "abcdef0123", "qwertyuiop"))


def is_high_entropy(value: str) -> bool:
    """Long enough, mixed enough and random enough to be a generated secret."""
    return len(value) >= 8 and _is_generated(value) and shannon(value) >= 3.0


# --- the context a value appears in ------------------------------------------------------------

#: a hash or digest named shortly before a value: ``sha256:``, ``--hash=``, ``"integrity":``,
#: ``ARCHIVE_SHA256 =``, ``FILE_DIGESTS = {"a.bin": ...``
_HASH_WORD = lazy(
    r"sha-?(?:1|224|256|384|512)|sha3|md5|blake2[bs]?|blake3|crc32|digest|checksum|hash|"
    r"integrity|fingerprint|etag",
    re.IGNORECASE,
)
_CHECKSUM_LINE = lazy(
    r"^\s*(?:[0-9a-fA-F]{32,128}\s+\*?\S+|\S+\s+[0-9a-fA-F]{32,128}|\S+,sha\d+=\S+,\d*)\s*$"
)
_CHECKSUM_FILES = lazy(r"(?:^|\.)(?:sha\d*sums?|md5sums?|record)$|\.(?:sha\d+|md5)$",
                       re.IGNORECASE)
_REV_LINE = lazy(r"^\s*-?\s*['\"]?(?:rev|revision|commit|sha)['\"]?\s*[:=]", re.IGNORECASE)
_HEX = lazy(r"[0-9a-fA-F]{7,40}")
_SECRET_NAME = lazy(
    r"pass(?:word|wd|phrase)?|pwd|secret|token|api[_\-.]?key|apikey|access[_\-.]?key|"
    r"priv(?:ate)?[_\-.]?key|auth|credential|creds|signing[_\-.]?key|client[_\-.]?key|"
    r"session[_\-.]?key|encryption[_\-.]?key|master[_\-.]?key|bearer|account[_\-.]?key|"
    r"sas[_\-.]?key|connection[_\-.]?string|conn[_\-.]?str|dsn",
    re.IGNORECASE,
)
_TEST_NAME = lazy(r"test|example|dummy|fake|mock|sample|fixture|demo", re.IGNORECASE)
_NAME_BEFORE = lazy(r"([A-Za-z_][\w.\-\[\]'\"]*)['\"\]]?\s*(?::=|=>|==|=|:|\(|,)\s*"
                    r"[\w]*['\"`]?$")
_KEY_BODY = lazy(r"[A-Za-z0-9+/=]{48,}")


def is_known_non_secret(path: str, kind: str, value: str, line: str) -> bool:
    """Hashes, commit ids, documented examples and placeholders (never provider tokens that
    pass their own format checks: those are what they look like)."""
    before = line[: max(line.find(value), 0)]
    if kind in ENTROPY_TYPES or kind == "Secret Keyword":
        if _HASH_WORD.search(before[-80:]):
            return True
        if _CHECKSUM_LINE.match(line) or _CHECKSUM_FILES.search(PurePosixPath(path).name):
            return True
        if _HEX.fullmatch(value) and (
            _REV_LINE.match(line) or is_changelog(path) or re.search(
                r"/(?:commits?|tree|blob)/|@" + re.escape(value) + r"|\bcommit\b", line,
                re.IGNORECASE)
        ):
            return True
    if kind == "Basic Auth Credentials":
        if is_placeholder(value) or _EXAMPLE_HOSTS.search(line):
            return True
        user = re.search(r"://([^:/@\s]*):" + re.escape(value) + "@", line)
        if user and (is_placeholder(user.group(1)) and shannon(value) < 3.0):
            return True
    if kind == "JSON Web Token" and _EXAMPLE_JWT_BODY in value:
        return True
    if kind == "Private Key":
        return False  # the marker is the "value"; judged by its body in judge_secret
    return "EXAMPLE" in value or bool(_TEMPLATE.search(value)) or (
        kind in GENERIC_TYPES and is_placeholder(value)
    )


# --- the verdict -------------------------------------------------------------------------------

#: detect-secrets' entropy plugins' types
ENTROPY_TYPES = frozenset({"Base64 High Entropy String", "Hex High Entropy String"})
#: evidence that is a secret only by what it is called and how random it is
GENERIC_TYPES = ENTROPY_TYPES | {
    "Secret Keyword", "Basic Auth Credentials", "JSON Web Token", "Cloudant Credentials",
    "IBM Cloud IAM Key", "IBM COS HMAC Credentials", "SoftLayer Credentials",
}
#: detect-secrets types that are credential files' content, judged like credential files
CREDENTIAL_CONTENT = frozenset({"Docker Registry Auth", "Kubeconfig Client Key", "Netrc Password"})
_NAMED = GENERIC_TYPES - ENTROPY_TYPES  # the detector only fires next to a secret-like name
_CHECKSUMMED = lazy(r"^(?:gh[pousr]|npm)_([A-Za-z0-9]{30})([A-Za-z0-9]{6})$")
_BASE62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def checksum_fails(value: str) -> bool:
    """GitHub and npm tokens end in the base62 CRC32 of their random part; a token whose
    checksum does not match was never issued."""
    match = _CHECKSUMMED.match(value)
    if match is None:
        return False
    body, checksum = match.groups()
    number = 0
    for char in checksum:
        number = number * 62 + _BASE62.index(char)
    return number != binascii.crc32(body.encode())


def format_fails(kind: str, value: str) -> bool:
    """Fixed parts a provider's real tokens always have (a Telegram bot token's secret half
    starts with ``A``)."""
    if kind == "Telegram Bot Token":
        return not value.partition(":")[2].startswith("A")
    return False


def _whole_token(line: str, value: str) -> str:
    """The token ``value`` starts, as it stands on the line: some detect-secrets plugins report
    only a capturing group (``ghp`` for a whole ``ghp_...`` GitHub token)."""
    at = line.find(value)
    if at < 0:
        return value
    rest = re.match(r"[\w\-]*", line[at + len(value):])
    return value + (rest.group() if rest else "")


def _name_of(line: str, value: str) -> str:
    at = line.find(value)
    before = line[:at] if at >= 0 else line
    match = _NAME_BEFORE.search(before.rstrip("'\"` \t"))
    return match.group(1) if match else ""


def _has_key_body(lines: Sequence[str], index: int) -> bool:
    """Whether a base64 key body follows a BEGIN marker (on its line or the next ones)."""
    window = " ".join(lines[index : index + 40]).replace("\\n", " ")
    return _KEY_BODY.search(window) is not None


def in_python_docs(path: str, lines: Sequence[str], index: int) -> bool:
    """Whether ``lines[index]`` of a Python module is documentation: inside a multi-line
    string (a docstring) or a doctest line."""
    line = lines[index] if 0 <= index < len(lines) else ""
    if not path.endswith((".py", ".pyi")):
        return False
    if line.lstrip().startswith((">>> ", "... ", "#>")):
        return True
    return index + 1 in _multiline_string_lines("\n".join(lines))


@functools.lru_cache(maxsize=4)
def _multiline_string_lines(source: str) -> frozenset[int]:
    """Line numbers covered by multi-line string literals (docstrings, mostly)."""
    covered: set[int] = set()
    try:
        for token in tokenize.generate_tokens(io.StringIO(source).readline):
            if token.type == tokenize.STRING and token.start[0] < token.end[0]:
                covered.update(range(token.start[0], token.end[0] + 1))
    except (tokenize.TokenError, SyntaxError):  # not valid Python past here: judge it as code
        pass
    return frozenset(covered)


def judge_secret(path: str, kind: str, value: str, lines: Sequence[str], index: int) -> Verdict:
    """The confidence of a secret of type ``kind`` found on ``lines[index]`` of ``path``."""
    where = place(path)
    line = lines[index] if 0 <= index < len(lines) else ""
    if where == "code" and kind in GENERIC_TYPES and in_python_docs(path, lines, index):
        where = "docs"
    if kind == "Public IP (ipv4)":
        return Verdict(LOW, "ip-address")
    if kind == "Private Key":
        if not _has_key_body(lines, index):
            return Verdict(LOW, "key-marker")
        return Verdict(HIGH, "private-key") if where == "code" else Verdict(LOW, f"in-{where}")
    if kind in CREDENTIAL_CONTENT:
        return Verdict(HIGH, "credential-file") if where == "code" else Verdict(LOW, f"in-{where}")
    if kind not in GENERIC_TYPES:
        value = _whole_token(line, value)
        if checksum_fails(value) or format_fails(kind, value):
            return Verdict(LOW, "checksum-mismatch")
        if looks_like_test_vector(value):
            return Verdict(LOW, "test-vector")
        return Verdict(HIGH, "provider-format")
    if where != "code":
        return Verdict(LOW, f"in-{where}")
    name = "" if kind in _NAMED else _name_of(line, value)
    if kind not in _NAMED and not _SECRET_NAME.search(name):
        return Verdict(LOW, "no-secret-name")
    if looks_like_test_vector(value) or _TEST_NAME.search(name or _name_of(line, value)):
        return Verdict(LOW, "test-vector")
    if not is_high_entropy(value):
        return Verdict(LOW, "low-entropy")
    return Verdict(HIGH, "named-high-entropy")


def judge_file(path: str) -> Verdict:
    """The confidence of a credential file (blocked by name or content) at ``path``."""
    where = place(path)
    return Verdict(HIGH, "credential-file") if where == "code" else Verdict(LOW, f"in-{where}")


#: rule -> what it means, for the report and the README
RULES = {
    "provider-format": "a provider credential in its fixed format",
    "private-key": "a private key with its key body, in shipped code or data",
    "credential-file": "a credential file (by name or content) in shipped code or data",
    "named-high-entropy": "a random value under a secret-like name in shipped code or data",
    "in-tests": "generic evidence, a key or a credential file in tests or fixtures",
    "in-docs": "generic evidence, a key or a credential file in documentation",
    "in-examples": "generic evidence, a key or a credential file in examples",
    "no-secret-name": "a random string without a secret-like name",
    "low-entropy": "a guessable value (too short, too few kinds of characters)",
    "test-vector": "a made-up value (repeats, sequences, a test/example/dummy name)",
    "checksum-mismatch": "a token whose checksum or fixed parts fail: never issued",
    "key-marker": "a private-key marker with no key after it",
    "ip-address": "a public IP address, not a credential",
    "other-plugin": "reported by an outside scanner plugin",
}

__all__ = ["CREDENTIAL_CONTENT", "ENTROPY_TYPES", "GENERIC_TYPES", "HIGH", "LOW", "RULES",
           "Verdict", "is_known_non_secret", "is_lock_file", "judge_file", "judge_secret", "place"]
