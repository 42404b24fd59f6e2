"""Property tests of the fast path, one per plugin: strings generated from the plugin's own
regexes (hypothesis ``from_regex``) must fire the plugin's trigger, and the fast scan of a file
holding them must report exactly what detect-secrets' own ``scan_file`` reports.

Every one of detect-secrets' plugins is covered, and every detector hatch-stage adds. A trigger
narrowed to part of what its plugin finds (``ghp_`` where the plugin also finds ``gho_``)
fails here. Bounded: a fixed number of examples per plugin, no example database.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from detect_secrets.core.scan import scan_file
from detect_secrets.plugins import keyword
from detect_secrets.plugins.high_entropy_strings import HighEntropyStringsPlugin
from detect_secrets.settings import default_settings, get_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hatch_stage.inspection import detectors
from hatch_stage.secretscan import Scanner, _fold, scanner

CUSTOM = {detectors.__file__: list(detectors.DETECTORS)}
EXAMPLES = settings(max_examples=30, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))


def _plugin_names(custom: bool) -> list[str]:
    with scanner(CUSTOM if custom else None) as scan:
        return [type(plugin).__name__ for plugin in scan.plugins]


DETECT_SECRETS_PLUGINS = _plugin_names(custom=False)
OUR_PLUGINS = sorted(set(_plugin_names(custom=True)) - set(DETECT_SECRETS_PLUGINS))


def regexes_of(plugin: Any) -> list[re.Pattern[str]]:
    """The regexes a plugin finds secrets with."""
    if isinstance(plugin, HighEntropyStringsPlugin):
        return [plugin.regex]
    if type(plugin).__name__ == "KeywordDetector":
        return [value for value in vars(keyword).values() if isinstance(value, re.Pattern)]
    return list(plugin.denylist)


@pytest.fixture(scope="module")
def fast_scanner() -> Iterator[Scanner]:
    with scanner(CUSTOM) as scan:
        yield scan


def test_every_plugin_is_covered() -> None:
    with default_settings():
        assert set(get_settings().plugins) == set(DETECT_SECRETS_PLUGINS)
    assert len(DETECT_SECRETS_PLUGINS) == 27
    assert set(OUR_PLUGINS) == set(detectors.DETECTORS)


def _fires(scan: Scanner, index: int, line: str) -> bool:
    assert scan.triggers is not None
    return any(pattern.search(_fold(line) if lowered else line)
               for pattern, lowered, plugin in scan.triggers if plugin == index)


def check_plugin(scan: Scanner, name: str, data: st.DataObject, tmp_path: Path) -> None:
    index = next(i for i, p in enumerate(scan.plugins) if type(p).__name__ == name)
    plugin = scan.plugins[index]
    pattern = data.draw(st.sampled_from(regexes_of(plugin)), label="regex")
    text = data.draw(st.from_regex(pattern), label="generated")
    line = text.replace("\r", " ").replace("\n", " ")
    extension = data.draw(st.sampled_from([".py", ".txt", ".js", ".java", ".go"]))
    path = tmp_path / f"sample{extension}"
    try:
        path.write_bytes(f"x = 1\n{line}\n".encode())
    except UnicodeEncodeError:  # a lone surrogate: no file can hold it
        return

    if plugin.analyze_line(filename=str(path), line=line.rstrip(), line_number=2):
        assert _fires(scan, index, line.rstrip()), f"{name}'s trigger missed {line!r}"
    expected = {(s.line_number, s.type, s.secret_hash) for s in scan_file(str(path))}
    got = {(s.line, s.type, s.hashed_secret) for s in scan.scan(str(path), path.read_bytes())}
    assert got == expected


@pytest.mark.parametrize("name", DETECT_SECRETS_PLUGINS + OUR_PLUGINS)
@EXAMPLES
@given(data=st.data())
def test_plugin_trigger_fires_and_findings_match(
    fast_scanner: Scanner, name: str, data: st.DataObject,
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    check_plugin(fast_scanner, name, data, tmp_path_factory.mktemp("t", numbered=True))


def _marked_by_each_trigger(scan: Scanner, text: str) -> dict[int, int]:
    """Line index -> plugin bits, trying every trigger alone on every line (the slow way the
    passes stand for)."""
    assert scan.triggers is not None
    marked = {}
    for index, line in enumerate(text.split("\n")):
        bits = 0
        for pattern, lowered, plugin in scan.triggers:
            if pattern.search(_fold(line) if lowered else line):
                bits |= 1 << plugin
        if bits:
            marked[index] = bits
    return marked


def test_the_passes_mark_exactly_the_lines_each_trigger_marks(fast_scanner: Scanner) -> None:
    """Triggers are searched several at once, behind literals they all hold (the keyword
    plugin's words behind ``key``, ``pass``...) and the entropy plugins' quoted strings in one
    pass; the lines and plugins marked must be those of each trigger tried alone, here on
    hatch-stage's own source and tests (code full of ``key``, ``pass`` and quoted strings)."""
    assert fast_scanner.triggers is not None
    searched = {p.pattern.pattern for p in fast_scanner.passes}
    assert any(t.pattern not in searched for t, _, _ in fast_scanner.triggers), (
        "no trigger is searched behind another pattern: this test would show nothing")
    root = Path(__file__).resolve().parent.parent
    files = sorted([*root.joinpath("src").rglob("*.py"), *root.joinpath("tests").glob("*.py")])
    marked_files = 0
    for path in files:
        text = path.read_text(encoding="utf-8")
        expected = _marked_by_each_trigger(fast_scanner, text)
        assert fast_scanner.candidates(text) == expected, path
        marked_files += bool(expected)
    assert marked_files > 20


@EXAMPLES
@given(data=st.data())
def test_the_passes_mark_what_the_triggers_mark_on_generated_lines(
    fast_scanner: Scanner, data: st.DataObject,
) -> None:
    """Lines made from the plugins' own regexes, mixed with words that hold a pass's literal
    but no trigger (``keyboard``, ``pass``), case variants and non-ASCII text."""
    plugins = fast_scanner.plugins
    lines = []
    for _ in range(data.draw(st.integers(1, 12), label="lines")):
        kind = data.draw(st.sampled_from(["plugin", "decoy", "text"]), label="kind")
        if kind == "plugin":
            regex = data.draw(st.sampled_from(
                [r for p in plugins for r in regexes_of(p)]), label="regex")
            line = data.draw(st.from_regex(regex), label="from regex")
        elif kind == "decoy":
            line = data.draw(st.sampled_from([
                "keyboard = 1", "    pass", "PASSWORD_HASHERS = []", "İ key", "'a' == b",
                "x = 'deadbeef'", "s = '\u017fecret'", "Contraseña: 'hunter22'",
            ]), label="decoy")
        else:
            line = data.draw(st.text(max_size=40), label="text")
        lines.append(line.replace("\r", " ").replace("\n", " "))
    text = "\n".join(lines)
    assert fast_scanner.candidates(text) == _marked_by_each_trigger(fast_scanner, text)
