"""``hatch-stage serve``: run the stage registry (PEP 694 sessions, stage previews, the live
simple index, legacy uploads, OTP-gated approval, trusted publishing).

With no options it keeps everything in the default data directory (SQLite and blobs) and
needs no set-up; ``--database postgresql://...`` and ``--blobs s3://BUCKET/PREFIX`` share the
tables and the files between instances.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from ..errors import ConfigError
from ..markup import escape
from ..output import console, emit_json, envelope, stderr
from .flags import json_flag

#: the port ``serve`` listens on by default (694, as in the PEP, plus 8000)
DEFAULT_PORT = 8694
#: environment variable read when --database is not given (keeps passwords out of ps)
DATABASE_VARIABLE = "HATCH_STAGE_DATABASE_URL"
#: environment variable read when --blobs is not given
BLOBS_VARIABLE = "HATCH_STAGE_BLOBS"


def add_storage_arguments(parser: argparse.ArgumentParser) -> None:
    """``--data`` and ``--database``, shared by ``serve`` and ``admin``."""
    parser.add_argument("--data", metavar="DIR",
                        help="data directory: SQLite database and blobs (default: "
                             "$HATCH_STAGE_HOME or ~/.local/share/hatch-stage)")
    parser.add_argument("--database", metavar="URL",
                        help="postgresql://user@host:port/name to share the tables between "
                             f"instances (default: ${DATABASE_VARIABLE}, else SQLite in --data)")
    parser.add_argument("--blobs", metavar="URL_OR_DIR",
                        help="s3://BUCKET/PREFIX to keep the files in an object store (endpoint, "
                             "region and credentials as the AWS tools read them), or a "
                             f"directory (default: ${BLOBS_VARIABLE}, else DATA/blobs)")


def open_registry(args: argparse.Namespace, **settings: Any) -> Any:
    """The registry the storage arguments name, schema created or migrated."""
    from ..registry import Registry, RegistrySettings

    database = args.database or os.environ.get(DATABASE_VARIABLE) or None
    blobs = args.blobs or os.environ.get(BLOBS_VARIABLE) or None
    return Registry.open(args.data, database, RegistrySettings(**settings), blobs=blobs)


def register(subparsers: Any) -> None:
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "serve", help="run the stage registry", description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default: "
                                                            "127.0.0.1)")
    parser.add_argument("--port", type=int, default=DEFAULT_PORT,
                        help=f"port to listen on, 0 for any free one (default: {DEFAULT_PORT})")
    add_storage_arguments(parser)
    parser.add_argument("--base-url", metavar="URL",
                        help="public URL of the registry for links, when behind a proxy")
    parser.add_argument("--oidc-audience", default="hatch-stage", metavar="NAME",
                        help="audience trusted-publishing tokens must carry "
                             "(default: hatch-stage)")
    parser.add_argument("--session-lifetime", type=int, default=7 * 24 * 3600, metavar="SECONDS",
                        help="how long a new session lives (default: one week)")
    parser.add_argument("--max-file-size", type=int, default=10 * 1024**3, metavar="BYTES",
                        help="largest file accepted (default: 10 GiB)")
    parser.add_argument("--max-session-files", type=int, default=300, metavar="N",
                        help="most files one session may hold (default: 300)")
    parser.add_argument("--accept-unbound-approvals", action="store_true",
                        help="let PEP 694 clients publish without naming the release digest "
                             "they reviewed (by default an approval must name it)")
    parser.add_argument("--disable-rule", action="append", default=[], metavar="NAME",
                        help="a built-in review rule the review page does not apply (repeat "
                             "for several; the names are those of the rule plugins)")
    parser.add_argument("--sigstore-staging", action="store_true",
                        help="verify PEP 740 attestations against Sigstore's staging instance "
                             "instead of production (for attestations signed there, in tests)")
    parser.add_argument("--redirect-downloads", type=int, default=0, metavar="SECONDS",
                        help="with --blobs s3://..., answer file downloads with a redirect to "
                             "a URL of the object store valid this long (default: 0, the "
                             "registry streams the files itself)")
    parser.add_argument("--expiry-warning", type=int, default=24 * 3600, metavar="SECONDS",
                        help="send the `expiring` notification this long before a session "
                             "expires (default: 24 hours)")
    parser.add_argument("--sweep-interval", type=float, default=60, metavar="SECONDS",
                        help="how often expired sessions are canceled and expiry warnings sent "
                             "(default: 60)")
    parser.add_argument("--webhook-timeout", type=float, default=10, metavar="SECONDS",
                        help="how long a webhook receiver may take to answer (default: 10)")
    parser.add_argument("--webhook-attempts", type=int, default=8, metavar="N",
                        help="attempts per webhook delivery before it fails (default: 8)")
    parser.add_argument("--webhook-backoff", type=float, default=30, metavar="SECONDS",
                        help="wait before the first retry of a delivery; doubles with each "
                             "attempt, at most an hour (default: 30)")
    parser.add_argument("--log-level", default="info",
                        choices=("critical", "error", "warning", "info", "debug"))
    json_flag(parser)
    parser.set_defaults(func=run, error_target="python")


def warn_about_permissions(args: argparse.Namespace) -> None:
    """On stderr: what in the data directory other local users can read (the TOTP secrets,
    upstream tokens, staged files), and how to tighten it."""
    from ..registry.storage import default_data_dir, loose_permissions

    data = Path(args.data).expanduser() if args.data else default_data_dir()
    for problem in loose_permissions(data):
        stderr.print(f"[bold yellow]warning:[/] {escape(problem)}")


def run(args: argparse.Namespace) -> int:
    from ..diff import BuiltinRules
    from ..registry.server import bind, serve

    warn_about_permissions(args)
    try:
        BuiltinRules(args.disable_rule)
    except ValueError as error:
        raise ConfigError(f"--disable-rule: {error}") from None
    for name in ("expiry_warning", "webhook_attempts", "webhook_timeout", "sweep_interval"):
        if getattr(args, name) <= 0:
            raise ConfigError(f"--{name.replace('_', '-')} must be more than 0")
    try:
        sock = bind(args.host, args.port)
    except OSError as error:
        raise ConfigError(f"cannot listen on {args.host}:{args.port}: {error.strerror}; "
                          "pick another --port") from None
    host, port = sock.getsockname()[:2]
    shown = f"[{host}]" if ":" in host else host
    url = (args.base_url or f"http://{shown}:{port}").rstrip("/")
    args.error_registry = url
    try:
        registry = open_registry(args, audience=args.oidc_audience,
                                 disabled_rules=tuple(args.disable_rule),
                                 session_lifetime=args.session_lifetime,
                                 max_file_size=args.max_file_size,
                                 max_session_files=args.max_session_files,
                                 require_digest=not args.accept_unbound_approvals,
                                 sigstore_staging=args.sigstore_staging,
                                 public_url=url,
                                 redirect_downloads=max(args.redirect_downloads, 0),
                                 expiry_warning=args.expiry_warning,
                                 webhook_timeout=args.webhook_timeout,
                                 webhook_attempts=args.webhook_attempts,
                                 webhook_backoff=max(args.webhook_backoff, 0))
    except BaseException:
        sock.close()
        raise
    try:

        def announce() -> None:
            if args.json:
                emit_json(envelope(True, "python", url, {
                    "url": url, "pid": os.getpid(), "data": registry.location,
                    "blobs": registry.blobs.describe(),
                    "upload": f"{url}/upload/2.0/", "simple": f"{url}/simple/",
                    "legacy": f"{url}/legacy/"}))
            else:
                console.print(f"hatch-stage registry on {url}/ (data: {registry.location})")

        serve(registry, sock, base_url=args.base_url, log_level=args.log_level,
              on_ready=announce, sweep_interval=args.sweep_interval)
    finally:
        registry.close()
    return 0
