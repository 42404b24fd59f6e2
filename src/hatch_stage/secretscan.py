"""detect-secrets' findings, exactly, at a fraction of its cost (the ``detect-secrets`` plugin).

:func:`scanner` gives what ``detect-secrets scan --all-files --no-verify`` reports for a file, for
files held in memory: same plugins, filters, transformers, line numbers and de-duplication. It
never verifies secrets over the network (that would send them to third parties).

Where the speed comes from. detect-secrets runs some thirty plugins and a dozen filters on every
line in Python (well under 1 MB/s on real source trees). Almost no line can hold a secret, and
every plugin needs something specific to find one: a literal (``AKIA``, ``eyJ``, ``PRIVATE
KEY``), a keyword, or a quoted run of base64/hex characters long enough to pass the entropy
limit. So each plugin gets *triggers*: regexes that match inside any line the plugin could
report, searched through the whole file at C speed. Only the lines a trigger marks go through
detect-secrets' own per-line code, and only for the plugins whose trigger fired; every other
line provably yields nothing.

Why the triggers are a superset (the argument each table entry was checked against):

- a trigger matches a substring of every match of the plugin's own regexes, on the same line;
- triggers have no anchors or lookarounds and cannot match a newline, so a match inside a line
  is found in the whole text at the same place; searching resumes at the next line after a hit,
  so no line holding a match is skipped;
- triggers for case-insensitive regexes search a lowered copy of the text in which the few
  characters ``re.IGNORECASE`` equates with ASCII letters but ``str.lower`` does not
  (capital I with dot, dotless i, long s) are folded too (:func:`_fold`);
- a string's entropy is at most log2 of its length, so the entropy plugins' triggers skip
  quoted strings too short to pass the plugin's limit (with a character to spare);
- the filters only remove findings, so running the line filters after the plugins changes
  nothing.

Custom plugins (hatch-stage's own detectors, :mod:`hatch_stage.inspection.detectors`) carry
their triggers as a ``triggers`` class attribute, held to the same promise; the property tests
in ``tests/test_scan_triggers.py`` check every plugin's triggers against strings generated from
its own regexes.

Files detect-secrets reads through a transformer (ini/toml/config, YAML, and the eager second
pass for files of no known type) are scanned line by line with detect-secrets' own code, after a
cheap check that proves most files would fail to parse anyway. A file a transformer chokes on
(an exception other than detect-secrets' own ``ParsingError``) is read line by line like any
text and listed in :attr:`Scanner.unparsed`, where detect-secrets would abort. The triggers are
written for detect-secrets 1.5.0; under any other version, or with a plugin that names no
triggers, every line takes the exact slow path.

detect-secrets keeps its settings in a global; :func:`scanner` installs its defaults for the
duration and restores the previous settings afterwards. Not thread-safe, like detect-secrets.
"""

from __future__ import annotations

import io
import math
import re
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

#: the detect-secrets version the trigger table was derived from
TRIGGERS_VERSION = "1.5.0"

