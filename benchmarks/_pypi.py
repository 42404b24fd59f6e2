"""Downloading the latest release files of real projects from the public index, cached.

Uses the index's JSON simple API (PEP 691, with the PEP 700 ``versions`` list): the newest
final version that has an sdist, its sdist, and the wheel a pure-Python install would pick
(``py3-none-any``), else any wheel. Files land in ``~/.cache/hatch-stage/bench`` (or
``$HATCH_STAGE_BENCH_CACHE``) and are checked against the index's sha256 before use; a
second run downloads nothing. Requests time out and are retried a bounded number of times.

Imported by the scripts next to it; not part of the package.
"""

from __future__ import annotations

import hashlib
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urljoin

import httpx2
from packaging.utils import (
    InvalidSdistFilename,
    InvalidWheelFilename,
    canonicalize_name,
    parse_sdist_filename,
    parse_wheel_filename,
)
from packaging.version import InvalidVersion, Version

#: 40 popular, well-kept packages: the precision benchmark's releases (issue 12), on which the
#: score's weights were calibrated (score_survey.py)
POPULAR = (
    "aiohttp", "attrs", "azure-core", "black", "boto3", "botocore", "certifi",
    "charset-normalizer", "click", "cryptography", "detect-secrets", "django", "fastapi",
    "flask", "google-auth", "hatchling", "httpx", "idna", "jinja2", "keyring", "numpy",
    "oauthlib", "packaging", "paramiko", "pip", "pluggy", "poetry-core", "pydantic", "pytest",
    "pyyaml", "requests", "requests-oauthlib", "rich", "setuptools", "six", "sqlalchemy",
    "starlette", "twine", "urllib3", "uvicorn",
)
INDEX = "https://pypi.org/simple/"
ACCEPT = "application/vnd.pypi.simple.v1+json"
RETRIES = 3
TIMEOUT = httpx2.Timeout(60, connect=15)


def cache_dir() -> Path:
    explicit = os.environ.get("HATCH_STAGE_BENCH_CACHE")
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    path = Path(explicit) if explicit else base / "hatch-stage" / "bench"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _get(client: httpx2.Client, url: str, **kwargs: Any) -> httpx2.Response:
    for attempt in range(RETRIES + 1):
        try:
            response = client.get(url, **kwargs)
            if response.status_code < 500 and response.status_code != 429:
                response.raise_for_status()
                return response
        except httpx2.TransportError:
            if attempt == RETRIES:
                raise
        time.sleep(0.5 * 2**attempt)
    response.raise_for_status()
    return response


@dataclass(frozen=True)
class Release:
    """One project's latest release files on disk."""

    name: str
    version: str
    sdist: Path
    wheel: Path | None


def _version_of(filename: str) -> Version | None:
    try:
        if filename.endswith(".whl"):
            return parse_wheel_filename(filename)[1]
        return parse_sdist_filename(filename)[1]
    except (InvalidSdistFilename, InvalidWheelFilename, InvalidVersion):
        return None


def _wheel_rank(filename: str) -> int:
    """The wheel this machine would install first: pure, then CPython 3.11 on x86-64 Linux,
    then the stable ABI there, then anything."""
    tags = {str(tag) for tag in parse_wheel_filename(filename)[3]}
    if any(tag.endswith("-none-any") for tag in tags):
        return 0
    linux = [tag for tag in tags if "manylinux" in tag and "x86_64" in tag]
    if any(tag.startswith("cp311-cp311-") for tag in linux):
        return 1
    if any("-abi3-" in tag for tag in linux):
        return 2
    return 3


def _download(client: httpx2.Client, base: str, entry: dict[str, Any], cache: Path) -> Path:
    target = cache / entry["filename"]
    digest = entry.get("hashes", {}).get("sha256")
    if target.is_file() and (digest is None or _sha256(target) == digest):
        return target
    response = _get(client, urljoin(base, entry["url"]), follow_redirects=True)
    if digest is not None and hashlib.sha256(response.content).hexdigest() != digest:
        raise RuntimeError(f"{entry['filename']}: sha256 does not match the index")
    partial = target.with_suffix(target.suffix + ".partial")
    partial.write_bytes(response.content)
    partial.replace(target)
    return target


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def latest_release(name: str, client: httpx2.Client, cache: Path | None = None) -> Release:
    """The newest final release of ``name`` with an sdist, its sdist and best wheel on disk."""
    cache = cache or cache_dir()
    url = urljoin(INDEX, canonicalize_name(name) + "/")
    response = _get(client, url, headers={"Accept": ACCEPT})
    files = [f for f in response.json()["files"] if not f.get("yanked")]
    by_version: dict[Version, list[dict[str, Any]]] = {}
    for entry in files:
        version = _version_of(entry["filename"])
        if version is not None and not version.is_prerelease and not version.is_devrelease:
            by_version.setdefault(version, []).append(entry)
    for version in sorted(by_version, reverse=True):
        entries = by_version[version]
        sdists = [e for e in entries if e["filename"].endswith((".tar.gz", ".zip"))]
        if not sdists:
            continue
        wheels = sorted((e for e in entries if e["filename"].endswith(".whl")),
                        key=lambda e: _wheel_rank(e["filename"]))
        base = str(response.url)
        sdist = _download(client, base, sdists[0], cache)
        wheel = _download(client, base, wheels[0], cache) if wheels else None
        return Release(name, str(version), sdist, wheel)
    raise RuntimeError(f"{name}: no final release with an sdist on the index")


def client() -> httpx2.Client:
    return httpx2.Client(timeout=TIMEOUT, headers={"User-Agent": "hatch-stage-benchmarks"})
