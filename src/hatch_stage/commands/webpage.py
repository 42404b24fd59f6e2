"""``hatch-stage view STAGE_ID --web``: open the registry's review page of a staged release in
the browser (``hatch-stage serve`` serves it at ``/review/<stage id>``).

Nothing is fetched and no token is needed here: the page has its own sign-in (a maintain
token and a one-time password, typed into the page). With no registry configured the page
is the one ``hatch-stage serve`` serves for the local store, at its default address.
"""

from __future__ import annotations

import argparse
import webbrowser

from ..errors import ConfigError
from ..output import console, emit_json, envelope
from ..project import detect_target
from ..targets.pep694 import check_stage_id
from ..urls import SERVE_ADDRESS, check_registry_url
from .clients import client_config


def review_page_url(registry: str, stage_id: str) -> str:
    return f"{registry.rstrip('/')}/review/{check_stage_id(stage_id)}"


def open_review_page(args: argparse.Namespace) -> int:
    config = client_config(args)
    if detect_target(args.project.resolve(), config) == "npm":
        raise ConfigError("--web opens the review page of a hatch-stage registry (hatch-stage "
                          "serve); npm registries have none: leave out --web")
    registry = check_registry_url(config.registry) if config.registry else SERVE_ADDRESS
    args.error_registry = registry
    url = review_page_url(registry, args.stage_id)
    opened = webbrowser.open(url)
    if args.json:
        emit_json(envelope(True, "python", registry, {"url": url, "opened": opened},
                           stage_id=args.stage_id))
        return 0
    local = "" if config.registry else " (the local store's page: run `hatch-stage serve`)"
    if opened:
        console.print(f"opening {url} in your browser{local}")
    else:
        console.print(f"no browser could be started here: open {url}{local}")
    return 0