# plugin class -> (pattern, searched in the lowered text?) pairs; see the module docstring
_TRIGGERS: dict[str, tuple[tuple[str, bool], ...]] = {
    "ArtifactoryDetector": (("AKC", False), (r"AP[\dABCDEF]", False)),
    "AWSKeyDetector": ((r"(?:A3T[A-Z0-9]|ABIA|ACCA|AKIA|ASIA)[0-9A-Z]{16}", False), ("aws", True)),
    "AzureStorageKeyDetector": (("AccountKey=", False),),
    "BasicAuthDetector": ((r"://[^:/?#\[\]@!$&'()*+,;=\s]+:[^:/?#\[\]@!$&'()*+,;=\s]+@", False),),
    "CloudantDetector": (
        (r"cl(?:oudant|ou)?[_-]?(?:api)?(?:key|pw|pass|token)", True),
        (r"://[\w\-]+:", False),
    ),
    "DiscordBotTokenDetector": ((r"\.[a-zA-Z\d_-]{6}\.[a-zA-Z\d_-]{27}", False),),
    "GitHubTokenDetector": ((r"gh[pousr]_", False),),
    "GitLabTokenDetector": (
        (r"gl(?:pat|dt|ft|soat|rt|cbt|imt|ptt|agent|oas)-", False),
        ("GR1348941", False),
    ),
    # one pattern per keyword: a leading literal is what makes a search fast
    "IbmCloudIamDetector": tuple(
        (keyword + r"['\"]?\]? *(?:=|:|:=|=>| +|::) *['\"]?[a-z0-9_\-]{44}", True)
        for keyword in ("key", "pwd", "pass(?:word)?", "token")
    ),
    "IbmCosHmacDetector": ((r"secret[-_]?(?:access)?[-_]?key", True),),
    "IPPublicDetector": ((r"\.[0-9]{1,3}\.[0-9]{1,3}\.", False),),
    "JwtTokenDetector": (("eyJ", False),),
    "MailchimpDetector": ((r"-us[0-9]", False),),
    "NpmDetector": (("/:_authToken=", False),),
    "OpenAIDetector": (("T3BlbkFJ", False),),
    "PrivateKeyDetector": (("PRIVATE KEY", False), ("PuTTY-User-Key-File-2", False)),
    "PypiTokenDetector": (("pypi-AgE", False),),
    "SendGridDetector": ((r"SG\.[a-zA-Z0-9_-]{22}\.", False),),
    "SlackDetector": (("xox", True), (r"hooks\.slack\.com", True)),
    "SoftlayerDetector": ((r"softlayer|sl[_-]?(?:api)?[_-]?(?:key|pwd|pass|token)", True),),
    "SquareOAuthDetector": (("sq0csp-", False),),
    "StripeDetector": (("k_live_", False),),
    "TelegramBotTokenDetector": ((r":[0-9A-Za-z_-]{35}", False),),
    "TwilioKeyDetector": ((r"AC[a-z0-9]{32}", False), (r"SK[a-z0-9]{32}", False)),
}

#: every word of detect-secrets' keyword plugin holds one of these (``api_?key``, ``passwd``...)
KEYWORD_ANCHORS = ("key", "pass", "pwd", "secret", "contrase")

# a line the eager config parse cannot accept: not indented, not blank, not a comment or
# section, and no option name before a delimiter (configparser then raises ParsingError)
_NOT_CONFIG_LINE = re.compile(r"^(?:[=:]|[^\s#;\[=:][^\n=:]*$)", re.MULTILINE)


@dataclass(frozen=True)
class Secret:
    """One secret detect-secrets reports in a file."""

    #: 1-based line number
    line: int
    #: detect-secrets' type name, e.g. "AWS Access Key"
    type: str
    #: sha1 of the secret, as in a detect-secrets baseline
    hashed_secret: str
    #: the secret itself; callers must mask it before showing anything
    value: str = field(repr=False)


def mask(secret: str) -> str:
    """The secret with too little left to recover it: a 4-character hint only on long secrets."""
    if len(secret) >= 16:
        return secret[:4] + "*" * (len(secret) - 4)
    return "*" * len(secret)


def _fold(text: str) -> str:
    """Lower-case ``text`` so that a lower-case literal search finds what ``re.I`` would."""
    if text.isascii():
        return text.lower()
    # re.IGNORECASE equates these with i and s; str.lower() does not (or adds a combining dot)
    return text.replace("\u0130", "i").lower().replace("\u0131", "i").replace("\u017f", "s")


class _NamedText(io.StringIO):
    """An in-memory text file with a name, as detect-secrets' transformers expect."""

    def __init__(self, text: str, name: str) -> None:
        super().__init__(text)  # newline="\n": lines split as in the normalised text
        self.name = name


