"""The browser tests: Debian's Chromium, driven by Playwright for Python through
``executable_path`` (Playwright's own browser download cannot work here), against a real
registry server on 127.0.0.1. Screenshots go to each test's tmp_path; the run lists them."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stagekit import Server, in_ci

#: where Chromium is (Debian's package), unless this says otherwise
CHROMIUM_VARIABLE = "HATCH_STAGE_TEST_CHROMIUM"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run", "--headless"]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # one worker runs them all: one browser and one registry for the lot
    for item in items:
        if "tests/browser/" in item.nodeid:
            item.add_marker(pytest.mark.xdist_group("browser"))
            item.add_marker(pytest.mark.slow)


def pytest_terminal_summary(terminalreporter: Any) -> None:
    shots = [value for reports in terminalreporter.stats.values() for report in reports
             for key, value in getattr(report, "user_properties", ()) if key == "screenshot"]
    if shots:
        terminalreporter.write_sep("-", "review page screenshots")
        for shot in sorted(set(shots)):
            terminalreporter.write_line(shot)


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    """The browser, for one module's tests: Playwright's sync API keeps an asyncio loop
    running in this thread while it lives, which later tests calling asyncio.run() in the
    same worker must not find."""
    path = Path(os.environ.get(CHROMIUM_VARIABLE, "/usr/bin/chromium"))
    if not path.is_file():
        missing = (f"Chromium is not installed at {path} (Debian package 'chromium', or set "
                   f"{CHROMIUM_VARIABLE})")
        if in_ci():  # a skip would let CI pass without the review page tested in a browser
            pytest.fail(f"{missing}; under CI=true the browser tests must run", pytrace=False)
        pytest.skip(missing)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(path), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def registry(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("browser-registry") / "data", None).start()
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def screenshot(tmp_path: Path, record_property: Any) -> Any:
    """``screenshot(page, name)`` saves a full-page PNG in the test's tmp_path and lists it in
    the run's summary."""

    def take(page: Any, name: str) -> Path:
        path = tmp_path / f"{name}.png"
        page.screenshot(path=str(path), full_page=True)
        record_property("screenshot", str(path))
        return path

    return take
