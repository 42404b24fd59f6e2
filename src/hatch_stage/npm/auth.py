"""Credentials for an npm registry, in the documented order.

1. Trusted publishing (publish only): ``$NPM_ID_TOKEN`` or GitHub Actions' identity,
   exchanged for a short-lived token (:mod:`.oidc`). When the exchange fails, the next
   source is tried, as npm does; the failure is reported if nothing else is found.
2. ``$NPM_TOKEN``.
3. The token ``hatch-stage login --npm`` stored in the system keyring
   (service ``hatch-stage-npm``, user name the registry URL).
4. ``.npmrc``: ``//host[:port]/path/:_authToken=...`` (:mod:`.npmrc`).

:attr:`Credentials.source` says which: "oidc", "env", "keyring" or "npmrc".
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

from .. import credentials as stored
from ..errors import AuthError
from ..models import Credentials
from ..output import register_secret
from ..output import stderr as diagnostics
from . import npmrc
from .oidc import trusted_publishing_token
from .registry import nerf_dart, validate_registry

TOKEN_VARIABLE = "NPM_TOKEN"
KEYRING_SERVICE = "hatch-stage-npm"


def store_token(registry: str, token: str) -> None:
    """Keep ``token`` for ``registry`` in the system keyring (``hatch-stage login --npm``)."""
    stored.store_token(validate_registry(registry), token, service=KEYRING_SERVICE)


def read_token(registry: str) -> str | None:
    """The token stored for ``registry``, or None (also when there is no keyring backend)."""
    return stored.keyring_token(validate_registry(registry), service=KEYRING_SERVICE)


def delete_token(registry: str) -> bool:
    """Forget the stored token for ``registry``; False when there was none."""
    return stored.delete_token(validate_registry(registry), service=KEYRING_SERVICE)


def _token(value: str, source: str) -> Credentials:
    register_secret(value)
    # npm tokens are bearer tokens; the user name is only for protocols with basic auth
    return Credentials(token=value, source=source, username="")


def find_credentials(registry: str, *, purpose: str, package: str | None, project_root: Path,
                     environ: Mapping[str, str] | None = None) -> Credentials:
    """The first credentials found for ``registry``, else an :class:`AuthError` saying where to
    put one.

    :param purpose: "publish" (trusted publishing allowed) or "manage" (a real token needed)
    :param package: the package being published (trusted publishing is per package)
    """
    environ = os.environ if environ is None else environ
    oidc_failure = ""
    if purpose == "publish" and package:
        try:
            exchanged = trusted_publishing_token(registry, package, environ)
        except AuthError as error:
            exchanged, oidc_failure = None, str(error)
            diagnostics.print(f"warning: {oidc_failure}; trying the other token sources",
                              markup=False)
        if exchanged:
            return _token(exchanged, "oidc")
    if environ.get(TOKEN_VARIABLE):
        return _token(environ[TOKEN_VARIABLE], "env")
    kept = read_token(registry)
    if kept:
        return _token(kept, "keyring")
    found = npmrc.token_for(npmrc.load(project_root, environ), registry)
    if found:
        return _token(found[0], "npmrc")
    why = f"{oidc_failure}; and there is " if oidc_failure else "there is "
    trusted = "" if purpose == "publish" else " (trusted publishing tokens can only publish)"
    raise AuthError(
        f"{why}no npm token for {registry}{trusted}: set {TOKEN_VARIABLE}, run `hatch-stage login "
        f"--npm --npm-registry {registry}`, or add {nerf_dart(registry)}:_authToken=... to .npmrc",
        code="not_logged_in",
    )
