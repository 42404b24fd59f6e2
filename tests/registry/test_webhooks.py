"""Issue 14, parts C and D (must-show 3): webhooks, against a real receiving HTTP server on
127.0.0.1 and a real ``hatch-stage serve`` on SQLite and on PostgreSQL.

Every event type arrives, signed (HMAC-SHA256 of the body, verified as a receiver would) and
without secrets; a receiver answering 500 twice then 200 gets three attempts and one success
in the delivery log, across a ``kill -9`` of the server between attempts; a receiver that
hangs slows neither the request that caused the event nor the other webhooks. The sessions
here live 30 s with the ``expiring`` warning 15 s before the end, so expiry happens within
the test; sessions that must outlive it are extended first."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from stagekit import Account, Server, Storage, Upload, free_port, unique_name, wait_until
from webhookkit import Receiver

from hatch_stage.registry.notifications import EVENTS

LIFETIME, WARNING = 30, 15
#: how long one delivery attempt may take; the hanging receiver holds its request longer
TIMEOUT = 15


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def hooked(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory,
           ) -> Iterator[Server]:
    """A registry that retries after 1 s (doubling), sweeps every second, and whose sessions
    expire fast."""
    storage = Storage(request.getfixturevalue("postgres").new_database()
                      if request.param == "postgresql" else None)
    server = Server.over(tmp_path_factory.mktemp("hooked") / "data", storage, extra=[
        "--webhook-backoff", "1", "--webhook-timeout", str(TIMEOUT), "--sweep-interval", "1",
        "--session-lifetime", str(LIFETIME), "--expiry-warning", str(WARNING)]).start()
    try:
        yield server
    finally:
        server.stop()


def _session(client: Upload, name: str, version: str, *, extend: bool = True) -> dict[str, Any]:
    created = client.create(name, version)
    assert created.status_code == 201, created.text
    session = dict(created.json())
    if extend:  # past the test's end: no expiry events
        extended = client.post(session["links"]["extend"], {"extend-for": 3600})
        assert extended.status_code == 200, extended.text
    return session


def _hook(server: Server, project: str, url: str, *extra: str) -> dict[str, Any]:
    return dict(server.admin("webhook", "add", "--project", project, "--url", url, *extra))


def test_every_event_reaches_the_receiver_signed_and_without_secrets(
        hooked: Server, release_factory) -> None:
    name, promoted = unique_name("hooked"), unique_name("hooked-upstream")
    with Receiver() as receiver:
        secret = _hook(hooked, name, receiver.url)["secret"]
        other_secret = _hook(hooked, promoted, receiver.url)["secret"]
        approver, rejecter, promoter = (hooked.maintainer(project)
                                        for project in (name, name, promoted))
        client = hooked.client(approver.token)
        expiring = _session(client, name, "3.0", extend=False)  # left to expire
        sdist, wheel = release_factory(name, "1.0")
        published = _session(client, name, "1.0")
        client.upload(published, sdist)
        client.upload(published, wheel)
        assert client.publish(published, approver.otp()).status_code == 201
        rejected = _session(client, name, "2.0")
        assert hooked.client(rejecter.token).cancel(rejected, rejecter.otp()).status_code == 200

        # promotion to an upstream that is down (a closed port on this machine)
        hooked.admin("project", "set", promoted, "--upstream-url",
                     f"http://127.0.0.1:{free_port()}/legacy/")
        upstream = hooked.client(promoter.token)
        failing = _session(upstream, promoted, "1.0")
        upstream.upload(failing, release_factory(promoted, "1.0")[1])
        assert upstream.publish(failing, promoter.otp()).status_code == 502

        wait_until(lambda: "expired" in receiver.events(name), LIFETIME + 60,
                   "the session to expire")
        mine = receiver.events(name)
        assert set(mine) | set(receiver.events(promoted)) == set(EVENTS), mine
        assert mine.count("staged") == 2 and mine.count("published") == 1
        assert "promotion-failed" in receiver.events(promoted)

    for request in receiver.requests:
        document = request.document
        assert request.signed_by(secret if document["project"] == name else other_secret)
        assert not request.signed_by("not-the-secret")
        assert request.headers["content-type"] == "application/json"
        assert document["event"] == request.event
        for token in (approver.token, rejecter.token, promoter.token):
            assert token not in request.body.decode()
        assert b"/stage/" not in request.body, "the stage preview URL is a capability"
    assert len({request.delivery for request in receiver.requests}) == len(receiver.requests)

    def first(event: str) -> Any:
        return next(r.document for r in receiver.requests if r.event == event)

    assert first("published")["session"]["id"] == published["id"]
    assert first("published")["session"]["url"] == f"{hooked.url}/upload/2.0/sessions/" \
        f"{published['id']}"
    assert {f["filename"] for f in first("published")["files"]} == {sdist.filename,
                                                                    wheel.filename}
    assert first("published")["actor"] == approver.user
    assert first("rejected")["actor"] == rejecter.user
    assert first("staged")["change"] == "added"
    assert {"blocked", "findings", "score"} <= set(first("validated"))
    assert first("expired")["actor"] == "registry"
    assert first("expired")["session"]["id"] == expiring["id"]
    assert 0 < first("expiring")["expires-in"] <= WARNING
    assert "upstream" in first("promotion-failed")["reason"] or \
        "promotion" in first("promotion-failed")["reason"]
    # the sweep wrote the expiry into the history too
    history = client.status(expiring)["history"]
    assert history[-1]["event"] == "canceled" and history[-1]["actor"] == "registry"


def test_a_failing_receiver_gets_three_attempts_and_one_success_across_a_restart(
        hooked: Server) -> None:
    name = unique_name("retried")
    with Receiver([500, 500, 200]) as receiver:
        hook = _hook(hooked, name, receiver.url, "--event", "rejected")
        account = hooked.maintainer(name)
        client = hooked.client(account.token)
        session = _session(client, name, "1.0")
        assert client.cancel(session, account.otp()).status_code == 200
        receiver.wait_for(1, name)

        # the server dies between two attempts; the delivery is in the database, not in memory
        wait_until(lambda: hooked.admin("webhook", "deliveries", "--id", str(hook["id"]))[0]
                   ["attempts"], 30, "the first attempt to be logged")
        hooked.kill()
        hooked.start()
        arrived = receiver.wait_for(3, name)
        time.sleep(2)  # a fourth request would come within the backoff
        assert len(receiver.requests) == 3
    assert len({request.delivery for request in arrived}) == 1, "one delivery, three attempts"
    assert all(request.body == arrived[0].body for request in arrived), "the same signed body"
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(arrived)]
    assert gaps[1] >= 1.5, f"the backoff doubles: {gaps}"

    log = wait_until(lambda: [entry for entry in hooked.admin(
        "webhook", "deliveries", "--id", str(hook["id"])) if entry["status"] == "delivered"],
        30, "the success to be logged")
    assert len(log) == 1
    entry = log[0]
    assert entry["id"] == arrived[0].delivery and entry["event"] == "rejected"
    assert [attempt["status_code"] for attempt in entry["attempts"]] == [500, 500, 200]
    assert [attempt["attempt"] for attempt in entry["attempts"]] == [1, 2, 3]
    assert entry["attempts"][0]["error"] == "answered 500 Internal Server Error"
    assert entry["attempts"][2]["error"] is None


def test_a_hanging_receiver_slows_neither_the_request_nor_other_webhooks(
        hooked: Server, release_factory) -> None:
    name = unique_name("hung")
    with Receiver(["hang", 200]) as hanging, Receiver() as healthy:
        _hook(hooked, name, hanging.url, "--event", "staged")
        _hook(hooked, name, healthy.url, "--event", "published")
        account = hooked.maintainer(name)
        client = hooked.client(account.token)
        session = _session(client, name, "1.0")
        client.upload(session, release_factory(name, "1.0")[1])
        wait_until(lambda: hanging.hanging, 30, "the receiver to hold a delivery")

        started = time.monotonic()
        answer = client.publish(session, account.otp())
        took = time.monotonic() - started
        assert answer.status_code == 201
        assert hanging.hanging, "the receiver still holds the first delivery"
        assert took < TIMEOUT / 2, f"publishing took {took:.1f} s while a receiver hung"
        # the other webhook of the project gets the new event while the first one hangs
        healthy.wait_for(1, name, timeout=TIMEOUT - 2, what="the healthy receiver")
        assert hanging.hanging

        # the registry gives up on the hung attempt at its timeout, logs it, tries again
        def staged() -> dict[str, Any] | None:
            return next((entry for entry in hooked.admin("webhook", "deliveries")
                         if entry["event"] == "staged" and entry["session"] == session["id"]
                         and entry["attempts"]), None)

        entry = wait_until(staged, TIMEOUT + 30, "the hung attempt to time out")
        assert f"no answer within {TIMEOUT} s" in entry["attempts"][0]["error"]
        hanging.release()
        hanging.wait_for(2, name, what="the second attempt")
    entry = wait_until(lambda: (found := staged()) and found["status"] == "delivered" and found,
                       30, "the second attempt to be logged")
    assert [attempt["status_code"] for attempt in entry["attempts"]] == [None, 200]


def test_webhook_urls_follow_the_outbound_rule_and_secrets_are_shown_once(
        hooked: Server, tmp_path: Path) -> None:
    name = unique_name("hookrule")
    for url in ("http://hooks.example.com/x", "https://user:pass@hooks.example.com/x",
                "ftp://hooks.example.com/x", "https://hooks.example.com/x?token=1"):
        assert hooked.admin_refuses("webhook", "add", "--project", name, "--url", url)
    assert hooked.admin_refuses("webhook", "add", "--project", name, "--url",
                                "https://hooks.example.com/x", "--event", "nonsense")
    added = _hook(hooked, name, "https://hooks.example.com/x", "--event", "published")
    assert len(added["secret"]) >= 32
    listed = hooked.admin("webhook", "list", "--project", name)
    assert listed == [{key: value for key, value in added.items() if key != "secret"}]
    assert added["secret"] not in str(listed)
    assert (hooked.data / "registry.db").exists() is (hooked.database is None)
    hooked.admin("webhook", "remove", str(added["id"]))
    assert hooked.admin("webhook", "list", "--project", name) == []
    assert hooked.admin_refuses("webhook", "remove", str(added["id"]))


def test_a_removed_webhook_gets_nothing_more(hooked: Server) -> None:
    name = unique_name("unhooked")
    with Receiver([500]) as receiver:
        hook = _hook(hooked, name, receiver.url, "--event", "rejected")
        account: Account = hooked.maintainer(name)
        client = hooked.client(account.token)
        assert client.cancel(_session(client, name, "1.0"), account.otp()).status_code == 200
        receiver.wait_for(1, name)
        hooked.admin("webhook", "remove", str(hook["id"]))
        time.sleep(4)  # past the next retry
        assert len(receiver.requests) == 1
    [entry] = hooked.admin("webhook", "deliveries", "--id", str(hook["id"]))
    assert entry["status"] == "canceled" and len(entry["attempts"]) == 1
