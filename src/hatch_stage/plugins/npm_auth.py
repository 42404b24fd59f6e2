"""Built-in plugin ``npm-auth``: npm credentials in the order :mod:`hatch_stage.npm.auth` documents.

Trusted publishing (OIDC) first, for publishing only; then ``NPM_TOKEN``, the keyring token
``hatch-stage login --npm`` stored, and ``.npmrc``. When none is found this plugin says where
to put a token, instead of letting a generic message speak for npm.
"""

from __future__ import annotations

from ..config import Config
from ..hookspecs import impl
from ..models import Credentials, Project


@impl
def hatch_stage_auth(project: Project, config: Config, registry: str, purpose: str) -> (
    Credentials | None
):
    if project.target != "npm":
        return None
    from ..npm.auth import find_credentials  # imported here: it loads the HTTP client
    from ..npm.npmrc import configured_registry

    # an empty registry means "the project's own": flag, .npmrc, else the public registry
    url = configured_registry(registry or None, project.root, project.name)
    return find_credentials(url, purpose=purpose, package=project.name, project_root=project.root)
