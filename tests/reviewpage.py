"""Helpers for the review page tests: fixture releases staged on a real registry, and signing
in over plain HTTP (the browser tests drive the same page with Chromium).

A plain module beside stagekit.py, shared by tests/registry and tests/browser."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
import pyotp
from releasepairs import write_release
from stagekit import Account, Server, unique_name

from hatch_stage.models import Artifact
from hatch_stage.plugins.python_pack import build


def built(directory: Path, name: str, version: str, *, risky: bool) -> list[Artifact]:
    """The sdist and wheel of a fixture release (``risky``: the 1.1 that adds a .pth file, a
    native-binary stub, a console script and a dependency)."""
    root = write_release(directory / f"src-{name}-{version}", name, version, risky=risky)
    out = directory / f"dist-{name}-{version}"
    out.mkdir()
    return build(root, out)


@dataclass
class StagedPair:
    """A project with 1.0 published and 1.1 staged; who staged it and who may decide."""

    name: str
    session: dict[str, Any]
    maintainer: Account
    stager: Account


def stage_pair(server: Server, directory: Path) -> StagedPair:
    """Publish a fixture 1.0 (with an account of its own, so the maintainer's codes stay
    unused) and stage its risky 1.1 with a stage-only token."""
    name = unique_name("page")
    publisher = server.maintainer(name)
    client = server.client(publisher.token)
    first = client.stage(name, "1.0", built(directory, name, "1.0", risky=False))
    published = client.publish(first, publisher.otp())
    assert published.status_code == 201, published.text
    stager = server.maintainer(name, role="stage")
    session = server.client(stager.token).stage(
        name, "1.1", built(directory, name, "1.1", risky=True))
    return StagedPair(name, session, server.maintainer(name), stager)


def wrong_code(account: Account, now: float) -> str:
    """A six-digit code that is none of the codes the registry accepts around ``now``."""
    totp = pyotp.TOTP(account.totp_secret)
    accepted = {totp.at(now + 30 * step) for step in (-1, 0, 1, 2)}
    return next(code for code in (f"{n:06d}" for n in range(100000, 1000000))
                if code not in accepted)


def csrf_of(html: str) -> str:
    found = re.search(r'name="csrf" value="([^"]+)"', html)
    assert found, html
    return found.group(1)


def signed_in_client(server: Server, account: Account) -> tuple[httpx2.Client, str]:
    """A plain HTTP client signed in to the review page (its cookie jar holds the sign-in),
    and the anti-forgery token of the sign-in."""
    http = httpx2.Client(base_url=server.url, timeout=60, follow_redirects=False)
    form = http.get("/review/login")
    assert form.status_code == 200, form.text
    answer = http.post("/review/login", data={
        "csrf": csrf_of(form.text), "token": account.token, "otp": account.otp(),
        "next": "/review/"}, headers={"Origin": server.url})
    assert answer.status_code == 303, answer.text
    listing = http.get("/review/")
    assert listing.status_code == 200, listing.text
    return http, csrf_of(listing.text)
