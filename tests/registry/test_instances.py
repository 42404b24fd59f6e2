"""Issue 14, must-show 2: two ``hatch-stage serve`` processes over one PostgreSQL database and
one bucket behave as one registry: requests alternate between them (stage on one, approve on
the other, install from either), a race of approve and reject across them has one winner, and
a notification is delivered exactly once though both run a delivery worker, and decisions
taken on the review page (signed in on one instance, posted to the other) notify as those of
the API. (The concurrent wrong codes across both: tests/registry/test_otp_race.py, on the
same pair.)"""

from __future__ import annotations

import hashlib
import itertools
import json
import threading
from collections import Counter
from pathlib import Path
from typing import Any

import httpx2
from reviewpage import signed_in_client
from stagekit import (
    Account,
    Server,
    Upload,
    installed_release,
    pip_install,
    unique_name,
    wait_until,
)
from webhookkit import Receiver


def at(server: Server, document: dict[str, Any], instances: tuple[Server, Server],
       ) -> dict[str, Any]:
    """The same document with its links pointing at ``server``, whichever instance gave it."""
    text = json.dumps(document)
    for instance in instances:
        text = text.replace(instance.url, server.url)
    return dict(json.loads(text))


def test_requests_alternate_between_instances(instances: tuple[Server, Server],
                                              release_factory, tmp_path: Path) -> None:
    first, second = instances
    name = unique_name("alternating")
    maintainer = first.maintainer(name)
    sdist, wheel = release_factory(name, "1.0")
    turns = itertools.cycle(instances)

    def turn(document: dict[str, Any]) -> tuple[Upload, dict[str, Any]]:
        """The next instance's client, and the document as that instance links it."""
        server = next(turns)
        return server.client(maintainer.token), at(server, document, instances)

    client, _ = turn({})
    session = client.create(name, "1.0").json()
    for artifact in (sdist, wheel):  # every step of each upload on the other instance
        client, moved = turn(session)
        file = client.start_file(moved, artifact).json()
        client, file = turn(file)
        with artifact.path.open("rb") as stream:
            assert client.send_bytes(file, stream.read()).status_code == 200
        client, file = turn(file)
        assert client.post(file["links"]["complete"]).status_code == 201
    on_first, on_second = at(first, session, instances), at(second, session, instances)
    seen = [server.client(maintainer.token).status(document) for server, document in
            ((first, on_first), (second, on_second))]
    assert seen[0] == at(first, seen[1], instances), "both instances answer the same"

    # installs from the preview of either instance, the files in the bucket
    for number, document in enumerate((on_first, on_second)):
        installed = pip_install(document["links"]["stage"], f"{name}==1.0",
                                tmp_path / f"preview{number}")
        assert installed.returncode == 0, installed.stderr
        assert installed_release(tmp_path / f"preview{number}", name) == \
            f'RELEASE = "{name} 1.0"\n'
    # staged on both, approved on the second, live on the first
    assert second.client(maintainer.token).publish(on_second, maintainer.otp()).status_code == 201
    live = pip_install(f"{first.url}/simple/", f"{name}==1.0", tmp_path / "live")
    assert live.returncode == 0, live.stderr
    served = httpx2.get(f"{first.url}/files/{wheel.filename}")
    assert hashlib.sha256(served.content).hexdigest() == wheel.sha256
    for server in instances:
        health = httpx2.get(f"{server.url}/_/health").json()
        assert health == {"status": "ok", "database": {"ok": True}, "storage": {"ok": True}}


