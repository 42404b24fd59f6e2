"""Flags several commands share: ``--json``, the workspace flags of ``publish`` and ``check``,
and the registry flags, which also name a target.

``--registry`` names a Python stage registry and ``--npm-registry`` an npm registry, in every
command that takes them. A registry flag therefore chooses its target (it is never ignored
because the directory holds a project of the other ecosystem), and a flag that contradicts
``--target`` (or the other registry flag) is an error naming both.
"""

from __future__ import annotations

import argparse

from ..errors import ConfigError

#: target -> the flag that names its registry
REGISTRY_FLAGS = {"python": "--registry", "npm": "--npm-registry"}
_KIND = {"python": "a Python stage registry", "npm": "an npm registry"}


def json_flag(parser: argparse.ArgumentParser) -> None:
    """Add the ``--json`` flag every command takes."""
    parser.add_argument(
        "--json", action="store_true", help="print one JSON document and nothing else"
    )


def add_registry_arguments(parser: argparse.ArgumentParser, python_default: str) -> None:
    """``--registry`` and ``--npm-registry``; ``python_default`` says where Python releases go
    without the flag."""
    parser.add_argument(
        "--registry",
        metavar="URL",
        help=f"a Python stage registry, so the python target (default: {python_default})",
    )
    parser.add_argument(
        "--npm-registry",
        metavar="URL",
        help="an npm registry, so the npm target (default: .npmrc, else registry.npmjs.org)",
    )


def target_of_flags(
    target: str | None, registry: str | None, npm_registry: str | None, target_flag: str = ""
) -> str | None:
    """The target the command line names, or None to leave it to settings and the directory.

    :param target: ``--target`` (or what stands for it, such as ``login --npm``)
    :param target_flag: how the user spelled ``target``, for messages (default ``--target X``)
    """
    urls = {"python": registry, "npm": npm_registry}
    given = [name for name, url in urls.items() if url]
    if len(given) > 1:
        raise ConfigError(
            "--registry names a Python stage registry and --npm-registry an npm registry: one "
            "command talks to one registry, so give only the flag of the target you mean"
        )
    if target is not None and given and target not in given:
        (other,) = given
        spelled = target_flag or f"--target {target}"
        raise ConfigError(
            f"{spelled} contradicts {REGISTRY_FLAGS[other]} ({_KIND[other]}): use "
            f"{REGISTRY_FLAGS[target]} for {_KIND[target]}, or drop {spelled}"
        )
    return target or (given[0] if given else None)


def add_workspace_arguments(parser: argparse.ArgumentParser) -> None:
    group = parser.add_argument_group("workspaces")
    group.add_argument("--workspace", action="store_true",
                       help="every member of the hatch, uv, npm or pnpm workspace here whose "
                       "version is not yet published, staged in dependency order as one group")
    group.add_argument("--only", action="append", metavar="NAME", default=[],
                       help="with --workspace: only this member (repeat for more)")
    group.add_argument("--exclude", action="append", metavar="NAME", default=[],
                       help="with --workspace: leave this member out (repeat for more)")
    group.add_argument("--offline", action="store_true",
                       help="with --workspace: read nothing from the registry (every chosen "
                       "member counts as unpublished; requirements are checked within the "
                       "release only)")


def check_flags(args: argparse.Namespace) -> None:
    """The workspace flags need ``--workspace``; ``--workspace`` builds, so no artifacts."""
    if not args.workspace:
        given = [flag for flag, value in (("--only", args.only), ("--exclude", args.exclude),
                                          ("--offline", args.offline)) if value]
        if given:
            raise ConfigError(f"{', '.join(given)} only work with --workspace")
    elif args.artifacts:
        raise ConfigError("--workspace packs every member itself: name no artifacts")
