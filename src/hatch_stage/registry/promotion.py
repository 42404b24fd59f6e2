"""Promotion: forwarding an approved release to an upstream index (PyPI or any index with
the legacy upload API) before it shows as published here.

Each file goes as one streamed multipart request (the file is never read into memory) with
the core metadata fields read from the file itself, the way twine sends them, and its
verified PEP 740 attestations as a JSON array in the ``attestations`` field, as twine sends
them with ``--attestations``. Connection errors, timeouts, 429 and 5xx answers are retried a
bounded number of times (:mod:`hatch_stage.http`); any other refusal fails the promotion with
the upstream's message.
"""

from __future__ import annotations

import email.parser
import json
import secrets
import tarfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import httpx2

from .. import http
from .blobs import BlobStore
from .problems import BadRequest, UpstreamFailed
from .projects import check_fetch_url
from .views import FileView, ProjectSettings, SessionView

#: the largest metadata file read from an artifact
METADATA_LIMIT = 1 << 20
#: METADATA header -> legacy form field, where it is not just lower-case with underscores
_FIELD_NAMES = {"classifier": "classifiers", "project_url": "project_urls"}


def _read_metadata(path: Path, filename: str) -> bytes:
    try:
        return _metadata_bytes(path, filename)
    except (zipfile.BadZipFile, tarfile.TarError, zlib.error, EOFError, OSError) as error:
        raise UpstreamFailed(f"{filename} cannot be read ({error})") from None


def _metadata_bytes(path: Path, filename: str) -> bytes:
    if filename.endswith(".whl"):
        with zipfile.ZipFile(path) as archive:
            for info in archive.infolist():
                parts = info.filename.split("/")
                if len(parts) == 2 and parts[0].endswith(".dist-info") and parts[1] == "METADATA":
                    with archive.open(info) as member:
                        return member.read(METADATA_LIMIT)
    else:
        with tarfile.open(path) as archive:
            for entry in archive:
                parts = entry.name.split("/")
                if len(parts) == 2 and parts[1] == "PKG-INFO" and entry.isfile():
                    extracted = archive.extractfile(entry)
                    if extracted is not None:
                        return extracted.read(METADATA_LIMIT)
    raise UpstreamFailed(f"{filename} has no core metadata file to promote it with")


def form_fields(path: Path, file: FileView, attestations: bool = True) -> list[tuple[str, str]]:
    """The legacy upload form fields for one file, metadata read from the file (and its
    verified attestations, with ``attestations``)."""
    filename, sha256 = file.filename, file.sha256
    message = email.parser.BytesParser().parsebytes(_read_metadata(path, filename))
    fields: list[tuple[str, str]] = [(":action", "file_upload"), ("protocol_version", "1")]
    for key, value in message.items():
        field = key.lower().replace("-", "_")
        fields.append((_FIELD_NAMES.get(field, field), str(value)))
    body = message.get_payload()
    if isinstance(body, str) and body.strip():
        fields.append(("description", body))
    wheel = filename.endswith(".whl")
    fields += [
        ("filetype", "bdist_wheel" if wheel else "sdist"),
        ("pyversion", filename[:-4].split("-")[-3] if wheel else "source"),
        ("sha256_digest", sha256),
    ]
    if attestations and file.provenance is not None:
        fields.append(("attestations", json.dumps([dict(item)
                                                   for item in file.provenance.attestations])))
    return fields


def _multipart(fields: list[tuple[str, str]], filename: str, stream: IO[bytes],
               boundary: str) -> httpx2.Request:
    data: dict[str, Any] = {}
    for key, value in fields:
        data.setdefault(key, []).append(value)
    return httpx2.Request(
        "POST", "http://upstream.invalid/", data=data,
        files={"content": (filename, stream, "application/octet-stream")},
        headers={"Content-Type": f"multipart/form-data; boundary={boundary}"},
    )


def _upload(client: httpx2.Client, settings: ProjectSettings, path: Path,
            file: FileView) -> None:
    filename = file.filename
    fields = form_fields(path, file, settings.upstream_attestations)
    boundary = secrets.token_hex(16)
    with path.open("rb") as stream:
        length = _multipart(fields, filename, stream, boundary).headers["Content-Length"]

        def body() -> Iterator[bytes]:
            stream.seek(0)  # a retry sends the whole request again
            content = _multipart(fields, filename, stream, boundary).stream
            assert isinstance(content, httpx2.SyncByteStream)
            return iter(content)

        response = http.send(
            client, "POST", str(settings.upstream_url), error=UpstreamFailed,
            what=f"upload {filename} to the upstream index", body=body,
            headers={"Content-Type": f"multipart/form-data; boundary={boundary}",
                     "Content-Length": length},
            auth=(settings.upstream_user or "__token__", settings.upstream_token or ""),
        )
    if not response.is_success:
        raise UpstreamFailed(f"the upstream index refused {filename}: {response.status_code} "
                             f"{http.problem_detail(response)}")


def promote(settings: ProjectSettings, session: SessionView, blobs: BlobStore) -> None:
    """Upload every completed file of ``session`` upstream; :class:`UpstreamFailed` on the
    first one refused (files already sent stay upstream: the legacy API has no transaction)."""
    files = sorted((file for file in session.files if file.status == "completed"),
                   key=lambda file: (not file.filename.endswith(".whl"), file.filename))
    try:  # an upstream set before plain-http URLs were refused
        check_fetch_url(str(settings.upstream_url), "upstream URL")
    except BadRequest as error:
        raise UpstreamFailed(str(error)) from None
    with http.client() as client:
        for file in files:
            try:
                with blobs.local_file(file.sha256, file.filename) as path:
                    _upload(client, settings, path, file)
            except FileNotFoundError:
                raise UpstreamFailed(f"{file.filename} is missing from the registry's store"
                                     ) from None