def _race(approving: tuple[Server, Account, dict[str, Any]],
          rejecting: tuple[Server, Account, dict[str, Any]]) -> dict[str, httpx2.Response]:
    """Approve on one instance and reject on the other at the same moment."""
    go = threading.Barrier(2)
    answers: dict[str, httpx2.Response] = {}

    def approve() -> None:
        server, account, session = approving
        client = server.client(account.token)
        digest = client.status(session)["release-digest"]
        go.wait()
        answers["approve"] = client.publish(session, account.otp(), digest=digest)

    def reject() -> None:
        server, account, session = rejecting
        client = server.client(account.token)
        go.wait()
        answers["reject"] = client.cancel(session, account.otp())

    threads = [threading.Thread(target=approve), threading.Thread(target=reject)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    return answers


def test_approve_and_reject_racing_across_instances_have_one_winner(
        instances: tuple[Server, Server], release_factory) -> None:
    first, second = instances
    name = unique_name("contested")
    outcomes = []
    for round_number in range(4):
        version = f"{round_number + 1}.0"
        approver, rejecter = first.maintainer(name), first.maintainer(name)
        session = first.client(approver.token).create(name, version).json()
        first.client(approver.token).upload(session, release_factory(name, version)[1])
        # alternate which instance approves, so each side wins and loses on both
        approving, rejecting = (first, second) if round_number % 2 else (second, first)
        answers = _race((approving, approver, at(approving, session, instances)),
                        (rejecting, rejecter, at(rejecting, session, instances)))
        won = {action for action, answer in answers.items() if answer.is_success}
        assert len(won) == 1, {action: answer.text for action, answer in answers.items()}
        lost = answers[({"approve", "reject"} - won).pop()]
        assert lost.status_code == 409, lost.text
        final = first.client(approver.token).status(session)["status"]
        assert final == ("published" if won == {"approve"} else "canceled")
        outcomes.append(final)
        simple = httpx2.get(f"{second.url}/simple/{name}/")
        assert (f"-{version}-" in simple.text) is (final == "published")
    print(f"\nwinners across instances: {Counter(outcomes)}")


def test_a_notification_is_delivered_exactly_once(instances: tuple[Server, Server]) -> None:
    first, second = instances
    name = unique_name("notified")
    with Receiver() as receiver:
        first.admin("webhook", "add", "--project", name, "--url", receiver.url)
        accounts = [first.maintainer(name) for _ in range(6)]
        for number, account in enumerate(accounts):  # twelve events, from both instances
            server = (first, second)[number % 2]
            client = server.client(account.token)
            session = client.create(name, f"{number + 1}.0").json()
            assert client.cancel(session, account.otp()).status_code == 200
            session = client.create(name, f"{number + 1}.1").json()
            assert client.cancel(session, account.otp(1)).status_code == 200
        receiver.wait_for(12, name)
        # both workers poll every second: give a duplicate time to arrive
        wait_until(lambda: all(entry["status"] == "delivered" for entry in
                               first.admin("webhook", "deliveries")), 30, "every delivery")
    deliveries = Counter(request.delivery for request in receiver.requests)
    assert len(deliveries) == 12 and set(deliveries.values()) == {1}, deliveries
    log = first.admin("webhook", "deliveries")
    assert len(log) == 12 and all(len(entry["attempts"]) == 1 for entry in log)


def _decide_on_page(signed_in_on: Server, decide_on: Server, account: Account,
                    session: dict[str, Any], action: str) -> httpx2.Response:
    """Sign in to the review page of one instance, then approve or reject on the other's (the
    sign-in lives in the shared database), as a browser would post the page's form."""
    http, csrf = signed_in_client(signed_in_on, account)
    with httpx2.Client(base_url=decide_on.url, cookies=http.cookies, timeout=60) as browser:
        return browser.post(f"/review/{session['id']}", headers={"Origin": decide_on.url},
                            data={"csrf": csrf, "action": action, "otp": account.otp(1),
                                  "release-digest": session["release-digest"]})


def test_decisions_on_the_review_page_notify_as_the_api_does(
        instances: tuple[Server, Server], release_factory) -> None:
    first, second = instances
    name = unique_name("paged")
    with Receiver() as receiver:
        first.admin("webhook", "add", "--project", name, "--url", receiver.url,
                    "--event", "published", "--event", "rejected")
        by_api, approver, rejecter = (first.maintainer(name) for _ in range(3))
        client = first.client(by_api.token)
        staged = [client.stage(name, version, release_factory(name, version))
                  for version in ("1.0", "2.0", "3.0")]
        assert second.client(by_api.token).publish(
            at(second, staged[0], instances), by_api.otp()).status_code == 201
        approved = _decide_on_page(first, second, approver, staged[1], "approve")
        assert approved.status_code == 303, approved.text
        rejected = _decide_on_page(second, first, rejecter, staged[2], "reject")
        assert rejected.status_code == 303, rejected.text
        receiver.wait_for(3, name)
        wait_until(lambda: all(entry["status"] == "delivered" for entry in
                               first.admin("webhook", "deliveries")), 30, "every delivery")
    assert Counter(request.delivery for request in receiver.requests).most_common(1)[0][1] == 1
    sent = {request.document["session"]["id"]: request.document
            for request in receiver.requests}
    from_api, from_page, rejection = (sent[session["id"]] for session in staged)
    assert (from_api["event"], from_page["event"], rejection["event"]) == \
        ("published", "published", "rejected")
    assert from_page.keys() == from_api.keys(), "the page's approval tells what the API's does"
    assert (from_page["actor"], from_page["actor-type"]) == (approver.user, "user")
    assert (rejection["actor"], rejection["actor-type"]) == (rejecter.user, "user")
    assert from_page["release-digest"] == staged[1]["release-digest"]
    # what the page approved is live on both instances, its files served from the bucket
    sdist, wheel = release_factory(name, "2.0")
    for server in instances:
        page = httpx2.get(f"{server.url}/simple/{name}/",
                          headers={"Accept": "application/vnd.pypi.simple.v1+json"}).json()
        assert {sdist.filename, wheel.filename} <= {entry["filename"] for entry in page["files"]}
        served = httpx2.get(f"{server.url}/files/{wheel.filename}")
        assert hashlib.sha256(served.content).hexdigest() == wheel.sha256
