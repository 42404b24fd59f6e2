"""Must-show 4, separation of duties: publishing (approve) and canceling (reject) need a
maintain token of a user with TOTP and a fresh, unused code on that very request."""

from __future__ import annotations

import httpx2
from stagekit import Server, release_digest, unique_name


def test_publish_needs_maintainer_and_fresh_otp(server: Server, release_factory) -> None:
    name = unique_name("approve")
    maintainer = server.maintainer(name)
    stager = server.maintainer(name, role="stage")
    staging = server.client(stager.token)
    session = staging.stage(name, "1.0.0", release_factory(name, "1.0.0"))
    approving = server.client(maintainer.token)

    missing = approving.publish(session)
    assert missing.status_code == 401
    assert missing.headers["www-authenticate"] == "OTP"
    assert missing.headers["content-type"] == "application/problem+json"
    assert "one-time password" in missing.json()["detail"]

    wrong = approving.publish(session, "000000" if maintainer.otp() != "000000" else "111111")
    assert wrong.status_code == 401 and wrong.headers["www-authenticate"] == "OTP"

    # a stage token cannot publish, even with the uploader's own valid code
    assert staging.publish(session, stager.otp()).status_code == 403
    assert staging.status(session)["status"] == "open"

    code = maintainer.otp()
    published = approving.publish(session, code)
    assert published.status_code == 201, published.text
    assert published.json()["status"] == "published"
    assert published.headers["location"] == session["links"]["session"]
    assert httpx2.get(f"{server.url}/simple/{name}/").status_code == 200

    # the same code is refused on the next approval, even within its 30 s step
    again = staging.stage(name, "1.0.1", release_factory(name, "1.0.1"))
    replay = approving.publish(again, code)
    assert replay.status_code == 401 and replay.headers["www-authenticate"] == "OTP"
    # ... and so is an older one
    assert approving.publish(again, maintainer.otp(-1)).status_code == 401
    assert approving.status(again)["status"] == "open"
    assert approving.publish(again, maintainer.otp(1)).status_code == 201


def test_cancel_needs_otp_and_discards_the_stage(server: Server, release_factory) -> None:
    name = unique_name("reject")
    maintainer = server.maintainer(name)
    stager = server.maintainer(name, role="stage")
    session = server.client(stager.token).stage(name, "3.0", release_factory(name, "3.0"))

    assert server.client(stager.token).cancel(session, stager.otp()).status_code == 403
    rejecting = server.client(maintainer.token)
    assert rejecting.cancel(session).status_code == 401
    canceled = rejecting.cancel(session, maintainer.otp())
    assert canceled.status_code == 200 and canceled.json()["status"] == "canceled"
    assert httpx2.get(session["links"]["stage"]).status_code == 404
    # terminal: neither publish nor cancel again
    assert rejecting.publish(session, maintainer.otp(1)).status_code == 409
    # the name and version are free for a new session
    assert rejecting.create(name, "3.0").status_code == 201


def test_tokens_only_reach_their_projects(server: Server, release_factory) -> None:
    name, other = unique_name("mine"), unique_name("theirs")
    mine = server.maintainer(name)
    session = server.client(mine.token).stage(name, "1.0", release_factory(name, "1.0"))
    theirs = server.client(server.maintainer(other).token)

    assert theirs.create(name, "2.0").status_code == 403
    assert theirs.http.get(session["links"]["session"]).status_code == 403
    assert theirs.publish(session, "123456").status_code == 403
    anonymous = server.client()
    refused = anonymous.create(name, "2.0")
    assert refused.status_code == 401
    assert "Bearer" in refused.headers["www-authenticate"]
    assert server.client("hst_not-a-real-token").create(name, "2.0").status_code == 401


def test_revoked_token_is_refused(server: Server) -> None:
    name = unique_name("revoked")
    account = server.maintainer(name, role="stage")
    client = server.client(account.token)
    assert client.create(name, "1.0").status_code == 201
    token_id = next(t["id"] for t in server.admin("token", "list", "--user", account.user))
    server.admin("token", "revoke", str(token_id))
    assert client.create(name, "2.0").status_code == 401


def test_guessing_codes_pauses_approvals(server: Server, release_factory) -> None:
    name = unique_name("guessing")
    maintainer = server.maintainer(name)
    client = server.client(maintainer.token)
    session = client.stage(name, "1.0", release_factory(name, "1.0"))
    valid = {maintainer.otp(step) for step in (-1, 0, 1)}
    wrong = (code for code in (f"{n:06d}" for n in range(1000)) if code not in valid)
    for _ in range(5):
        assert client.publish(session, next(wrong)).status_code == 401
    paused = client.publish(session, maintainer.otp())
    assert paused.status_code == 429 and paused.headers["retry-after"] == "300"
    assert client.status(session)["status"] == "open"


def test_one_code_decides_a_batch_and_a_refused_batch_burns_nothing(
        server: Server, release_factory) -> None:
    name = unique_name("batch")
    maintainer = server.maintainer(name)
    client = server.client(maintainer.token)
    first = client.stage(name, "1.0", release_factory(name, "1.0"))
    second = client.stage(name, "1.1", release_factory(name, "1.1"))
    pending = client.create(name, "1.2").json()  # no files: cannot be published

    def reviewed(*sessions: dict) -> list[dict]:
        return [{"id": s["id"], "release-digest": release_digest(s)} for s in sessions]

    code = maintainer.otp()
    refused = client.post("/upload/2.0/decisions",
                          {"action": "publish", "sessions": reviewed(first, pending)},
                          headers={"X-Hatch-Stage-OTP": code})
    assert refused.status_code == 409, refused.text
    assert client.status(first)["status"] == "open", "nothing was decided"
    # an approval must name what was reviewed
    unbound = client.post("/upload/2.0/decisions",
                          {"action": "publish", "sessions": [first["id"], second["id"]]},
                          headers={"X-Hatch-Stage-OTP": code})
    assert unbound.status_code == 428 and unbound.json()["code"] == "digest_required"

    # the refused batches did not spend the code: it now publishes both in one request
    batch = client.post("/upload/2.0/decisions",
                        {"action": "publish", "sessions": reviewed(first, second)},
                        headers={"X-Hatch-Stage-OTP": code})
    assert batch.status_code == 200, batch.text
    assert batch.json()["failed"] is None
    assert [s["status"] for s in batch.json()["sessions"]] == ["published", "published"]
    assert client.status(second)["status"] == "published"

    replay = client.post("/upload/2.0/decisions", {"action": "cancel", "sessions": [pending["id"]]},
                         headers={"X-Hatch-Stage-OTP": code})
    assert replay.status_code == 401 and replay.headers["www-authenticate"] == "OTP"
    stager = server.client(server.maintainer(name, role="stage").token)
    assert stager.post("/upload/2.0/decisions", {"action": "cancel", "sessions": [pending["id"]]},
                       headers={"X-Hatch-Stage-OTP": maintainer.otp(1)}).status_code == 403
    canceled = client.post("/upload/2.0/decisions",
                           {"action": "cancel", "sessions": [pending["id"]]},
                           headers={"X-Hatch-Stage-OTP": maintainer.otp(1)})
    assert canceled.status_code == 200 and canceled.json()["sessions"][0]["status"] == "canceled"
