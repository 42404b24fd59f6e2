"""Choosing the registry client for the review commands (list, view, download, approve, reject)."""

from __future__ import annotations

import argparse

from .. import config as config_module
from ..errors import AuthError
from ..project import detect_target
from ..targets.interface import StageClient
from .common import add_project_arguments


def add_client_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--registry",
        metavar="URL",
        help="the stage registry (default: [tool.hatch-stage] registry, else the local one)",
    )
    parser.add_argument(
        "--npm-registry", metavar="URL", help="the npm staging registry (npm target)"
    )
    add_project_arguments(parser)


def stage_client(args: argparse.Namespace) -> StageClient:
    """The client for the target and registry the flags and project settings name."""
    root = args.project.resolve()
    config = config_module.load(root, {"registry": args.registry, "target": args.target})
    target = detect_target(root, config)
    args.error_target = target
    if target == "npm":
        from ..targets.npm import npm_client

        # the web flow may wait for a person only where one can answer
        interactive = not (getattr(args, "json", False) or getattr(args, "yes", False))
        npm = npm_client(args.npm_registry or config.registry, root, interactive=interactive)
        args.error_registry = npm.registry
        return npm
    from ..plugins.python_auth import resolve
    from ..registry_choice import SERVE_ADDRESS, resolve_registry
    from ..targets.pep694 import Pep694Client

    registry = resolve_registry(config)
    args.error_registry = registry.label
    credentials = registry.credentials or resolve(registry.url, "manage")
    if credentials is None:
        raise AuthError(
            f"no token for {registry.url}: set HATCH_STAGE_TOKEN or run `hatch-stage login "
            f"--registry {registry.url}` (trusted publishing tokens can only stage)"
        )
    public = SERVE_ADDRESS if registry.embedded else None
    return Pep694Client(registry.url, credentials, registry.label, public)