class _Lines:
    """The file's lines, cut as ``readlines()`` cuts them; raw forms built only when asked."""

    def __init__(self, text: str) -> None:
        self.parts = text.split("\n")
        # every part but the last ended with a newline; an empty last part is no line at all
        self.count = len(self.parts) - (self.parts[-1] == "")

    def __getitem__(self, window: slice) -> list[str]:
        """Lines with their newline, for detect-secrets' code snippets (which only slice)."""
        start, stop, _ = window.indices(self.count)
        last = len(self.parts) - 1
        return [self.parts[i] + "\n" if i < last else self.parts[i] for i in range(start, stop)]


@dataclass(frozen=True)
class _Pass:
    """One search through a file for one or more triggers (of the same text, lowered or not).

    Triggers that begin with the same lower-case letter, or with any capital or digit, are
    searched as one alternation:
    a line holding a match of any of them holds a match of the alternation, so the one pass
    finds every line the separate passes would, and each found line is then tried against
    each trigger alone for the plugins it marks. Python's regex engine skips ahead to the
    characters they begin with, so one pass costs about what one of the separate ones did.
    """

    pattern: re.Pattern[str]
    on_lowered: bool
    #: (the trigger alone, index of its plugin)
    triggers: tuple[tuple[re.Pattern[str], int], ...]

    def mark(self, subject: str, first: re.Match[str], candidates: dict[int, int]) -> None:
        """Set, in ``candidates`` (0-based line index -> plugin bits), the bit of each plugin
        whose trigger matches inside the line; ``first`` is the pass's first match."""
        if len(self.triggers) == 1 and self.triggers[0][0] is self.pattern:
            bit = 1 << self.triggers[0][1]
            for index, _start, _end in _marked_lines(self.pattern, subject, first):
                candidates[index] = candidates.get(index, 0) | bit
            return
        for index, start, end in _marked_lines(self.pattern, subject, first):
            bits = 0
            for trigger, plugin_index in self.triggers:
                if trigger.search(subject, start, end) is not None:
                    bits |= 1 << plugin_index
            if bits:  # a line holding a pass's anchor but no trigger is not a candidate
                candidates[index] = candidates.get(index, 0) | bits


def _anchored_passes(trigger: re.Pattern[str], on_lowered: bool, index: int,
                     anchors: Sequence[str]) -> list[_Pass]:
    """A pass per literal for a trigger every match of which holds one of ``anchors``: a
    literal is searched at the speed of a byte search, where an alternation of words is tried
    at every position holding one of their first letters. Each line found is then tried
    against the trigger itself, so the lines marked are exactly the trigger's."""
    return [_Pass(re.compile(re.escape(anchor)), on_lowered, ((trigger, index),))
            for anchor in anchors]


def _quoted_pass(quoted: Sequence[tuple[str, int, re.Pattern[str], int]]) -> _Pass:
    """One pass for the entropy plugins' triggers, (charset, shortest run, trigger, plugin)
    each: a quoted run of any of the charsets, long enough for its plugin. Every quote in the
    text is tried once rather than once per plugin; the lines found are then tried against
    each trigger alone."""
    runs = "|".join(f"[{charset}]{{{shortest},}}" for charset, shortest, _, _ in quoted)
    return _Pass(re.compile(rf"(['\"])(?:{runs})\1"), False,
                 tuple((trigger, index) for _, _, trigger, index in quoted))


def _keyword_anchors(words: Sequence[str]) -> tuple[str, ...]:
    """Literals one of which every match of the keyword plugin's ``words`` holds (words whose
    only pattern syntax is an optional underscore, ``_?``), or () when some word has other
    syntax or holds none of them (another detect-secrets version): then the words are searched
    as they are."""
    for word in words:
        for variant in (word.replace("_?", ""), word.replace("_?", "_")):
            if re.escape(variant) != variant or not any(a in variant for a in KEYWORD_ANCHORS):
                return ()
    return KEYWORD_ANCHORS


