"""Issue 11, item 1 and issue 14, must-show 2: the one-time-password lockout holds under
concurrency across instances.

A stolen maintain token must get at most ``MAX_OTP_FAILURES`` guesses per lockout window,
however many requests it sends at once and to however many instances. Two real servers over
one PostgreSQL database and one bucket each get half of 16 simultaneous wrong codes, each for
a session of its own (so no session lock orders them): at most 5 may be evaluated, the rest
must be refused by the lockout (429) without looking at the code."""

from __future__ import annotations

import threading
import time
from collections import Counter

import httpx2
import pyotp
from stagekit import Server, unique_name

from hatch_stage.registry.accounts import MAX_OTP_FAILURES

GUESSES = 16


def _wrong_code(secret: str) -> str:
    """A code that is valid in none of the steps around now (or soon)."""
    totp = pyotp.TOTP(secret)
    now = time.time()
    valid = {totp.at(now + 30 * offset) for offset in range(-2, 4)}
    return next(code for code in (f"{n:06d}" for n in range(1000000)) if code not in valid)


def test_concurrent_wrong_codes_on_postgresql_are_evaluated_at_most_five_times(
        instances: tuple[Server, Server]) -> None:
    first, second = instances
    name = unique_name("guessed")
    maintainer = first.maintainer(name)
    clients = [first.client(maintainer.token), second.client(maintainer.token)]
    sessions = [clients[0].create(name, f"{index}.0").json() for index in range(GUESSES)]
    code = _wrong_code(maintainer.totp_secret)
    start = threading.Barrier(GUESSES)
    answers: list[httpx2.Response] = []

    def guess(index: int) -> None:
        # each thread its own connection to one of the two instances
        with httpx2.Client(base_url=(first, second)[index % 2].url, timeout=60,
                           headers={"Authorization": f"Bearer {maintainer.token}",
                                    "X-Hatch-Stage-OTP": code}) as http:
            start.wait()
            answers.append(http.delete(sessions[index]["links"]["session"]))

    threads = [threading.Thread(target=guess, args=(index,)) for index in range(GUESSES)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    statuses = Counter((answer.status_code, answer.json()["code"]) for answer in answers)
    assert sum(statuses.values()) == GUESSES
    # evaluated and wrong: 401 otp_required; refused by the lockout unseen: 429
    assert statuses[(401, "otp_required")] <= MAX_OTP_FAILURES, statuses
    assert statuses[(429, "rate_limited")] >= GUESSES - MAX_OTP_FAILURES, statuses
    assert set(statuses) <= {(401, "otp_required"), (429, "rate_limited")}, statuses
    # and the lockout holds for the right code too, on either instance
    right = clients[1].cancel(sessions[0], maintainer.otp())
    assert right.status_code == 429 and right.headers["retry-after"]
    assert clients[0].status(sessions[0])["status"] == "open"
