"""``hatch-stage admin``: accounts and project policy of a stage registry.

Works directly on the registry's storage (same ``--data``/``--database`` as ``serve``), so
it needs no running server and no token. Secrets (a new user's TOTP secret, a new token)
are shown once, at creation, and are not recoverable afterwards.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import Any

from ..errors import ConfigError
from ..markup import escape
from ..output import console, emit_json, envelope
from ..provenance import DEFAULT_ISSUERS, DEFAULT_JWKS, KINDS, PublisherIdentity
from .flags import json_flag
from .serve import add_storage_arguments, open_registry

#: (what is printed for people, what goes into data under --json)
Result = tuple[str, Any]
Action = Callable[[Any, argparse.Namespace], Result]


def _user_add(registry: Any, args: argparse.Namespace) -> Result:
    user = registry.accounts.add_user(args.name)
    return (f"user {user.name} created. Add this to an authenticator app now; it is not shown "
            f"again:\n  secret: {user.totp_secret}\n  uri:    {user.totp_uri}",
            {"name": user.name, "totp_secret": user.totp_secret, "totp_uri": user.totp_uri})


def _rows(items: list[dict[str, Any]], *keys: str) -> str:
    if not items:
        return "(none)"
    return "\n".join("  ".join(f"{key}={item[key]}" for key in keys) for item in items)


def _user_list(registry: Any, args: argparse.Namespace) -> Result:
    users = registry.accounts.users()
    return _rows(users, "name", "totp_enrolled"), users


def _token_create(registry: Any, args: argparse.Namespace) -> Result:
    from ..registry.projects import normalize

    projects = ["*" if project == "*" else normalize(project) for project in args.project]
    new = registry.accounts.create_token(args.user, projects, args.role, args.expires_in)
    return (f"token {new.id} ({new.role} on {', '.join(new.projects)}) for {args.user}; "
            f"copy it now, it is not shown again:\n  {new.token}",
            {"id": new.id, "token": new.token, "user": args.user, "projects": list(new.projects),
             "role": new.role, "expires_at": new.expires_at})


def _token_revoke(registry: Any, args: argparse.Namespace) -> Result:
    registry.accounts.revoke_token(args.id)
    return f"token {args.id} revoked", {"id": args.id, "revoked": True}


def _token_list(registry: Any, args: argparse.Namespace) -> Result:
    tokens = registry.accounts.tokens(args.user)
    return _rows(tokens, "id", "user", "projects", "role", "active"), tokens


def _project_set(registry: Any, args: argparse.Namespace) -> Result:
    changes: dict[str, Any] = {}
    for key in ("require_staging", "allow_direct_publish", "upstream_url", "upstream_user",
                "upstream_attestations"):
        if getattr(args, key) is not None:
            changes[key] = getattr(args, key)
    if args.upstream_token_stdin:
        # stdin may be closed (None) when started without one
        token = sys.stdin.readline().strip() if sys.stdin is not None else ""
        if not token:
            raise ConfigError("--upstream-token-stdin: standard input had no token")
        changes["upstream_token"] = token
    if args.no_upstream:
        changes.update(upstream_url=None, upstream_user=None, upstream_token=None)
    settings = registry.projects.configure(args.name, **changes)
    return _describe(settings.as_json()), settings.as_json()


def _describe(settings: dict[str, Any]) -> str:
    return "  ".join(f"{key}={value}" for key, value in settings.items())


def _project_show(registry: Any, args: argparse.Namespace) -> Result:
    settings = registry.projects.get(args.name).as_json()
    return _describe(settings), settings


def _project_list(registry: Any, args: argparse.Namespace) -> Result:
    projects = [settings.as_json() for settings in registry.projects.all()]
    return "\n".join(_describe(item) for item in projects) or "(none)", projects


def _publisher_identity(args: argparse.Namespace) -> PublisherIdentity:
    """The publisher the flags describe; each kind needs its own flags and no others."""
    kind = args.kind
    needs = {"github": ("repository", "workflow"), "gitlab": ("repository", "workflow"),
             "google": ("email",)}[kind]
    flags = {"repository": "--repository", "workflow": "--workflow", "email": "--email",
             "environment": "--environment"}
    missing = [flags[name] for name in needs if not getattr(args, name)]
    if missing:
        raise ConfigError(f"a {kind} publisher needs {' and '.join(missing)}")
    allowed = (*needs, "environment") if kind != "google" else needs
    extra = [flag for name, flag in flags.items() if getattr(args, name) and name not in allowed]
    if extra:
        raise ConfigError(f"a {kind} publisher takes no {', '.join(extra)}")
    return PublisherIdentity(kind, args.repository or "", args.workflow or "",
                             args.environment or None, args.email or "",
                             args.issuer or "").check()


def _publisher_add(registry: Any, args: argparse.Namespace) -> Result:
    identity = _publisher_identity(args)
    jwks = args.jwks
    if jwks is None:
        if identity.issuer_url != DEFAULT_ISSUERS[identity.kind]:
            raise ConfigError(f"--jwks is needed for issuer {identity.issuer_url}: where are "
                              "its signing keys (a JWKS file, or its https URL)?")
        jwks = DEFAULT_JWKS[identity.kind]
    publisher = registry.projects.add_publisher(args.project, identity, jwks)
    return (f"trusted publisher {publisher.id} added: {identity.describe()}",
            publisher.as_json())


def _publisher_list(registry: Any, args: argparse.Namespace) -> Result:
    publishers = [p.as_json() for p in registry.projects.publishers(args.project)]
    return _rows(publishers, "id", "project", "kind", "repository", "workflow", "email",
                 "environment"), publishers


def _publisher_remove(registry: Any, args: argparse.Namespace) -> Result:
    registry.projects.remove_publisher(args.id)
    return f"trusted publisher {args.id} removed", {"id": args.id, "removed": True}


def _session_list(registry: Any, args: argparse.Namespace) -> Result:
    from ..registry import Principal

    views, total = registry.sessions(Principal.local("admin"), project=args.project,
                                     status=args.status)
    items = [{"id": v.id, "name": v.name, "version": v.version, "status": v.status,
              "actor": v.actor, "files": [f.filename for f in v.files],
              "release_digest": v.digest} for v in views]
    table = _rows(items, "id", "name", "version", "status", "actor", "release_digest")
    return table, {"sessions": items, "total": total}


def _secrets_key(registry: Any, args: argparse.Namespace) -> Result:
    from ..registry.sealing import KEY_VARIABLE, Sealer

    key = Sealer.new_key()
    return (f"a new key; keep it where the server's environment gets {KEY_VARIABLE} from (to "
            f"rotate, put it first: {KEY_VARIABLE}=new,old, then `hatch-stage admin secrets "
            f"seal`):\n  {key}", {"key": key, "variable": KEY_VARIABLE})


def _secrets_seal(registry: Any, args: argparse.Namespace) -> Result:
    changed = registry.seal_secrets()
    return f"{changed} stored secret(s) sealed with the first key", {"sealed": changed}


def _webhook_add(registry: Any, args: argparse.Namespace) -> Result:
    secret = None
    if args.secret_stdin:
        secret = sys.stdin.readline().strip() if sys.stdin is not None else ""
        if not secret:
            raise ConfigError("--secret-stdin: standard input had no secret")
    hook, secret = registry.add_webhook(args.project, args.url, args.event, secret)
    shown = "" if args.secret_stdin else (
        "; its signing secret, shown once (receivers verify X-Hatch-Stage-Signature-256 "
        f"with it):\n  {secret}")
    data = hook.as_json() | ({} if args.secret_stdin else {"secret": secret})
    return f"webhook {hook.id} for {hook.project} -> {hook.url}{shown}", data


def _webhook_list(registry: Any, args: argparse.Namespace) -> Result:
    hooks = [hook.as_json() for hook in registry.webhooks(args.project)]
    shown = [{**hook, "events": ",".join(hook["events"])} for hook in hooks]
    return _rows(shown, "id", "project", "url", "events"), hooks


def _webhook_remove(registry: Any, args: argparse.Namespace) -> Result:
    registry.remove_webhook(args.id)
    return f"webhook {args.id} removed", {"id": args.id, "removed": True}


def _webhook_deliveries(registry: Any, args: argparse.Namespace) -> Result:
    log = [delivery.as_json() for delivery in registry.webhook_deliveries(args.id, args.limit)]
    lines = []
    for entry in log:
        tries = ", ".join(str(attempt["status_code"] or attempt["error"])
                          for attempt in entry["attempts"]) or "not tried yet"
        lines.append(f"{entry['id']}  webhook={entry['webhook']}  {entry['event']}  "
                     f"session={entry['session']}  {entry['status']}  attempts: {tries}")
    return "\n".join(lines) or "(none)", log


def _leaves(groups: Any, common: argparse.ArgumentParser) -> None:
    def leaf(group: Any, name: str, summary: str, action: Action) -> argparse.ArgumentParser:
        parser: argparse.ArgumentParser = group.add_parser(name, help=summary, parents=[common],
                                                           description=summary)
        parser.set_defaults(func=run, action=action)
        return parser

    def group(name: str, summary: str) -> Any:
        parser = groups.add_parser(name, help=summary, description=summary)
        return parser.add_subparsers(dest=f"{name}_action", metavar="ACTION", required=True)

    users = group("user", "registry users (each enrolls TOTP)")
    leaf(users, "add", "create a user and enrol TOTP (secret shown once)", _user_add
         ).add_argument("name", metavar="NAME")
    leaf(users, "list", "list users", _user_list)

    tokens = group("token", "API tokens (stored hashed)")
    create = leaf(tokens, "create", "create a token (shown once)", _token_create)
    create.add_argument("--user", required=True, metavar="NAME")
    create.add_argument("--project", required=True, action="append", metavar="PROJECT",
                        help="project the token covers (repeat for more; * for all)")
    create.add_argument("--role", required=True, choices=("stage", "maintain"),
                        help="stage: create sessions and upload; maintain: also publish and "
                             "cancel (with a one-time password)")
    create.add_argument("--expires-in", type=int, metavar="SECONDS")
    leaf(tokens, "revoke", "revoke a token", _token_revoke).add_argument("id", type=int,
                                                                         metavar="ID")
    leaf(tokens, "list", "list tokens (never the secrets)", _token_list).add_argument(
        "--user", metavar="NAME")

    projects = group("project", "per-project policy")
    configure = leaf(projects, "set", "change a project's policy", _project_set)
    configure.add_argument("name", metavar="PROJECT")
    configure.add_argument("--require-staging", action=argparse.BooleanOptionalAction,
                           help="legacy uploads (plain twine) always stage")
    configure.add_argument("--allow-direct-publish", action=argparse.BooleanOptionalAction,
                           help="maintain tokens may publish through /legacy/ without approval")
    configure.add_argument("--upstream-url", metavar="URL",
                           help="promote approved releases to this legacy upload URL")
    configure.add_argument("--upstream-user", metavar="NAME",
                           help="user name for the upstream (default: __token__)")
    configure.add_argument("--upstream-attestations", action=argparse.BooleanOptionalAction,
                           help="send each file's verified PEP 740 attestations upstream "
                                "(default: yes; PyPI takes them only from trusted publishing)")
    configure.add_argument("--upstream-token-stdin", action="store_true",
                           help="read the upstream token from standard input")
    configure.add_argument("--no-upstream", action="store_true", help="stop promoting")
    leaf(projects, "show", "show a project's policy", _project_show).add_argument(
        "name", metavar="PROJECT")
    leaf(projects, "list", "list projects", _project_list)

    publishers = group("publisher", "trusted publishers (OIDC tokens and attestations)")
    add = leaf(publishers, "add", "trust a CI job: it may mint stage tokens, and its PEP 740 "
               "attestations are accepted", _publisher_add)
    add.add_argument("--project", required=True)
    add.add_argument("--kind", choices=KINDS, default="github",
                     help="github (default), gitlab or google")
    add.add_argument("--repository", metavar="OWNER/NAME",
                     help="GitHub owner/repository, or GitLab project path (group/project)")
    add.add_argument("--workflow", metavar="FILE",
                     help="GitHub workflow file name (release.yml), or GitLab CI file path "
                          "(.gitlab-ci.yml)")
    add.add_argument("--environment", metavar="NAME",
                     help="the deployment environment the job must run in (GitHub, GitLab)")
    add.add_argument("--email", metavar="ADDRESS",
                     help="the Google Cloud service account's email (google)")
    add.add_argument("--issuer", metavar="URL",
                     help="OIDC issuer (default: the kind's own, e.g. "
                          "https://token.actions.githubusercontent.com; a self-managed GitLab "
                          "names its URL)")
    add.add_argument("--jwks", metavar="FILE_OR_URL",
                     help="the issuer's signing keys, a JWKS file or its https URL (default: "
                          "the default issuer's published keys)")
    leaf(publishers, "list", "list trusted publishers", _publisher_list).add_argument(
        "--project")
    leaf(publishers, "remove", "remove a trusted publisher", _publisher_remove).add_argument(
        "id", type=int, metavar="ID")

    stored = group("secrets", "TOTP secrets and upstream tokens sealed at rest")
    leaf(stored, "key", "make a key for HATCH_STAGE_SECRET_KEY (opens no registry)",
         _secrets_key).set_defaults(opens_registry=False)
    leaf(stored, "seal", "seal stored secrets with the first key of HATCH_STAGE_SECRET_KEY",
         _secrets_seal)

    hooks = group("webhook", "notifications to HTTPS endpoints, signed (HMAC-SHA256)")
    add_hook = leaf(hooks, "add", "send a project's notifications to a URL", _webhook_add)
    add_hook.add_argument("--project", required=True, help="the project, or * for every one")
    add_hook.add_argument("--url", required=True,
                          help="https:// URL (plain http:// only on this machine)")
    add_hook.add_argument("--event", action="append", metavar="EVENT",
                          help="an event to send (repeat for more; default: all of staged, "
                               "validated, published, rejected, expiring, expired, "
                               "promotion-failed)")
    add_hook.add_argument("--secret-stdin", action="store_true",
                          help="read the signing secret from standard input instead of "
                               "making one")
    leaf(hooks, "list", "list webhooks (never their secrets)", _webhook_list).add_argument(
        "--project")
    leaf(hooks, "remove", "remove a webhook (its pending deliveries are canceled)",
         _webhook_remove).add_argument("id", type=int, metavar="ID")
    deliveries = leaf(hooks, "deliveries", "the delivery log, newest first, every attempt",
                      _webhook_deliveries)
    deliveries.add_argument("--id", type=int, metavar="ID", help="only this webhook's")
    deliveries.add_argument("--limit", type=int, default=50, metavar="N")

    sessions = group("session", "publishing sessions")
    listing = leaf(sessions, "list", "list sessions", _session_list)
    listing.add_argument("--project")
    listing.add_argument("--status",
                         choices=("open", "processing", "published", "error", "canceled"))


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser("admin", help="manage registry users, tokens and projects",
                                   description=__doc__.split("\n\n")[0])
    common = argparse.ArgumentParser(add_help=False)
    add_storage_arguments(common)
    json_flag(common)
    _leaves(parser.add_subparsers(dest="admin_group", metavar="GROUP", required=True), common)
    parser.set_defaults(error_target="python")


def run(args: argparse.Namespace) -> int:
    if not getattr(args, "opens_registry", True):
        text, data = args.action(None, args)
        location = "-"
    else:
        registry = open_registry(args)
        location = args.error_registry = registry.location
        try:
            text, data = args.action(registry, args)
        finally:
            registry.close()
    if args.json:
        emit_json(envelope(True, "python", location, data))
    else:
        console.print(escape(text))
    return 0