def _passes(triggers: Sequence[tuple[re.Pattern[str], bool, int]]) -> list[_Pass]:
    """The triggers grouped into passes (see :class:`_Pass`): those that begin with a plain
    character and hold no group (whose numbers an alternation would shift) by that
    character (capitals and digits together); every other one alone. A trigger that is an
    alternation itself stays alone: nested in another, it would no longer begin with one
    character. The grouping only decides speed: an alternation of any triggers finds every
    line any of them would."""
    shared: dict[tuple[bool, str], list[tuple[re.Pattern[str], int]]] = {}
    alone: list[_Pass] = []
    for pattern, on_lowered, plugin_index in triggers:
        text = pattern.pattern
        if (text[:1].isalnum() and text[1:2] not in ("?", "*", "+", "{")
                and not _alternation_outside_groups(text) and not pattern.groups):
            # capitals and digits are rare enough in text to share one pass between them
            first = text[0] if text[0].islower() else ""
            shared.setdefault((on_lowered, first), []).append((pattern, plugin_index))
        else:
            alone.append(_Pass(pattern, on_lowered, ((pattern, plugin_index),)))
    grouped = [
        _Pass(re.compile("|".join(f"(?:{p.pattern})" for p, _ in members)), on_lowered,
              tuple(members))
        for (on_lowered, _first), members in shared.items()
    ]
    return [*alone, *grouped]


def _alternation_outside_groups(pattern: str) -> bool:
    """Whether ``pattern`` has a ``|`` outside any group (and outside any ``[...]`` set)."""
    depth, in_set, escaped = 0, False, False
    for char in pattern:
        if escaped:
            escaped = False
        elif char == "\\":
            escaped = True
        elif in_set:
            in_set = char != "]"
        elif char == "[":
            in_set = True
        elif char in "()":
            depth += 1 if char == "(" else -1
        elif char == "|" and depth == 0:
            return True
    return False


def _marked_lines(pattern: re.Pattern[str], subject: str,
                  first: re.Match[str]) -> Iterator[tuple[int, int, int]]:
    """(0-based index, start, end) of the lines of ``subject`` holding a match, the first being
    ``first`` (triggers never span lines, so searching resumes at the next line after a hit)."""
    line = last = 0
    match: re.Match[str] | None = first
    while match is not None:
        start = match.start()
        line += subject.count("\n", last, start)
        last = start
        line_start = subject.rfind("\n", 0, start) + 1
        end_of_line = subject.find("\n", start)
        yield line, line_start, len(subject) if end_of_line < 0 else end_of_line
        if end_of_line < 0:
            return
        match = pattern.search(subject, end_of_line + 1)


