"""Built-in plugin ``python-auth``: credentials for a Python stage registry, in a fixed order.

1. Trusted publishing (publish only): an ambient OIDC token from CI (GitHub Actions, GitLab,
   Buildkite, CircleCI, Google Cloud: whatever the ``id`` library detects) exchanged at the
   registry's ``/_/oidc/mint-token`` for a short-lived upload token.
2. ``HATCH_STAGE_TOKEN`` in the environment.
3. A token stored by ``hatch-stage login`` in the system keyring.
4. ``~/.pypirc`` (or ``$PYPIRC``): the section whose ``repository`` is this registry.

OIDC is for publishing only: list, view, download, approve and reject need a real token.
"""

from __future__ import annotations

import os
from pathlib import Path

from ..config import Config
from ..credentials import TOKEN_VARIABLE, keyring_token, same_registry
from ..errors import AuthError
from ..hookspecs import impl
from ..models import Credentials, Project
from ..output import register_secret

#: environment variables by which the CI systems ``id`` supports announce themselves
CI_MARKERS = ("GITHUB_ACTIONS", "GITLAB_CI", "BUILDKITE", "CIRCLECI", "GOOGLE_SERVICE_ACCOUNT_NAME")


def trusted_publishing(registry: str) -> Credentials | None:
    """Exchange an ambient CI identity for a short-lived token, or None outside CI."""
    if not any(os.environ.get(marker) for marker in CI_MARKERS):
        return None
    import id as ambient

    from .. import http  # imported here: only trusted publishing needs the HTTP client

    base = registry.rstrip("/")
    with http.client() as session:
        answer = http.send(
            session,
            "GET",
            f"{base}/_/oidc/audience",
            error=AuthError,
            what="ask the registry for its trusted-publishing audience",
        )
        if answer.status_code == 404:
            return None  # the registry does not offer trusted publishing
        if answer.status_code != 200:
            raise AuthError(
                f"trusted publishing: the registry answered {answer.status_code} "
                f"for its audience: {http.problem_detail(answer)}"
            )
        audience = str(answer.json().get("audience", ""))
        try:
            identity = ambient.detect_credential(audience)
        except ambient.IdentityError as error:
            raise AuthError(
                f"trusted publishing: this CI job has no usable OIDC identity: {error}"
            ) from None
        if identity is None:
            return None
        register_secret(identity)
        minted = http.send(
            session,
            "POST",
            f"{base}/_/oidc/mint-token",
            json={"token": identity},
            error=AuthError,
            what="exchange the CI identity for an upload token",
        )
    document = (
        minted.json()
        if minted.headers.get("content-type", "").startswith("application/json")
        else {}
    )
    if minted.status_code != 200 or not document.get("success"):
        reasons = "; ".join(
            str(item.get("description", item))
            for item in document.get("errors", [])
            if isinstance(item, dict)
        ) or http.problem_detail(minted)
        raise AuthError(
            f"trusted publishing was refused by {registry} ({minted.status_code}): {reasons}. "
            "Check the trusted publisher configured for this project "
            "(repository, workflow, environment)."
        )
    token = str(document["token"])
    register_secret(token)
    return Credentials(token=token, source="oidc")


def pypirc_token(registry: str) -> Credentials | None:
    """The password of the ``.pypirc`` section whose repository is ``registry``."""
    path = Path(os.environ.get("PYPIRC", Path.home() / ".pypirc"))
    if not path.is_file():
        return None
    import configparser  # only a publish with a .pypirc reads one

    parser = configparser.RawConfigParser()
    try:
        parser.read(path, encoding="utf-8")
    except configparser.Error as error:
        raise AuthError(f"{path} is not a readable .pypirc: {error}") from None
    for section in parser.sections():
        repository = parser.get(section, "repository", fallback="")
        password = parser.get(section, "password", fallback="")
        if repository and password and same_registry(repository, registry):
            register_secret(password)
            return Credentials(
                password, "pypirc", parser.get(section, "username", fallback="__token__")
            )
    return None


def resolve(registry: str, purpose: str) -> Credentials | None:
    """The first credentials found, in the documented order."""
    if purpose == "publish":
        found = trusted_publishing(registry)
        if found is not None:
            return found
    token = os.environ.get(TOKEN_VARIABLE)
    if token:
        register_secret(token)
        return Credentials(token, "env")
    stored = keyring_token(registry)
    if stored:
        return Credentials(stored, "keyring")
    return pypirc_token(registry)


@impl
def hatch_stage_auth(
    project: Project, config: Config, registry: str, purpose: str
) -> Credentials | None:
    if project.target != "python":
        return None
    return resolve(registry, purpose)
