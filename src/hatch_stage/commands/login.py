"""``hatch-stage login`` / ``logout``: keep a registry token in the system keyring.

The token is read from a hidden prompt, or from standard input with ``--token-stdin`` (for
scripts: never put a token on a command line, where ``ps`` and shell history see it). It is
checked against the registry before it is stored.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .. import config as config_module
from ..credentials import delete_token, store_token
from ..errors import ConfigError
from ..models import Credentials
from ..output import console, emit_json, envelope, is_terminal, register_secret
from ..urls import check_registry_url
from .flags import add_registry_arguments, json_flag, target_of_flags


def register(subparsers: Any) -> None:
    login = subparsers.add_parser(
        "login", help="store a registry token in the system keyring", description=__doc__
    )
    logout = subparsers.add_parser("logout", help="forget the stored registry token")
    for parser, function in ((login, run_login), (logout, run_logout)):
        add_registry_arguments(parser, "the project's [tool.hatch-stage] registry")
        parser.add_argument(
            "--npm", action="store_true", help="an npm registry token (implied by --npm-registry)"
        )
        json_flag(parser)
        parser.set_defaults(func=function)
    login.add_argument(
        "--token-stdin", action="store_true", help="read the token from standard input"
    )


def _registry(args: argparse.Namespace) -> str:
    """The registry's URL; sets ``args.npm`` when ``--npm-registry`` names an npm registry."""
    npm = "npm" if args.npm else None
    args.npm = target_of_flags(npm, args.registry, args.npm_registry, "--npm") == "npm"
    if args.npm:
        from ..npm.npmrc import configured_registry

        return configured_registry(args.npm_registry, Path.cwd())
    registry = args.registry or config_module.load(Path.cwd()).registry
    if not registry:
        raise ConfigError("login needs --registry URL (the local registry needs no login)")
    return check_registry_url(registry)


def _read_token(args: argparse.Namespace) -> str:
    if args.token_stdin:
        token = sys.stdin.readline().strip() if sys.stdin is not None else ""
    elif is_terminal(sys.stdin) and not args.json:
        token = console.input("token: ", password=True).strip()
    else:
        raise ConfigError(
            "no terminal to prompt on: pass the token on standard input with --token-stdin"
        )
    if not token:
        raise ConfigError("the token is empty")
    register_secret(token)
    return token


def run_login(args: argparse.Namespace) -> int:
    registry = _registry(args)
    args.error_registry = registry
    token = _read_token(args)
    if args.npm:
        from ..npm.auth import store_token as store_npm_token

        store_npm_token(registry, token)
    else:
        from ..targets.pep694 import Pep694Client

        Pep694Client(registry, Credentials(token, "login")).list()  # refuses a bad token
        store_token(registry, token)
    target = "npm" if args.npm else "python"
    if args.json:
        emit_json(envelope(True, target, registry, {"stored": True}))
    else:
        console.print(f"token for {registry} stored in the system keyring")
    return 0


def run_logout(args: argparse.Namespace) -> int:
    registry = _registry(args)
    if args.npm:
        from ..npm.auth import delete_token as delete_npm_token

        removed = delete_npm_token(registry)
    else:
        removed = delete_token(registry)
    target = "npm" if args.npm else "python"
    if args.json:
        emit_json(envelope(True, target, registry, {"removed": removed}))
    else:
        console.print(f"token for {registry} {'removed' if removed else 'was not stored'}")
    return 0
