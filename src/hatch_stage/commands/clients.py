"""Choosing the registry client for the review commands (list, view, download, approve, reject).

The target comes from the flags (``--target``, or the registry flag given: see :mod:`.flags`),
else the settings, else what the directory holds. Credentials come from the
``hatch_stage_auth`` hook with the purpose "manage", exactly as publish gets its own, so an
installed auth plugin applies here too and ``disable`` is honoured; only the embedded
registry brings its own.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import Any

from .. import config as config_module
from ..config import Config
from ..errors import AuthError
from ..models import Credentials, Project
from ..plugins import plugin_manager
from ..project import declared_project, detect_target
from ..targets.interface import StageClient
from .common import add_project_arguments
from .flags import add_registry_arguments, json_flag, target_of_flags


def add_client_arguments(parser: argparse.ArgumentParser) -> None:
    add_registry_arguments(parser, "[tool.hatch-stage] registry, else the local one")
    add_project_arguments(parser)


def manage_credentials(project: Project, config: Config, registry: str) -> Credentials:
    """A real token for ``registry`` from the auth plugins (never a trusted-publishing one)."""
    hook = plugin_manager(config.disable).hook
    found: Credentials | None = hook.hatch_stage_auth(
        project=project, config=config, registry=registry, purpose="manage"
    )
    if found is None:
        disabled = f" (disabled plugins: {', '.join(config.disable)})" if config.disable else ""
        login = "--npm --npm-registry" if project.target == "npm" else "--registry"
        raise AuthError(
            f"no token for {registry}: no auth plugin found one{disabled}; set "
            f"{'NPM_TOKEN' if project.target == 'npm' else 'HATCH_STAGE_TOKEN'} or run "
            f"`hatch-stage login {login} {registry}` (trusted publishing tokens can only stage)",
            code="not_logged_in",
        )
    return found


def add_stage_command(subparsers: Any, name: str, summary: str, description: str,
                      run: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
    """A review command about one staged release: ``STAGE_ID``, the client flags, ``--json``.
    The caller adds its own flags to the parser returned."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        name, help=summary, description=description,
        formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("stage_id", metavar="STAGE_ID")
    add_client_arguments(parser)
    json_flag(parser)
    parser.set_defaults(func=run)
    return parser


def client_config(args: argparse.Namespace) -> Config:
    """The settings of the project directory the review commands run in (registry, target,
    disabled plugins, archive limits), with the flags applied."""
    target = target_of_flags(args.target, args.registry, args.npm_registry)
    return config_module.load(args.project.resolve(), {"registry": args.registry, "target": target})


def stage_client(args: argparse.Namespace) -> StageClient:
    """The client for the target and registry the flags and project settings name."""
    root = args.project.resolve()
    config = client_config(args)
    project = declared_project(root, detect_target(root, config))
    args.error_target = project.target
    if project.target == "npm":
        from ..npm.npmrc import configured_registry
        from ..targets.npm import npm_client

        url = configured_registry(args.npm_registry or config.registry, root, project.name or None)
        args.error_registry = url
        # the web flow may wait for a person only where one can answer
        interactive = not (getattr(args, "json", False) or getattr(args, "yes", False))
        credentials = manage_credentials(project, config, url)
        return npm_client(url, root, interactive=interactive, credentials=credentials)
    from ..registry_choice import resolve_registry
    from ..targets.pep694 import Pep694Client
    from ..urls import SERVE_ADDRESS

    registry = resolve_registry(config)
    args.error_registry = registry.label
    credentials = registry.credentials or manage_credentials(project, config, registry.url)
    public = SERVE_ADDRESS if registry.embedded else None
    return Pep694Client(registry.url, credentials, registry.label, public)
