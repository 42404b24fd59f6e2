"""Files that must never ship, whatever they contain (the ``blocked-files`` plugin's rules).

Matched on the member's base name (case-insensitively), in every artifact:

- ``.env`` and ``.env.*`` (``.env.local``, ``.env.production`` ...), except the templates
  ``.env.example``, ``.env.sample`` and ``.env.template``
- ``.pypirc`` (index credentials), ``.netrc`` / ``_netrc``, ``.git-credentials``,
  ``.htpasswd``, ``.pgpass``
- ``.npmrc``, only when it holds an auth setting (``_authToken``, ``_auth``, ``_password``)
  with a value (``${NPM_TOKEN}``, a reference to the environment, is fine)
- ``credentials`` inside a ``.aws`` directory (AWS shared credentials)
- ``credentials.json``, ``service-account.json`` / ``service_account.json``,
  ``client_secret*.json`` (Google OAuth client secrets)
- SSH private keys: ``id_rsa``, ``id_dsa``, ``id_ecdsa``, ``id_ed25519`` (and their ``_sk``
  variants); never the ``.pub`` halves
- ``*.pem`` and ``*.key`` holding ``PRIVATE KEY``; PKCS#12 bundles ``*.p12`` / ``*.pfx``; PuTTY
  keys ``*.ppk``
- any base name matching a pattern in ``[tool.hatch-stage] blocked-files`` (fnmatch, case as
  written), e.g. ``["*.sqlite3", "secrets.*"]``

and, whatever their names (outside the exact mode), text files whose content is a credential
file's: a private key (OpenSSH, PGP, PEM, PuTTY) on its own, ``.git-credentials`` lines, a
``.netrc``, a docker ``config.json`` with registry auths, a kubeconfig with a client key or
token, a cloud service-account key, a Kubernetes ``Secret`` manifest with data, an AWS shared
credentials file.

A finding has type "Blocked file", no line and nothing masked: the whole file is the problem.
Its ``detail`` says why; its confidence is high unless the file sits in tests, docs or examples
(a fixture key, a test ``.env``), see :mod:`.confidence`.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Sequence

from ..archive import iter_members
from ..config import ScanLimits
from ..models import Artifact, Finding, Member, member_path
from ..patterns import lazy
from .confidence import judge_file

FINDING_TYPE = "Blocked file"

_ALWAYS = frozenset({
    ".pypirc", ".netrc", "_netrc", ".git-credentials", ".htpasswd", ".pgpass",
    "credentials.json", "service-account.json", "service_account.json",
    "id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk",
})
_ALWAYS_PATTERNS = ("client_secret*.json", "*.p12", "*.pfx", "*.ppk")
_ENV_TEMPLATES = frozenset({".env.example", ".env.sample", ".env.template"})
_NPM_AUTH_KEYS = frozenset({"_authToken", "_auth", "_password"})


def _npmrc_holds_token(data: bytes) -> bool:
    """An auth setting with a value other than an environment reference like ``${NPM_TOKEN}``."""
    for line in data.decode("utf-8", "replace").splitlines():
        key, equals, value = line.partition("=")
        # "//registry.example/:_authToken" scopes the key to a registry; "; " comments it out,
        # which still ships the token
        if equals and key.strip().rsplit(":", 1)[-1].lstrip("#; ") in _NPM_AUTH_KEYS:
            value = value.strip()
            if value and not (value.startswith("${") and value.endswith("}")):
                return True
    return False


def is_blocked(member: Member, patterns: Sequence[str] = ()) -> bool:
    """Whether ``member`` is a file that must never ship (see the module docstring)."""
    path = member_path(member.name.replace("\\", "/"))
    name = path.name.lower()
    if name in _ALWAYS or any(fnmatch.fnmatchcase(name, p) for p in _ALWAYS_PATTERNS):
        return True
    if name == ".env" or (name.startswith(".env.") and name not in _ENV_TEMPLATES):
        return True
    if name == ".npmrc":
        return _npmrc_holds_token(member.data)
    if name == "credentials" and path.parent.name == ".aws":
        return True
    if name.endswith((".pem", ".key")) and b"PRIVATE KEY" in member.data:
        return True
    return any(fnmatch.fnmatchcase(path.name, pattern) for pattern in patterns)


# (why, a literal every match holds, the pattern): the literal is looked for first, at the
# speed of a byte search, because a pattern that starts at a line's start (^) is otherwise
# tried at every position of every text member of the release
_CONTENT_RULES: tuple[tuple[str, bytes, re.Pattern[bytes]], ...] = tuple(
    (reason, needle, lazy(pattern, re.MULTILINE)) for reason, needle, pattern in (
        ("a private key file", b"", rb"\A\s*(?:-----BEGIN [A-Z0-9 ]*PRIVATE KEY(?: BLOCK)?-----|"
                               rb"PuTTY-User-Key-File-\d)"),
        ("git credentials", b"@", rb"\A(?:\s*https?://[^:\s/@]+:[^@\s]+@\S+\s*)+\Z"),
        ("a netrc file", b"password", rb"\A\s*(?:machine\s+\S+|default)\b[^\0]*?\bpassword\s+\S"),
        ("a docker config with registry auths", b'"auths"',
         rb'"auths"\s*:\s*\{[^\0]*?"(?:auth|identitytoken)"\s*:\s*"[A-Za-z0-9+/=]{8,}"'),
        ("a kubeconfig with client credentials", b"kind:",
         rb"^kind:\s*Config\s*$[^\0]*?^\s*(?:client-key-data|token):\s*\S{20,}"),
        ("a cloud service-account key", b"service_account",
         rb'"type"\s*:\s*"service_account"[^\0]*?"private_key"\s*:\s*"-----BEGIN'),
        ("a Kubernetes Secret with data", b"kind:",
         rb"^kind:\s*Secret\s*$[^\0]*?^(?:data|stringData):\s*\n\s+[\w.-]+:\s*\S{8,}"),
        ("an AWS credentials file", b"aws_secret_access_key",
         rb"^\s*aws_secret_access_key\s*=\s*[A-Za-z0-9/+]{30,}"),
    )
)


def credential_content(member: Member) -> str | None:
    """Why ``member``'s content is a credential file's, whatever its name; None if it is not."""
    for reason, needle, pattern in _CONTENT_RULES:
        if needle in member.data and pattern.search(member.data):
            return reason
    return None


def find_blocked(artifacts: Sequence[Artifact], limits: ScanLimits,
                 patterns: Sequence[str] = (), *, exact: bool = False) -> list[Finding]:
    """A finding for every member of ``artifacts`` that must never ship."""
    findings = []
    for artifact in artifacts:
        # contents matter only for text files (.npmrc, keys, configs); names decide the rest
        for member in iter_members(artifact, limits, skip_binary=True):
            if is_blocked(member, patterns):
                detail = "a file that must never ship (by its name)"
            elif not exact and not member.binary and (reason := credential_content(member)):
                detail = f"{reason} (by its content)"
            else:
                continue
            verdict = judge_file(member.name)
            findings.append(Finding(artifact.filename, member.name, line=None, type=FINDING_TYPE,
                                    masked="", confidence=verdict.confidence, rule=verdict.rule,
                                    detail=detail))
    return findings
