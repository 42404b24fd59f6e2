"""A legacy upload's multipart form, read as it arrives and never more than it must be.

twine, hatch, uv and poetry send the metadata fields first and the file (``content``) last.
So the form is read up to the file and stops there: the fields it needs are known (name,
version, digests, attestations, ``staged``), the registry checks the token's project scope and
the project's policy, and only then is the file read, straight into the blob store, stopping
at ``--max-file-size``. Nothing is spooled and nothing piles up in memory:

- each text field has a bound (:data:`FIELD_LIMIT`; the description :data:`DESCRIPTION_LIMIT`,
  the license text and attestations :data:`LARGE_FIELD_LIMIT`), all of them together
  :data:`TEXT_LIMIT`, and there are at most :data:`MAX_PARTS` parts; only the fields the
  registry uses are kept, the others are counted and dropped;
- a file part that comes before ``name`` and ``version`` is refused (no client sends one);
- after the file, at most :data:`TRAILING_LIMIT` bytes are read; what follows is not.

Runs in a worker thread over a blocking body reader (:class:`.web.BodyReader`).
"""

from __future__ import annotations

from collections import deque

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from .blobs import Readable
from .problems import BadRequest, TooLarge

#: the largest ordinary text field (a summary, a classifier, a requirement, a URL)
FIELD_LIMIT = 16 << 10
#: the long description (PyPI renders it; a README rarely reaches a few hundred KiB)
DESCRIPTION_LIMIT = 1 << 20
#: a full license text, PEP 740 attestations (a few KiB each)
LARGE_FIELD_LIMIT = 256 << 10
LARGE_FIELDS = {"description": DESCRIPTION_LIMIT, "license": LARGE_FIELD_LIMIT,
                "attestations": LARGE_FIELD_LIMIT}
#: all text fields together
TEXT_LIMIT = 2 << 20
#: parts in one form (a release's metadata has a few dozen fields, classifiers included)
MAX_PARTS = 1000
#: bytes read after the file part, whatever they hold
TRAILING_LIMIT = 64 << 10
#: the form fields the registry uses; the others are read (bounded) and dropped
KEPT = frozenset({":action", "name", "version", "staged", "attestations", "sha256_digest",
                  "md5_digest", "blake2_256_digest"})
#: the file's part
FILE_FIELD = "content"


class StreamingForm:
    """One ``multipart/form-data`` request body, read a chunk at a time."""

    def __init__(self, body: Readable, content_type: str) -> None:
        kind, options = parse_options_header(content_type)
        boundary = options.get(b"boundary")
        if kind != b"multipart/form-data" or not boundary:
            raise BadRequest("a legacy upload is a multipart/form-data form")
        try:
            self._parser = MultipartParser(boundary, {
                "on_part_begin": self._part_begins, "on_header_field": self._header_field,
                "on_header_value": self._header_value, "on_header_end": self._header_ends,
                "on_headers_finished": self._headers_finished, "on_part_data": self._data,
                "on_part_end": self._part_ends, "on_end": self._ends,
            })
        except (FormParserError, ValueError):
            raise BadRequest("the form's boundary is malformed") from None
        self._body = body
        #: the kept fields, each name's values in order
        self.fields: dict[str, list[str]] = {}
        #: the file part's file name, once its headers are read
        self.filename: str | None = None
        self._parts = self._text_total = 0
        self._header_name = self._header_value_bytes = b""
        self._headers: dict[bytes, bytes] = {}
        self._field: str | None = None
        self._value = bytearray()
        self._value_size = 0
        self._in_file = self._file_done = self._done = False
        self._file_chunks: deque[bytes] = deque()

    # reading --------------------------------------------------------------------------------

    def _feed(self) -> bool:
        """Parse the next chunk of the body; False at its end."""
        chunk = self._body.read(1 << 16)
        if not chunk:
            return False
        try:
            self._parser.write(chunk)
        except FormParserError as error:
            raise BadRequest(f"the form is malformed: {error}") from None
        return True

    def read_fields(self) -> None:
        """Read the form up to the file part (its headers included); :class:`BadRequest` when
        there is none, or when it comes before the name and version."""
        while self.filename is None and not self._done:
            if not self._feed():
                break
        if self.filename is None:
            raise BadRequest("the form has no file in 'content'")

    def read(self, size: int = -1, /) -> bytes:
        """The next bytes of the file (a :class:`~.blobs.Readable`); ``b""`` at its end."""
        while not self._file_chunks and not self._file_done:
            if not self._feed():
                raise BadRequest("the upload ended before the file did")
        return self._file_chunks.popleft() if self._file_chunks else b""

    def finish(self) -> None:
        """Read what follows the file, up to :data:`TRAILING_LIMIT` bytes, and drop it."""
        budget = TRAILING_LIMIT
        while not self._done and budget > 0:
            chunk = self._body.read(1 << 16)
            if not chunk:
                return
            budget -= len(chunk)
            try:
                self._parser.write(chunk)
            except (FormParserError, BadRequest, TooLarge):
                return  # the file is in; a malformed tail changes nothing

    # parser callbacks -----------------------------------------------------------------------

    def _part_begins(self) -> None:
        self._parts += 1
        if self._parts > MAX_PARTS:
            raise BadRequest(f"the form has more than {MAX_PARTS} parts")
        self._headers = {}
        self._field, self._value, self._value_size = None, bytearray(), 0

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self._header_name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self._header_value_bytes += data[start:end]

    def _header_ends(self) -> None:
        self._headers[self._header_name.strip().lower()] = self._header_value_bytes
        self._header_name = self._header_value_bytes = b""

    def _headers_finished(self) -> None:
        _, options = parse_options_header(self._headers.get(b"content-disposition", b""))
        name = options.get(b"name", b"").decode("latin-1")
        if name == FILE_FIELD and b"filename" in options and self.filename is None:
            if "name" not in self.fields or "version" not in self.fields:
                raise BadRequest("the form's name and version must come before the file "
                                 "(as twine, hatch and uv send them)")
            self.filename = options[b"filename"].decode("utf-8", "replace")
            self._in_file = True
            return
        if self.filename is not None and self._file_done:
            self._field = None  # after the file: dropped unread
            return
        self._field = name

    def _data(self, data: bytes, start: int, end: int) -> None:
        if self._in_file:
            self._file_chunks.append(data[start:end])
            return
        if self._field is None:
            return
        size = end - start
        self._value_size += size
        self._text_total += size
        limit = LARGE_FIELDS.get(self._field, FIELD_LIMIT)
        if self._value_size > limit:
            raise TooLarge(f"the form field {self._field!r} is over its limit of {limit} bytes")
        if self._text_total > TEXT_LIMIT:
            raise TooLarge(f"the form's fields are over {TEXT_LIMIT} bytes together")
        if self._field in KEPT:
            self._value += data[start:end]

    def _part_ends(self) -> None:
        if self._in_file:
            self._in_file, self._file_done = False, True
            return
        if self._field in KEPT:
            try:
                value = self._value.decode()
            except UnicodeDecodeError:
                raise BadRequest(f"the form field {self._field!r} is not UTF-8") from None
            self.fields.setdefault(self._field, []).append(value)

    def _ends(self) -> None:
        self._done = True
