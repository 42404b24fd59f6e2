"""hatch-stage plugin ``credential-helper``: registry tokens from the team's secret store.

``HATCH_STAGE_CREDENTIAL_HELPER`` names a command (split as a shell would, but run without
one), such as ``pass show`` wrapped in a script, or a vault client. As with git's and
docker's credential helpers, it gets the registry URL on standard input and prints the token
on standard output, or nothing when it has none for that registry (the next source is then
tried). It serves every command that needs a token: publish, and list, view, download,
approve and reject. Installed plugins are asked before the built-in sources, so the helper's
token wins; ``disable = ["credential-helper"]`` turns it off.
"""

from __future__ import annotations

import os
import shlex
import subprocess

from hatch_stage.config import Config
from hatch_stage.errors import AuthError
from hatch_stage.hookspecs import impl
from hatch_stage.models import Credentials, Project
from hatch_stage.output import register_secret

VARIABLE = "HATCH_STAGE_CREDENTIAL_HELPER"
#: how long the helper may take (it may ask the user to unlock the store)
TIMEOUT = 120


@impl
def hatch_stage_auth(
    project: Project, config: Config, registry: str, purpose: str
) -> Credentials | None:
    command = os.environ.get(VARIABLE, "").strip()
    if not command or not registry:
        return None
    try:
        answered = subprocess.run(shlex.split(command), input=registry + "\n",
                                  capture_output=True, text=True, timeout=TIMEOUT)
    except (OSError, ValueError, subprocess.TimeoutExpired) as error:
        raise AuthError(f"the credential helper in {VARIABLE} could not run "
                        f"({type(error).__name__}): check the command") from None
    # its output may hold a token: never repeat it
    if answered.returncode != 0:
        raise AuthError(f"the credential helper in {VARIABLE} failed (exit status "
                        f"{answered.returncode}) for {registry}")
    token = answered.stdout.strip()
    if not token:
        return None
    register_secret(token)
    # npm registries take bearer tokens; Python registries' basic auth uses __token__
    return Credentials(token, "credential-helper", "" if project.target == "npm" else "__token__")
