"""The blob store in an S3 bucket (``serve --blobs s3://BUCKET/PREFIX``), through boto3.

The endpoint, region and credentials come from where the AWS tools read them: the
environment (``AWS_ACCESS_KEY_ID``, ``AWS_PROFILE``, ``AWS_ENDPOINT_URL``, ...), the shared
config and credentials files, SSO, instance and container roles. Nothing of them is ever
printed: messages name the bucket and prefix only.

Uploads stream: a file smaller than one part is held (one part at most) until it is verified,
then written with one PUT under its final name; a larger one goes up as a multipart upload,
one part in memory at a time, and is *completed* only once every byte is verified. An
unfinished multipart upload is no object, so a cut-off upload leaves nothing that is ever
served; :meth:`S3BlobStore.sweep_tmp` aborts the stale ones (a bucket lifecycle rule that
aborts incomplete multipart uploads after a day is a good second net). When the uploader
declared no sha256 (a legacy upload with md5 only), the multipart upload goes to ``tmp/``
and is copied to its name once verified.
"""

from __future__ import annotations

import contextlib
import secrets
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, cast
from urllib.parse import urlsplit

from ..errors import ConfigError
from .blobs import (
    STALE_SECONDS,
    BlobStore,
    Readable,
    Received,
    Verifier,
    blob_name,
    private_directories,
)
from .problems import StorageUnavailable

#: the size of each part of a multipart upload (S3's smallest is 5 MiB): what one upload
#: holds in memory at most
PART_SIZE = 8 * 1024 * 1024
#: S3's most parts per multipart upload
MAX_PARTS = 10_000


def _missing(error: Exception) -> bool:
    """Whether a botocore error means "no such object"."""
    response = getattr(error, "response", None) or {}
    code = str(response.get("Error", {}).get("Code", ""))
    return code in ("404", "NoSuchKey", "NotFound")


