"""The npm client where Verdaccio cannot show it: the web flow, trusted publishing, failures.

A real HTTP server on 127.0.0.1 (:mod:`standin`) plays the registry.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from npm_standin import Seen, StandIn, serve

from hatch_stage.errors import AuthError, OtpRequired, RegistryError
from hatch_stage.models import Credentials
from hatch_stage.npm.auth import find_credentials
from hatch_stage.npm.otp import WebAuth
from hatch_stage.targets.decisions import decide_many
from hatch_stage.targets.npm import NpmStageClient

STAGE_ID = "0b3e8f2a-6c1d-4e5f-8a9b-0c1d2e3f4a5b"
TOKEN = "npm_StandInTokenStandInTokenStandIn1234"
NOW = {"Retry-After": "0"}


@pytest.fixture
def registry() -> Iterator[StandIn]:
    yield from serve()


@pytest.fixture
def environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> dict[str, str]:
    """An environment with no npm credentials or config of the machine running the tests."""
    for variable in ("NPM_TOKEN", "NPM_ID_TOKEN", "ACTIONS_ID_TOKEN_REQUEST_URL",
                     "ACTIONS_ID_TOKEN_REQUEST_TOKEN"):
        monkeypatch.delenv(variable, raising=False)
    return {"NPM_CONFIG_USERCONFIG": str(tmp_path / "no-npmrc"), "HOME": str(tmp_path)}


def client(registry: StandIn, web_auth: WebAuth | None = None) -> NpmStageClient:
    return NpmStageClient(registry.url, Credentials(TOKEN, "env"), web_auth=web_auth)


def web_challenge(registry: StandIn) -> dict[str, str]:
    return {"authUrl": f"{registry.url}auth/xyz", "doneUrl": f"{registry.url}-/v1/done/xyz"}


def test_web_flow_waits_for_the_browser_then_resends_with_its_token(registry: StandIn) -> None:
    polls = []

    def approve(request: Seen) -> tuple[int, dict[str, str], object]:
        if request.headers.get("npm-otp") == "web-otp-token":
            return 201, {}, {"message": "approved"}
        return 401, {"WWW-Authenticate": "otp"}, web_challenge(registry)

    def done(request: Seen) -> tuple[int, dict[str, str], object]:
        polls.append(request.headers.get("authorization"))
        if len(polls) < 2:
            return 202, {"Retry-After": "1"}, {}
        return 200, {}, {"token": "web-otp-token"}

    registry.routes[("POST", f"/-/stage/{STAGE_ID}/approve")] = approve
    registry.routes[("GET", "/-/v1/done/xyz")] = done
    shown: list[str] = []
    answer = client(registry, WebAuth(show=shown.append, timeout=30)).approve(STAGE_ID, None)

    assert answer == {"message": "approved"}
    assert shown == [f"{registry.url}auth/xyz"]
    # the done URL is on the registry itself, so the token goes along
    assert polls == [f"Bearer {TOKEN}", f"Bearer {TOKEN}"]


def test_web_flow_without_a_terminal_fails_at_once(registry: StandIn) -> None:
    registry.routes[("POST", f"/-/stage/{STAGE_ID}/approve")] = (
        lambda request: (401, {"WWW-Authenticate": "otp"}, web_challenge(registry)))
    started = time.monotonic()
    with pytest.raises(OtpRequired, match=r"web authentication at .*/auth/xyz.*no terminal"):
        client(registry).approve(STAGE_ID, None)
    assert time.monotonic() - started < 5
    assert registry.paths() == [f"POST /-/stage/{STAGE_ID}/approve"]


def test_web_flow_gives_up_after_its_time_limit(registry: StandIn) -> None:
    registry.routes[("DELETE", f"/-/stage/{STAGE_ID}")] = (
        lambda request: (401, {"WWW-Authenticate": "otp"}, web_challenge(registry)))
    registry.routes[("GET", "/-/v1/done/xyz")] = lambda request: (202, {"Retry-After": "1"}, {})
    with pytest.raises(AuthError, match="not completed within 2 s"):
        client(registry, WebAuth(show=lambda url: None, timeout=2)).reject(STAGE_ID, None)


def test_a_body_that_asks_for_a_one_time_password_is_a_challenge(registry: StandIn) -> None:
    registry.routes[("POST", f"/-/stage/{STAGE_ID}/approve")] = (
        lambda request: (401, {}, {"error": "You must provide a one-time pass."}))
    with pytest.raises(OtpRequired, match="needs a one-time password"):
        client(registry).approve(STAGE_ID, None)
    with pytest.raises(OtpRequired, match="refused the one-time password"):
        client(registry).approve(STAGE_ID, "123456")


def test_stage_ids_are_checked_before_any_request(registry: StandIn) -> None:
    for call in (lambda c: c.view("latest"), lambda c: c.approve("1234", "123456"),
                 lambda c: c.reject("../../-/user", None),
                 lambda c: decide_many(c, "approve", [STAGE_ID, "nope"], lambda: "123456")):
        with pytest.raises(RegistryError) as refused:
            call(client(registry))
        assert refused.value.code == "invalid_stage_id"
    assert registry.seen == []


def test_list_pages_until_every_item_is_seen(registry: StandIn) -> None:
    items = [{"id": f"{n:08d}-0000-4000-8000-000000000000", "packageName": "p",
              "version": f"1.0.{n}"} for n in range(230)]

    def page(request: Seen) -> tuple[int, dict[str, str], object]:
        number, size = int(request.query["page"][0]), int(request.query["perPage"][0])
        return 200, {}, {"items": items[number * size:(number + 1) * size], "total": len(items),
                         "page": number, "perPage": size}

    registry.routes[("GET", "/-/stage")] = page
    listed = client(registry).list("p")
    assert [item.version for item in listed] == [item["version"] for item in items]
    assert [request.query["page"] for request in registry.seen] == [["0"], ["1"], ["2"]]
    assert all(request.query["package"] == ["p"] for request in registry.seen)


def test_server_errors_are_retried_and_then_reported(registry: StandIn) -> None:
    answers = iter([(503, NOW, {}), (502, NOW, {}), (200, {}, {"items": [], "total": 0})])
    registry.routes[("GET", "/-/stage")] = lambda request: next(answers)
    assert client(registry).list() == []
    registry.routes[("GET", "/-/stage")] = lambda request: (500, NOW, {"error": "database down"})
    with pytest.raises(RegistryError, match=r"kept failing \(500: database down\) after 4 att"):
        client(registry).list()
    registry.routes[("GET", "/-/stage")] = lambda request: (429, NOW, {})
    with pytest.raises(RegistryError, match="rate limited") as limited:
        client(registry).list()
    assert limited.value.code == "rate_limited"


def test_unreachable_registry_is_a_clear_error() -> None:
    with pytest.raises(RegistryError, match="could not list the staged versions: ConnectError"):
        NpmStageClient("http://127.0.0.1:9/", Credentials(TOKEN, "env")).list()


@pytest.mark.parametrize(("status", "message"), [
    (401, "refused the token .* log in again"),
    (403, "this token cannot view staged version"),
    (404, "not found"),
    (409, "already staged or published"),
])
def test_error_answers_say_what_to_do(registry: StandIn, status: int, message: str) -> None:
    registry.routes[("GET", f"/-/stage/{STAGE_ID}")] = lambda request: (status, {}, {"error": "x"})
    with pytest.raises((AuthError, RegistryError), match=message) as failed:
        client(registry).view(STAGE_ID)
    assert TOKEN not in str(failed.value)


def test_download_refuses_a_tarball_whose_hash_differs(registry: StandIn, tmp_path: Path) -> None:
    data = b"not the staged bytes"
    registry.routes[("GET", f"/-/stage/{STAGE_ID}")] = lambda request: (200, {}, {
        "id": STAGE_ID, "packageName": "@s/p", "version": "1.0.0", "shasum": "0" * 40})
    registry.routes[("GET", f"/-/stage/{STAGE_ID}/tarball")] = lambda request: (200, {}, data)
    with pytest.raises(RegistryError, match="does not match"):
        client(registry).download(STAGE_ID, tmp_path)
    assert list(tmp_path.iterdir()) == []
    good = hashlib.sha1(data).hexdigest()
    registry.routes[("GET", f"/-/stage/{STAGE_ID}")] = lambda request: (200, {}, {
        "id": STAGE_ID, "packageName": "@s/p", "version": "1.0.0", "shasum": good})
    [path] = client(registry).download(STAGE_ID, tmp_path)
    assert path.name == f"s-p-1.0.0-{STAGE_ID}.tgz" and path.read_bytes() == data


def test_trusted_publishing_from_github_actions(registry: StandIn, environment: dict[str, str],
                                                tmp_path: Path) -> None:
    def github(request: Seen) -> tuple[int, dict[str, str], object]:
        assert request.headers["authorization"] == "Bearer gh-request-token"
        assert request.query == {"run": ["7"], "audience": ["npm:127.0.0.1"]}
        return 200, {}, {"value": "gh.identity.jwt"}

    def exchange(request: Seen) -> tuple[int, dict[str, str], object]:
        assert request.headers["authorization"] == "Bearer gh.identity.jwt"
        return 201, {}, {"token": "npm_short_lived_publish_token"}

    registry.routes[("GET", "/github/token")] = github
    registry.routes[("POST", "/-/npm/v1/oidc/token/exchange/package/@team%2fwidget")] = exchange
    environment.update({"ACTIONS_ID_TOKEN_REQUEST_URL": f"{registry.url}github/token?run=7",
                        "ACTIONS_ID_TOKEN_REQUEST_TOKEN": "gh-request-token", "NPM_TOKEN": TOKEN})

    published = find_credentials(registry.url, purpose="publish", package="@team/widget",
                                 project_root=tmp_path, environ=environment)
    assert (published.token, published.source) == ("npm_short_lived_publish_token", "oidc")
    # approving, listing and the like never use trusted publishing
    managed = find_credentials(registry.url, purpose="manage", package="@team/widget",
                               project_root=tmp_path, environ=environment)
    assert (managed.token, managed.source) == (TOKEN, "env")


def test_a_refused_exchange_falls_back_and_is_reported_when_nothing_else_works(
    registry: StandIn, environment: dict[str, str], tmp_path: Path
) -> None:
    registry.routes[("POST", "/-/npm/v1/oidc/token/exchange/package/widget")] = (
        lambda request: (403, {}, {"message": "no trusted publisher for this workflow"}))
    environment["NPM_ID_TOKEN"] = "gitlab.identity.jwt"
    with pytest.raises(AuthError, match=r"no trusted publisher for this workflow.*no npm token"):
        find_credentials(registry.url, purpose="publish", package="widget",
                         project_root=tmp_path, environ=environment)
    environment["NPM_TOKEN"] = TOKEN
    found = find_credentials(registry.url, purpose="publish", package="widget",
                             project_root=tmp_path, environ=environment)
    assert found.source == "env"
    assert [request.headers["authorization"] for request in registry.seen] == [
        "Bearer gitlab.identity.jwt", "Bearer gitlab.identity.jwt"]


def test_an_approval_is_refused_when_the_staged_tarball_changed(registry: StandIn) -> None:
    """npm's stage API cannot bind an approval to a tarball: approve compares the integrity the
    registry reports now with the one reviewed, and sends nothing on a difference."""
    shasum = ["a" * 40]

    def view(request: Seen) -> tuple[int, dict[str, str], object]:
        return 200, {}, {"id": STAGE_ID, "packageName": "pkg", "version": "1.0.0",
                         "shasum": shasum[0]}

    registry.routes[("GET", f"/-/stage/{STAGE_ID}")] = view
    registry.routes[("POST", f"/-/stage/{STAGE_ID}/approve")] = lambda r: (201, {}, {})
    reviewed = client(registry).view(STAGE_ID)
    assert reviewed.digest == "sha1:" + "a" * 40

    shasum[0] = "b" * 40  # the staged tarball is another one now
    with pytest.raises(RegistryError, match="changed since it was reviewed") as refused:
        client(registry).approve(STAGE_ID, "123456", reviewed.digest)
    assert refused.value.code == "changed_since_review"
    assert "POST" not in " ".join(registry.paths())

    shasum[0] = "a" * 40
    assert client(registry).approve(STAGE_ID, "123456", reviewed.digest) == {}
    assert registry.paths()[-1] == f"POST /-/stage/{STAGE_ID}/approve"
