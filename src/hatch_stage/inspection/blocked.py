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

A finding has type "Blocked file", no line and nothing masked: the whole file is the problem.
"""

from __future__ import annotations

import fnmatch
from collections.abc import Sequence
from pathlib import PurePosixPath

from ..archive import iter_members
from ..config import ScanLimits
from ..models import Artifact, Finding, Member

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
    path = PurePosixPath(member.name.replace("\\", "/"))
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


def find_blocked(artifacts: Sequence[Artifact], limits: ScanLimits,
                 patterns: Sequence[str] = ()) -> list[Finding]:
    """A finding for every member of ``artifacts`` that must never ship."""
    return [
        Finding(artifact.filename, member.name, line=None, type=FINDING_TYPE, masked="")
        for artifact in artifacts
        # contents matter only for text files (.npmrc, PEM keys); names decide the rest
        for member in iter_members(artifact, limits, skip_binary=True)
        if is_blocked(member, patterns)
    ]
