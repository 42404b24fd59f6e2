"""Built-in plugin ``npm-rewrite``: ``workspace:`` and ``catalog:`` ranges pinned in the tarball.

Only ``package/package.json`` changes, and in it only the rewritten ranges; every other member
is copied byte for byte into a new gzip tarball (semantics: :mod:`hatch_stage.npm.specs`).
A tarball without such ranges is left as it is.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ..config import Config
from ..errors import RewriteError
from ..hookspecs import impl
from ..models import Artifact, Project

if TYPE_CHECKING:
    from ..npm.workspace import Workspace


def _workspace_of(root: Path) -> Workspace:
    from ..npm import workspace

    found = workspace.find_root(root)
    if found is None:
        raise RewriteError(
            f"package.json in {root} uses workspace: or catalog: ranges, but {root} is in no "
            f"workspace: no {workspace.WORKSPACE_FILE} (or package.json with workspaces) above it"
        )
    return workspace.load(found)


@impl
def hatch_stage_rewrite(artifact: Artifact, project: Project, config: Config, workdir: Path) -> (
    Artifact | None
):
    if project.target != "npm" or artifact.kind != "npm-tarball":
        return None
    from ..npm.specs import rewrite_manifest  # the npm helpers load for npm projects only
    from ..npm.tarball import MANIFEST_MEMBER, read_packed, replace_member

    packed = read_packed(artifact, config.limits, RewriteError)
    try:
        text = packed.raw.decode("utf-8")
    except UnicodeDecodeError:
        raise RewriteError(f"{artifact.filename}: {MANIFEST_MEMBER} is not UTF-8") from None
    rewritten, changes = rewrite_manifest(text, lambda: _workspace_of(project.root), project.root)
    if not changes:
        return None
    out = workdir / "npm-rewritten"
    out.mkdir(parents=True, exist_ok=True)
    target = out / artifact.filename
    replace_member(artifact.path, target, MANIFEST_MEMBER, rewritten.encode("utf-8"))
    return Artifact(target, "npm-tarball")