class S3BlobStore(BlobStore):
    """Files by sha256 under ``s3://bucket/prefix/sha256/ab/cd/...``."""

    def __init__(self, client: Any, bucket: str, prefix: str, scratch: Path,
                 part_size: int = PART_SIZE) -> None:
        super().__init__(scratch)
        scratch.parent.mkdir(parents=True, exist_ok=True)
        private_directories(scratch)
        self.client = client
        self.bucket = bucket
        self.prefix = f"{prefix.strip('/')}/" if prefix.strip("/") else ""
        self.part_size = part_size

    @classmethod
    def from_url(cls, url: str, *, scratch: Path) -> S3BlobStore:
        """The store ``s3://BUCKET/PREFIX`` names, with a boto3 client configured the way
        the AWS tools are (``pip install 'hatch-stage[s3]'``)."""
        parts = urlsplit(url)
        if not parts.netloc or parts.query or parts.fragment or "@" in parts.netloc:
            raise ConfigError(f"--blobs {url!r}: expected s3://BUCKET or s3://BUCKET/PREFIX "
                              "(endpoint, region and credentials come from the AWS "
                              "environment variables and config files)")
        try:
            import boto3
            from botocore.config import Config
        except ImportError:
            raise ConfigError("--blobs s3://... needs boto3: pip install "
                              "'hatch-stage[s3]'") from None
        config = Config(connect_timeout=10, read_timeout=60,
                        retries={"max_attempts": 5, "mode": "standard"},
                        max_pool_connections=32)
        client = boto3.session.Session().client("s3", config=config)
        return cls(client, parts.netloc, parts.path, scratch)

    def describe(self) -> str:
        return f"s3://{self.bucket}/{self.prefix}"

    def key(self, sha256: str) -> str:
        return self.prefix + blob_name(sha256)

    @contextlib.contextmanager
    def _storage(self, doing: str) -> Iterator[None]:
        """botocore's errors as the registry's: 503 naming the bucket, never a credential."""
        from botocore.exceptions import BotoCoreError, ClientError

        try:
            yield
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code", "error")
            raise StorageUnavailable(f"the object store {self.describe()} refused to {doing} "
                                     f"({code})") from None
        except BotoCoreError as error:
            raise StorageUnavailable(f"the object store {self.describe()} could not "
                                     f"{doing} ({type(error).__name__})") from None

    # reading ------------------------------------------------------------------------------

    def _head(self, sha256: str) -> dict[str, Any] | None:
        from botocore.exceptions import ClientError

        with self._storage("look up a file"):
            try:
                return cast(dict[str, Any], self.client.head_object(
                    Bucket=self.bucket, Key=self.key(sha256)))
            except ClientError as error:
                if _missing(error):
                    return None
                raise

    def exists(self, sha256: str) -> bool:
        return self._head(sha256) is not None

    def open(self, sha256: str) -> IO[bytes]:
        from botocore.exceptions import ClientError

        with self._storage("read a file"):
            try:
                answer = self.client.get_object(Bucket=self.bucket, Key=self.key(sha256))
            except ClientError as error:
                if _missing(error):
                    raise FileNotFoundError(sha256) from None
                raise
        return cast(IO[bytes], answer["Body"])

    def download_url(self, sha256: str, filename: str, lifetime: int) -> str | None:
        with self._storage("sign a download"):
            return str(self.client.generate_presigned_url(
                "get_object", ExpiresIn=lifetime,
                Params={"Bucket": self.bucket, "Key": self.key(sha256),
                        "ResponseContentType": "application/octet-stream",
                        "ResponseContentDisposition": f'attachment; filename="{filename}"'}))

    def digests(self) -> Iterator[str]:
        for item in self._listing(self.prefix + "sha256/"):
            yield item["Key"].rsplit("/", 1)[-1]

    def _listing(self, prefix: str) -> Iterator[dict[str, Any]]:
        with self._storage("list files"):
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=prefix)
            for page in pages:
                yield from page.get("Contents", [])

    def check(self) -> None:
        self.client.head_bucket(Bucket=self.bucket)

    # writing ------------------------------------------------------------------------------

    def receive(self, stream: Readable, *, expected: Mapping[str, str], size: int | None,
                limit: int) -> Received:
        verifier = Verifier(expected, size, limit)
        chunks = verifier.chunks(stream)
        # parts big enough that the largest allowed file fits in S3's part count
        part_size = max(self.part_size, -(-limit // MAX_PARTS))
        first = _part(chunks, part_size)
        if len(first) < part_size:  # the whole file: written once verified
            received = verifier.verified()
            with self._storage("store a file"):
                self.client.put_object(Bucket=self.bucket, Key=self.key(received.sha256),
                                       Body=first)
            return received
        declared = verifier.declared
        key = self.key(declared) if declared else f"{self.prefix}tmp/{secrets.token_hex(16)}"
        with self._storage("start a multipart upload"):
            upload = self.client.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        try:
            parts: list[dict[str, Any]] = []
            piece = first
            while piece:
                number = len(parts) + 1
                with self._storage("store a part of a file"):
                    tag = self.client.upload_part(Bucket=self.bucket, Key=key, UploadId=upload,
                                                  PartNumber=number, Body=piece)["ETag"]
                parts.append({"ETag": tag, "PartNumber": number})
                del piece  # one part in memory at a time
                piece = _part(chunks, part_size)
            received = verifier.verified()
            with self._storage("complete a multipart upload"):
                self.client.complete_multipart_upload(
                    Bucket=self.bucket, Key=key, UploadId=upload,
                    MultipartUpload={"Parts": parts})
        except BaseException:
            with contextlib.suppress(Exception):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload)
            raise
        if key != self.key(received.sha256):
            self._move(key, self.key(received.sha256))
        return received

    def _move(self, source: str, target: str) -> None:
        with self._storage("store a file"):
            # boto3's managed copy: a multipart copy inside the store for large objects
            self.client.copy({"Bucket": self.bucket, "Key": source}, self.bucket, target)
            self.client.delete_object(Bucket=self.bucket, Key=source)

    def _last_activity(self, upload: dict[str, Any]) -> float:
        parts = self.client.list_parts(Bucket=self.bucket, Key=upload["Key"],
                                       UploadId=upload["UploadId"]).get("Parts", [])
        return float(max([part["LastModified"] for part in parts],
                         default=upload["Initiated"]).timestamp())

    def remove(self, sha256: str, *, older_than: float) -> bool:
        head = self._head(sha256)
        if head is None or head["LastModified"].timestamp() >= older_than:
            return False
        with self._storage("delete a file"):
            self.client.delete_object(Bucket=self.bucket, Key=self.key(sha256))
        return True

    def sweep_tmp(self, now: float | None = None) -> int:
        """Abort multipart uploads and delete ``tmp/`` objects of uploads that died.

        An upload is dead when nothing happened to it for :data:`STALE_SECONDS`: its newest
        part (or, with none, its start) is that old. A large upload on a slow link may take
        longer than that in all; it is alive as long as its parts keep coming.
        """
        cutoff = (now or time.time()) - STALE_SECONDS
        removed = super().sweep_tmp(now)
        with self._storage("list unfinished uploads"):
            pages = self.client.get_paginator("list_multipart_uploads").paginate(
                Bucket=self.bucket, Prefix=self.prefix)
            stale = [upload for page in pages for upload in page.get("Uploads", [])
                     if self._last_activity(upload) < cutoff]
        for upload in stale:
            with self._storage("abort an unfinished upload"):
                self.client.abort_multipart_upload(Bucket=self.bucket, Key=upload["Key"],
                                                   UploadId=upload["UploadId"])
            removed += 1
        for item in list(self._listing(self.prefix + "tmp/")):
            if item["LastModified"].timestamp() < cutoff:
                with self._storage("delete a leftover"):
                    self.client.delete_object(Bucket=self.bucket, Key=item["Key"])
                removed += 1
        return removed


def _part(chunks: Iterator[bytes], size: int) -> bytes:
    """The next ``size`` bytes of ``chunks`` at most (fewer only at the end)."""
    pieces: list[bytes] = []
    held = 0
    while held < size:
        chunk = next(chunks, b"")
        if not chunk:
            break
        pieces.append(chunk)
        held += len(chunk)
    return b"".join(pieces)

