"""npm trusted publishing: a CI identity token exchanged for a short-lived publish token.

The identity is ``$NPM_ID_TOKEN`` when set (GitLab and others put it there), else GitHub
Actions' ambient token, requested from ``$ACTIONS_ID_TOKEN_REQUEST_URL`` with the audience
``npm:<registry host>``. The registry exchanges it at
``POST /-/npm/v1/oidc/token/exchange/package/<name>`` (the identity as bearer token) for
``{"token": ...}``. Only publishing accepts such tokens.
"""

from __future__ import annotations

from collections.abc import Mapping

import httpx2

from .. import http
from ..errors import AuthError
from ..output import register_secret
from .registry import escape_name, registry_host

ID_TOKEN_VARIABLE = "NPM_ID_TOKEN"
GITHUB_URL_VARIABLE = "ACTIONS_ID_TOKEN_REQUEST_URL"
GITHUB_TOKEN_VARIABLE = "ACTIONS_ID_TOKEN_REQUEST_TOKEN"


def _json_field(response: object, key: str) -> str | None:
    try:
        value = response.json().get(key)  # type: ignore[attr-defined]
    except (ValueError, AttributeError):
        return None
    return value if isinstance(value, str) and value else None


def identity_token(registry: str, environ: Mapping[str, str]) -> str | None:
    """The CI's OIDC identity for ``npm:<host>``, or None when this is not such a CI job."""
    given = environ.get(ID_TOKEN_VARIABLE)
    if given:
        register_secret(given)
        return given
    url, request_token = environ.get(GITHUB_URL_VARIABLE), environ.get(GITHUB_TOKEN_VARIABLE)
    if not (url and request_token):
        return None
    register_secret(request_token)
    audience = f"npm:{registry_host(registry)}"
    # merged, not replaced: GitHub's URL carries its own query
    with_audience = str(httpx2.URL(url).copy_merge_params({"audience": audience}))
    with http.client() as session:
        answer = http.send(
            session, "GET", with_audience, error=AuthError,
            what="request the GitHub Actions identity token",
            headers={"Authorization": f"Bearer {request_token}", "Accept": "application/json"},
        )
    token = _json_field(answer, "value") if answer.status_code == 200 else None
    if token is None:
        raise AuthError(
            f"trusted publishing: GitHub Actions gave no identity token ({answer.status_code}); "
            "the workflow needs `permissions: id-token: write`"
        )
    register_secret(token)
    return token


def exchange(registry: str, package: str, identity: str) -> str:
    """The publish token the registry issues for ``package`` in exchange for ``identity``."""
    url = f"{registry}-/npm/v1/oidc/token/exchange/package/{escape_name(package)}"
    with http.client() as session:
        answer = http.send(
            session, "POST", url, error=AuthError, what="exchange the CI identity for an npm token",
            headers={"Authorization": f"Bearer {identity}", "Accept": "application/json"},
        )
    token = _json_field(answer, "token") if answer.status_code in (200, 201) else None
    if token is None:
        raise AuthError(
            f"trusted publishing: {registry} did not exchange the CI identity for a token for "
            f"{package} ({answer.status_code}: {http.problem_detail(answer)}); check the trusted "
            "publisher configured for the package (repository, workflow file, environment)"
        )
    register_secret(token)
    return token


def trusted_publishing_token(registry: str, package: str, environ: Mapping[str, str]) -> str | None:
    """A short-lived publish token from the CI identity, or None outside such a CI job."""
    identity = identity_token(registry, environ)
    return exchange(registry, package, identity) if identity else None
