"""The publish document npm sends to stage (and publish) a version, written to a file.

Its shape is what npm's libnpmpublish builds: ``_id``, ``name``, ``description``,
``dist-tags`` ``{tag: version}``, ``versions`` ``{version: manifest + dist}``, ``access``
and ``_attachments`` with the tarball in base64 (and a ``.sigstore`` provenance bundle when
one is given). The tarball is encoded in chunks straight into the file, so neither it nor its
base64 text is ever held in memory whole; the file is then streamed as the request body.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping
from pathlib import Path
from typing import IO, Any
from urllib.parse import urljoin

_CHUNK = 3 * 256 * 1024  # a multiple of 3, so base64 chunks join without padding inside


def digests(tarball: Path) -> tuple[str, str]:
    """(``sha512-...`` integrity, hex sha1 shasum) of a tarball, as npm records them."""
    sha512, sha1 = hashlib.sha512(), hashlib.sha1()
    with tarball.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            sha512.update(chunk)
            sha1.update(chunk)
    return "sha512-" + base64.b64encode(sha512.digest()).decode(), sha1.hexdigest()


def version_manifest(manifest: Mapping[str, Any], tarball: Path, registry: str) -> dict[str, Any]:
    """The manifest as the registry stores it for this version: ``_id`` and ``dist`` added."""
    name, version = str(manifest["name"]), str(manifest["version"])
    integrity, shasum = digests(tarball)
    document = {key: value for key, value in manifest.items() if key != "patchedDependencies"}
    document["_id"] = f"{name}@{version}"
    # npm's own spelling: the URL path uses the full name twice, and plain http (clients
    # upgrade to the registry's scheme when they download)
    url = urljoin(registry, f"{name}/-/{name}-{version}.tgz").replace("https://", "http://", 1)
    document["dist"] = {**dict(manifest.get("dist") or {}), "integrity": integrity,
                        "shasum": shasum, "tarball": url}
    return document


def _write_base64(tarball: Path, out: IO[bytes]) -> int:
    size = 0
    with tarball.open("rb") as stream:
        while chunk := stream.read(_CHUNK):
            size += len(chunk)
            out.write(base64.b64encode(chunk))
    return size


def write_document(path: Path, *, manifest: Mapping[str, Any], tarball: Path, registry: str,
                   tag: str, access: str | None, provenance: Path | None = None) -> None:
    """Write the publish document of ``tarball`` (its package.json is ``manifest``) to ``path``."""
    name, version = str(manifest["name"]), str(manifest["version"])
    head = {
        "_id": name,
        "name": name,
        "description": manifest.get("description"),
        "dist-tags": {tag: version},
        "versions": {version: version_manifest(manifest, tarball, registry)},
        "access": access,
    }
    text = json.dumps(head, ensure_ascii=False)
    with path.open("wb") as out:
        out.write(text[:-1].encode())
        out.write(b', "_attachments": {')
        out.write(json.dumps(f"{name}-{version}.tgz").encode())
        out.write(b': {"content_type": "application/octet-stream", "data": "')
        size = _write_base64(tarball, out)
        out.write(f'", "length": {size}}}'.encode())
        if provenance is not None:
            bundle = json.loads(provenance.read_text(encoding="utf-8"))
            serialized = json.dumps(bundle, separators=(",", ":"))
            attachment = {"content_type": bundle.get("mediaType", "application/json"),
                          "data": serialized, "length": len(serialized)}
            out.write(b", " + json.dumps(f"{name}-{version}.sigstore").encode() + b": ")
            out.write(json.dumps(attachment).encode())
        out.write(b"}}")