class Scanner:
    """Scans files with the active detect-secrets plugins; use through :func:`scanner`."""

    def __init__(self) -> None:
        from detect_secrets.__version__ import VERSION as version
        from detect_secrets.core import scan
        from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
        from detect_secrets.plugins.keyword import DENYLIST
        from detect_secrets.settings import get_plugins
        from detect_secrets.transformers import get_transformers
        from detect_secrets.transformers.config import (
            ConfigFileTransformer,
            EagerConfigFileTransformer,
        )

        self._core = scan
        self.plugins: list[Any] = list(get_plugins())
        #: (file name, error) for each file a transformer could not parse, since the last
        #: :meth:`take_notes`; such a file is scanned line by line instead
        self.unparsed: list[tuple[str, str]] = []
        self.transformers: list[Any] = list(get_transformers())
        self._cheap_refusal: dict[type, Callable[[str], bool]] = {
            ConfigFileTransformer: _config_refused,
            EagerConfigFileTransformer: _eager_config_refused,
        }
        #: (pattern, search the lowered text?, index of its plugin); None: every line is a
        #: candidate (another detect-secrets version, or a plugin the table does not know)
        self.triggers: list[tuple[re.Pattern[str], bool, int]] | None = []
        # triggers searched in passes of their own (see _quoted_pass, _anchored_passes)
        quoted: list[tuple[str, int, re.Pattern[str], int]] = []
        own: list[_Pass] = []
        for index, plugin in enumerate(self.plugins):
            name = type(plugin).__name__
            if version != TRIGGERS_VERSION:
                self.triggers = None
                break
            if isinstance(plugin, HighEntropyStringsPlugin):
                shortest = max(1, math.floor(2**plugin.entropy_limit) - 1)
                charset = re.escape(plugin.charset)
                trigger = re.compile(rf"(['\"])[{charset}]{{{shortest},}}\1")
                self.triggers.append((trigger, False, index))
                quoted.append((charset, shortest, trigger, index))
            elif name == "KeywordDetector":
                # every keyword regex contains one of these words, matched case-insensitively
                trigger = re.compile("|".join(DENYLIST))
                self.triggers.append((trigger, True, index))
                own += _anchored_passes(trigger, True, index, _keyword_anchors(DENYLIST))
            elif name in _TRIGGERS:
                self.triggers += [(re.compile(p), low, index) for p, low in _TRIGGERS[name]]
            elif getattr(plugin, "triggers", ()):  # a custom plugin that names its own
                self.triggers += [(re.compile(p), low, index) for p, low in plugin.triggers]
            else:
                self.triggers = None
                break
        if quoted:
            own.append(_quoted_pass(quoted))
        searched = {trigger for search in own for trigger, _ in search.triggers}
        #: the triggers as searched: several at once where they can share a pass
        self.passes = own + _passes([t for t in self.triggers or [] if t[0] not in searched])

    def scan(self, path: str, data: bytes) -> list[Secret]:
        """What detect-secrets reports for a file named ``path`` holding ``data``.

        One result per (type, secret), on the first line it appears, as in a baseline.
        """
        if self._core._is_filtered_out(required_filter_parameters=["filename"], filename=path):
            return []
        try:
            text = data.decode("utf-8")
        except UnicodeDecodeError:
            return []  # binary: detect-secrets skips files it cannot read as text
        if "\r" in text:  # the universal newlines of a file opened in text mode
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        found = self._first_pass(path, text)
        if not found:
            eager = self._transformed(path, text, eager=True)
            if eager:
                found = self._slow(path, eager)
        unique: dict[tuple[str, str], Secret] = {}
        for secret in found:
            unique.setdefault((secret.type, secret.hashed_secret), secret)
        return list(unique.values())

    def _first_pass(self, path: str, text: str) -> list[Secret]:
        lines = self._transformed(path, text, eager=False)
        if lines:
            return self._slow(path, lines)
        if self.triggers is None:
            return self._slow(path, _NamedText(text, path).readlines())
        return self._fast(path, text)

    def _transformed(self, path: str, text: str, *, eager: bool) -> list[str] | None:
        """detect-secrets' ``get_transformed_file``, skipping parses proven to fail."""
        from detect_secrets.transformers.exceptions import ParsingError

        for transformer in self.transformers:
            if transformer.is_eager != eager or not transformer.should_parse_file(path):
                continue
            refused = self._cheap_refusal.get(type(transformer))
            if refused is not None and refused(text):
                continue
            try:
                return list(transformer.parse_file(_NamedText(text, path)))
            except ParsingError:
                continue
            except Exception as error:  # e.g. a YAML tag its loader cannot construct
                # detect-secrets itself would stop the whole scan here; one odd file must not
                # cost the release its findings, so it is read line by line like any text
                if (path, type(error).__name__) not in self.unparsed:
                    self.unparsed.append((path, type(error).__name__))
                continue
        return None

    def _slow(self, path: str, lines: Sequence[str]) -> list[Secret]:
        """detect-secrets' own line loop, for transformed files."""
        numbered = list(enumerate(lines, start=1))
        found = self._core._process_line_based_plugins(numbered, filename=path)
        return [_secret(potential) for potential in found]

    def candidates(self, text: str) -> dict[int, int]:
        """0-based line index -> bits of the plugins whose trigger matches inside the line, for
        every line some trigger matches (the passes find exactly these lines and plugins)."""
        candidates: dict[int, int] = {}
        lowered: str | None = None
        for search in self.passes:
            subject = text
            if search.on_lowered:
                lowered = subject = lowered if lowered is not None else _fold(text)
            # most passes find nothing in most files: one search, and no more Python, says so
            first = search.pattern.search(subject)
            if first is not None:
                search.mark(subject, first, candidates)
        return candidates

    def _fast(self, path: str, text: str) -> list[Secret]:
        assert self.triggers is not None
        candidates = self.candidates(text)
        if not candidates:
            return []
        lines = _Lines(text)
        found: list[Secret] = []
        for index in sorted(candidates):
            plugins = []
            bits = candidates[index]
            while bits:  # the plugins whose bits are set, in order
                lowest = bits & -bits
                plugins.append(self.plugins[lowest.bit_length() - 1])
                bits ^= lowest
            line = lines.parts[index].rstrip()
            found.extend(self._line(path, line, index + 1, lines, plugins))
        return found

    def _line(self, path: str, line: str, number: int, raw: _Lines, plugins: list[Any]) -> (
        list[Secret]
    ):
        """detect-secrets' per-line step (``_process_line_based_plugins``) for some plugins."""
        from detect_secrets.util.code_snippet import get_code_snippet

        core = self._core
        # get_code_snippet only slices its lines, so the lazy _Lines will do
        context = get_code_snippet(lines=raw, line_number=number)  # type: ignore[arg-type]
        found = [
            potential
            for plugin in plugins
            for potential in core._scan_line(
                plugin=plugin, filename=path, line=line, line_number=number, context=context
            )
            if not core._is_filtered_out(
                required_filter_parameters=["context"],
                filename=potential.filename,
                secret=potential.secret_value,
                plugin=plugin,
                line=line,
                context=context,
            )
        ]
        if not found or core._is_filtered_out(
            required_filter_parameters=["line"], filename=path, line=line, context=context
        ):
            return []
        return [_secret(potential) for potential in found]


