"""What the review page shows, computed in-process (issue 9, part C): the diff on the
registry's own blobs with the built-in rules (the same flags the command line raises with
its plugins), rules an operator disabled, a first release, and the README rendered and
sanitized as the public index renders it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from releasepairs import PAIR_FLAGS
from reviewpage import built
from stagekit import stage_in_process

from hatch_stage.config import Config
from hatch_stage.diff import compare_releases
from hatch_stage.models import Artifact
from hatch_stage.plugins import plugin_manager
from hatch_stage.registry import Principal, Registry, RegistrySettings
from hatch_stage.registry.pages import readme_html
from hatch_stage.registry.review import Description
from hatch_stage.reviewing import PluginRules

ME = Principal.local()


def _stage(registry: Registry, name: str, version: str, artifacts: list[Artifact]) -> str:
    return str(stage_in_process(registry, ME, name, version, artifacts).id)


@pytest.fixture(scope="module")
def releases(tmp_path_factory: pytest.TempPathFactory) -> tuple[list[Artifact], list[Artifact]]:
    directory = tmp_path_factory.mktemp("content")
    return (built(directory, "content-pkg", "1.0", risky=False),
            built(directory, "content-pkg", "1.1", risky=True))


def _published_then_staged(tmp_path: Path, releases: tuple[list[Artifact], list[Artifact]],
                           settings: RegistrySettings | None = None) -> tuple[Registry, str]:
    registry = Registry.open(tmp_path, settings=settings)
    first = _stage(registry, "content-pkg", "1.0", releases[0])
    registry.publish(ME, first, None, registry.session(ME, first).digest)
    return registry, _stage(registry, "content-pkg", "1.1", releases[1])


def test_the_page_flags_what_the_command_line_flags(
        tmp_path: Path, releases: tuple[list[Artifact], list[Artifact]]) -> None:
    registry, staged = _published_then_staged(tmp_path, releases)
    with registry:
        review = registry.review(ME, staged)
    assert review.diff is not None and review.diff.against == "1.0"
    assert {flag.rule for flag in review.diff.flags} == PAIR_FLAGS
    plugins = PluginRules(plugin_manager(), Config())
    cli = compare_releases(releases[1], releases[0], target="python", name="content-pkg",
                           version="1.1", against="1.0", rules=plugins)

    def seen(flags: object) -> set[tuple[str, str, str, str]]:
        return {(f.rule, f.reason, f.member, f.plugin) for f in flags}  # type: ignore[attr-defined]

    assert seen(review.diff.flags) == seen(cli.flags)
    assert review.description is not None and review.description.summary == "fixture content-pkg"


def test_an_operator_disables_a_built_in_rule(
        tmp_path: Path, releases: tuple[list[Artifact], list[Artifact]]) -> None:
    settings = RegistrySettings(disabled_rules=("pth-file",))
    registry, staged = _published_then_staged(tmp_path, releases, settings)
    with registry:
        review = registry.review(ME, staged)
    assert review.diff is not None
    assert {flag.rule for flag in review.diff.flags} == PAIR_FLAGS - {"pth-file"}
    assert "pth-file" not in review.rules


def test_a_first_release_lists_everything_as_added(
        tmp_path: Path, releases: tuple[list[Artifact], list[Artifact]]) -> None:
    with Registry.open(tmp_path) as registry:
        review = registry.review(ME, _stage(registry, "content-pkg", "1.1", releases[1]))
    assert review.diff is not None and review.diff.first_release
    assert all(file.change == "added" for artifact in review.diff.artifacts
               for file in artifact.files)
    assert {"pth-file", "native-binary", "console-script"} <= {
        flag.rule for flag in review.diff.flags}


def _readme(text: str, content_type: str | None) -> str:
    rendered = readme_html(Description("x", None, text, content_type))
    assert rendered is not None
    return str(rendered)


@pytest.mark.parametrize("content_type", [None, "text/x-rst", "text/markdown",
                                          "text/markdown; variant=CommonMark", "text/plain"])
def test_the_readme_is_rendered_by_its_type_and_sanitized(content_type: str | None) -> None:
    rst = ("Title\n=====\n\n.. raw:: html\n\n   <script>alert(1)</script>\n\n"
           "`x <javascript:alert(2)>`_\n")
    md = ("# Title\n\n<script>alert(1)</script>\n\n<img src=x onerror=alert(2)>\n"
          "[x](javascript:alert(3))\n")
    text = md if content_type and "markdown" in content_type else rst
    html = _readme(text, content_type).lower()
    # what could run: a script element, an event handler, a javascript: link (the same words
    # shown as escaped text are harmless)
    assert not re.search(r"<script|<[^>]*\son\w+\s*=|<[^>]*=\s*[\"']?javascript:", html), html
    if content_type != "text/plain":
        assert "<h1" in html or "title" in html


def test_markup_is_never_raw_html() -> None:
    assert "<h1" in _readme("# Heading\n", "text/markdown")
    assert "<h1" not in _readme("# Heading\n", "text/plain")
    broken = _readme("Title\n===\n\n.. unknown-directive:: <b>x</b>\n", None)
    assert "&lt;b&gt;" in broken  # reStructuredText that does not render shows as text
    assert readme_html(None) is None
