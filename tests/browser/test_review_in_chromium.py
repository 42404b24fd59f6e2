"""Must-show 3 of issue 9: the review page in a real headless Chromium.

A maintainer signs in, sees the flags of a release that adds a .pth file and a console
script, approves with a code, and the version is live; a wrong code changes nothing; a
release changed after the page loaded is refused with its changes named; a <script> planted
in a package never runs; a cross-site form post without the anti-forgery token is refused.
The decision flows run with JavaScript switched off: the page needs none.
"""

from __future__ import annotations

import io
import json
import os
import threading
import time
import zipfile
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx2
import pytest
from reviewpage import StagedPair, stage_pair, wrong_code
from stagekit import (
    Account,
    Server,
    installed_release,
    module_of,
    pip_install,
    record_of,
    unique_name,
    wheel_bytes,
)

#: set to a path to write the README's screenshot of the page there (docs/images/...)
README_SHOT = "HATCH_STAGE_README_SCREENSHOT"


@pytest.fixture
def pair(registry: Server, tmp_path: Path) -> StagedPair:
    return stage_pair(registry, tmp_path)


@pytest.fixture
def no_script_page(chromium: Any) -> Iterator[Any]:
    """A page in a fresh browser context with JavaScript switched off."""
    context = chromium.new_context(java_script_enabled=False, viewport={"width": 1200,
                                                                        "height": 900})
    try:
        yield context.new_page()
    finally:
        context.close()


def sign_in(page: Any, registry: Server, account: Account, path: str = "/review/") -> None:
    page.goto(f"{registry.url}{path}")
    assert "/review/login" in page.url  # not signed in yet: sent to the sign-in form
    page.get_by_label("API token").fill(account.token)
    page.get_by_label("One-time password").fill(account.otp())
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_load_state()
    assert "/review/login" not in page.url, page.content()


def decide(page: Any, code: str, button: str = "Approve") -> None:
    page.get_by_label("One-time password").fill(code)
    page.get_by_role("button", name=button).click()
    page.wait_for_load_state()


def simple_files(registry: Server, name: str) -> list[str]:
    answer = httpx2.get(f"{registry.url}/simple/{name}/", timeout=30,
                        headers={"Accept": "application/vnd.pypi.simple.v1+json"})
    if answer.status_code == 404:
        return []
    return [entry["filename"] for entry in answer.json()["files"]]


def status_of(registry: Server, pair: StagedPair) -> str:
    return str(registry.client(pair.maintainer.token).status(pair.session)["status"])


def test_sign_in_see_the_flags_approve_with_a_code_and_the_version_is_live(
        registry: Server, pair: StagedPair, no_script_page: Any, screenshot: Any,
        tmp_path: Path) -> None:
    page = no_script_page
    sign_in(page, registry, pair.maintainer)
    # the list shows the staged release; its page shows the flags at the top
    page.get_by_role("link", name=pair.name).click()
    page.wait_for_load_state()
    flags = page.locator("#flags")
    for rule in ("pth-file", "console-script", "native-binary", "dependency-added"):
        assert flags.get_by_text(rule, exact=True).count() >= 1, rule
    assert f"{pair.name}-cli" in flags.inner_text()
    assert page.locator("#release-digest").inner_text() == pair.session["release-digest"]
    assert "pip install --index-url" in page.locator("#install").inner_text()
    shot = screenshot(page, "review-page")
    if os.environ.get(README_SHOT):
        Path(os.environ[README_SHOT]).write_bytes(shot.read_bytes())
    assert "1.1" not in " ".join(simple_files(registry, pair.name))

    decide(page, pair.maintainer.otp(1))  # sign-in spent this step's code: the next one
    assert page.get_by_role("status").inner_text().startswith("Published")
    screenshot(page, "approved")
    files = simple_files(registry, pair.name)
    assert {f"{module_of(pair.name)}-1.1.tar.gz",
            f"{module_of(pair.name)}-1.1-py3-none-any.whl"} <= set(files)
    installed = pip_install(f"{registry.url}/simple/", f"{pair.name}==1.1", tmp_path / "site")
    assert installed.returncode == 0, installed.stderr
    assert 'VERSION = "1.1"' in installed_release(tmp_path / "site", pair.name)


def test_a_wrong_code_shows_an_error_and_nothing_changes(
        registry: Server, pair: StagedPair, no_script_page: Any, screenshot: Any) -> None:
    page = no_script_page
    sign_in(page, registry, pair.maintainer, f"/review/{pair.session['id']}")
    for button in ("Approve", "Reject"):
        decide(page, wrong_code(pair.maintainer, time.time()), button)
        alert = page.get_by_role("alert").inner_text()
        assert "one-time password is wrong" in alert and "Nothing was published" in alert
        assert status_of(registry, pair) == "open"
    screenshot(page, "wrong-code")
    assert simple_files(registry, pair.name) == [
        f"{module_of(pair.name)}-1.0-py3-none-any.whl", f"{module_of(pair.name)}-1.0.tar.gz"]