def _config_refused(text: str) -> bool:
    """True when configparser fails at once: the first line that is not blank or a comment
    does not open a ``[section]``."""
    for line in text.split("\n", 64)[:64]:
        value = line.strip()
        if value and not value.startswith(("#", ";")):
            return not value.startswith("[")
    return False


def _eager_config_refused(text: str) -> bool:
    """True when some line makes the eager (``[global]``-prefixed) config parse fail."""
    return _NOT_CONFIG_LINE.search(text) is not None


def _secret(potential: Any) -> Secret:
    return Secret(
        line=potential.line_number,
        type=potential.type,
        hashed_secret=potential.secret_hash,
        value=potential.secret_value or "",
    )


#: detect-secrets keeps its settings and its plugin mapping in globals: a scanner changes them
#: for as long as it scans, so scanners in several threads at once (the registry inspects
#: concurrent uploads in a thread pool) would pull them from under each other, and a plugin
#: list half rebuilt fails with "No such ... plugin". One scanner at a time per process;
#: re-entrant, so a scanner may be opened inside another in the same thread.
_SETTINGS_LOCK = threading.RLock()


@contextmanager
def scanner(plugin_files: Mapping[str, Sequence[str]] | None = None) -> Iterator[Scanner]:
    """A :class:`Scanner` under detect-secrets' default settings, restored on exit.

    ``plugin_files`` adds custom plugins: file path -> class names, loaded by detect-secrets
    from the file as a baseline's ``"path": "file://..."`` entries are. The file-exists filter
    is off: the files live in memory, inside archives.
    """
    from .detect_secrets_loading import load_detect_secrets

    load_detect_secrets()
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.settings import default_settings

    custom = [
        {"name": name, "path": f"file://{path}"}
        for path, names in (plugin_files or {}).items()
        for name in names
    ]
    # detect-secrets caches its type -> class mapping without regard to settings: rebuild it
    # so custom plugins are found, and again afterwards so they do not outlive this scanner
    with _SETTINGS_LOCK:
        get_mapping_from_secret_type_to_class.cache_clear()
        try:
            with default_settings() as settings:
                settings.disable_filters("detect_secrets.filters.common.is_invalid_file")
                if custom:
                    settings.configure_plugins(custom)
                    get_mapping_from_secret_type_to_class.cache_clear()
                yield Scanner()
        finally:
            get_mapping_from_secret_type_to_class.cache_clear()