def test_a_release_changed_after_the_page_loaded_is_refused_with_its_changes(
        registry: Server, pair: StagedPair, no_script_page: Any, screenshot: Any) -> None:
    page = no_script_page
    sign_in(page, registry, pair.maintainer, f"/review/{pair.session['id']}")
    shown = page.locator("#release-digest").inner_text()
    # meanwhile a stage-only token adds a platform wheel pip would prefer
    sneaked = f"{module_of(pair.name)}-1.1-py3-none-manylinux_2_17_x86_64.whl"
    stager = registry.client(pair.stager.token)
    added = stager.upload_bytes(pair.session, sneaked, wheel_bytes(
        pair.name, "1.1", "py3-none-manylinux_2_17_x86_64", module=" (sneaked in)"))
    assert added.status_code == 201, added.text

    decide(page, pair.maintainer.otp(1))
    alert = page.get_by_role("alert").inner_text()
    assert "changed_since_review" in alert and f"{sneaked} added" in alert
    screenshot(page, "changed-since-review")
    assert status_of(registry, pair) == "open"
    assert not [name for name in simple_files(registry, pair.name) if "1.1" in name]
    # the page now shows the release as it is: the new file and the new digest
    assert page.locator("#release-digest").inner_text() != shown
    assert sneaked in page.locator("#files").inner_text()
    # the refusal spent no code: approving what is now shown works with the same step's code
    decide(page, pair.maintainer.otp(1))
    assert page.get_by_role("status").inner_text().startswith("Published")
    assert sneaked in simple_files(registry, pair.name)


def _planted_wheel(name: str) -> tuple[str, bytes]:
    """A wheel whose summary, README and a member's name each carry a script."""
    readme = ("# Planted\n\n<script>alert('readme')</script>\n\n"
              "<img src=x onerror=\"alert('img')\">\n\n[click me](javascript:alert('link'))\n\n"
              "<a href=\"javascript:alert('anchor')\">anchor</a>\n")
    metadata = (f"Metadata-Version: 2.1\nName: {name}\nVersion: 1.0\n"
                "Summary: <script>alert('summary')</script> innocent\n"
                "Description-Content-Type: text/markdown\n\n" + readme)
    base = wheel_bytes(name, "1.0")
    out = io.BytesIO()
    planted = f"{module_of(name)}/<script>alert('file')</script>.py"
    with zipfile.ZipFile(io.BytesIO(base)) as source, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        members = {info.filename: source.read(info) for info in source.infolist()}
        dist_info = f"{module_of(name)}-1.0.dist-info"
        members[f"{dist_info}/METADATA"] = metadata.encode()
        members[planted] = b"import os\nos.system('echo <script>alert(1)</script>')\n"
        members.pop(f"{dist_info}/RECORD")
        members[f"{dist_info}/RECORD"] = record_of(members, f"{dist_info}/RECORD")
        for member, data in members.items():
            target.writestr(member, data)
    return f"{module_of(name)}-1.0-py3-none-any.whl", out.getvalue()


def test_a_script_planted_in_a_package_never_runs(registry: Server, chromium: Any,
                                                  screenshot: Any) -> None:
    name = unique_name("planted")
    maintainer = registry.maintainer(name)
    client = registry.client(maintainer.token)
    created = client.create(name, "1.0")
    assert created.status_code == 201, created.text
    filename, data = _planted_wheel(name)
    completed = client.upload_bytes(created.json(), filename, data)
    assert completed.status_code == 201, completed.text

    context = chromium.new_context()  # JavaScript on: a planted script would run
    dialogs: list[str] = []
    try:
        page = context.new_page()
        page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
        sign_in(page, registry, maintainer)
        page.get_by_role("link", name=name).click()
        page.wait_for_load_state()
        closed = page.locator("details:not([open]) > summary:visible")
        while closed.count():
            closed.first.click()  # open every collapsed part: the diffs show text from the package
        page.wait_for_timeout(500)
        screenshot(page, "planted-scripts")
        assert page.evaluate("document.scripts.length") == 0
        assert "<script>alert('summary')</script> innocent" in page.locator(
            "p.summary").inner_text()
        assert "<script>alert('file')</script>.py" in page.locator("#diff").inner_text()
        readme = page.locator("article.readme")
        assert "<script>alert('readme')</script>" in readme.inner_text()
        assert readme.locator("[onerror], a[href^='javascript']").count() == 0
        for link in readme.locator("a:visible").all():
            link.click(no_wait_after=True)
        page.wait_for_timeout(500)
    finally:
        context.close()
    assert dialogs == []


class _Attacker(BaseHTTPRequestHandler):
    """Another origin on this machine (same site: only the port differs, so SameSite alone
    would let the cookie through) serving a form that posts an approval to the registry."""

    form = ""

    def do_GET(self) -> None:
        body = self.form.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_a_cross_site_form_post_without_the_csrf_token_is_refused(
        registry: Server, pair: StagedPair, no_script_page: Any, screenshot: Any) -> None:
    page = no_script_page
    sign_in(page, registry, pair.maintainer)
    code = pair.maintainer.otp(1)
    _Attacker.form = (
        f'<form method="post" action="{registry.url}/review/{pair.session["id"]}">'
        '<input type="hidden" name="action" value="approve">'
        f'<input type="hidden" name="otp" value="{code}">'
        f'<input type="hidden" name="release-digest" value="{pair.session["release-digest"]}">'
        '<button type="submit">Win a prize</button></form>')
    attacker = ThreadingHTTPServer(("127.0.0.1", 0), _Attacker)
    threading.Thread(target=attacker.serve_forever, daemon=True).start()
    try:
        page.goto(f"http://127.0.0.1:{attacker.server_address[1]}/")
        with page.expect_navigation():
            page.get_by_role("button", name="Win a prize").click()
        # refused by the server-wide cross-site guard (another origin), before the page's
        # own anti-forgery check
        assert "cross-site request refused" in page.content()
        screenshot(page, "cross-site-post")
    finally:
        attacker.shutdown()
        attacker.server_close()
    assert status_of(registry, pair) == "open"
    # the code was never spent: the maintainer approves with it on the real page
    page.goto(f"{registry.url}/review/{pair.session['id']}")
    decide(page, code)
    assert page.get_by_role("status").inner_text().startswith("Published")
    assert json.loads(json.dumps(simple_files(registry, pair.name)))
