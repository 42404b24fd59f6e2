"""What a registry's failed answer means for the user: one table for every target.

Both protocol clients (PEP 694 and npm) turn an error status into an error through
:func:`status_error`, so one status gives one ``error_code`` whichever registry sent it; a
target adds only its own advice (how to log in there, what a 404 most likely means there).
The README's ``--json`` section shows the same table.

=========================  =======================  =========================================
answer                     ``error_code``           what the message says
=========================  =======================  =========================================
401 asking for an OTP      ``otp_required``         pass a (fresh) ``--otp``
401                        ``auth_failed``          the token was refused: log in again
403                        ``forbidden``            this token may not do that
404                        ``not_found``            no such release (decided already, or not
                                                    visible to this account)
409                        ``conflict``             the registry's state forbids it (already
                                                    staged or published, files incomplete)
429                        ``rate_limited``         retried; then: try again after the wait
                                                    the registry gave
5xx                        ``registry_unavailable`` retried; then: try again later. A request
                                                    that is never resent (approve, reject:
                                                    a one-time password counts once) may have
                                                    been applied: check before trying again
any other                  the command's own code   the registry's words
=========================  =======================  =========================================
"""

from __future__ import annotations

from dataclasses import dataclass

import httpx2

from .. import http
from ..errors import AuthError, HatchStageError

#: status -> error_code (5xx: ``registry_unavailable``; the 401 OTP challenge is decided by
#: each target before it gets here, since registries ask for a code in different ways)
CODES = {401: "auth_failed", 403: "forbidden", 404: "not_found", 409: "conflict",
         429: "rate_limited"}
SERVER_ERROR = "registry_unavailable"
#: what a 404 for a staged release most likely means, on any registry
GONE = "it was approved or rejected already, or this account cannot see it"


@dataclass(frozen=True)
class Advice:
    """What to tell the user, in the words of one target."""

    #: what to do when the registry refuses the token (401)
    log_in: str
    #: what the account needs when the token may not do something (403)
    permission: str
    #: what a 409 most likely means there (empty: the registry's own words suffice)
    conflict: str = ""


def status_error(
    response: httpx2.Response,
    *,
    what: str,
    registry: str,
    error: type[HatchStageError],
    advice: Advice,
    resent: bool = True,
    missing: str = GONE,
    check: str = "hatch-stage list",
) -> HatchStageError:
    """The error for a failed ``response`` to a request that was to ``what``.

    :param error: the error type of the command (a 401 or 403 is always an AuthError)
    :param resent: False for a request that is never sent twice (it carries a one-time
        password): a 5xx then may have been applied, and the message says to ``check``
    :param missing: what a 404 most likely means here
    :param check: the command that shows whether a request that was not resent took effect
    """
    status, detail = response.status_code, http.problem_detail(response)
    code = CODES.get(status, SERVER_ERROR if status >= 500 else error.code)
    answered = f"{status}: {detail}"
    if status == 401:
        return AuthError(
            f"could not {what}: {registry} refused the token ({answered}); {advice.log_in}",
            code=code,
        )
    if status == 403:
        return AuthError(f"this token cannot {what} ({answered}); {advice.permission}", code=code)
    if status == 404:
        return error(f"could not {what}: not found on {registry} ({answered}); {missing}",
                     code=code)
    if status == 409:
        because = f"; {advice.conflict}" if advice.conflict else ""
        return error(f"could not {what}: conflict ({answered}){because}", code=code)
    if status == 429:
        wait = response.headers.get("retry-after", "")
        later = f" after {wait} s" if wait.isdigit() else " later"
        return error(f"could not {what}: rate limited by {registry} ({answered}); try "
                     f"again{later}", code=code)
    if status >= 500 and resent:
        return error(
            f"could not {what}: {registry} kept failing ({answered}) after "
            f"{http.RETRIES + 1} attempts; try again later",
            code=code,
        )
    if status >= 500:
        return error(
            f"could not {what}: {registry} failed ({answered}). It may have done it all the "
            "same: the request was not sent again (a one-time password counts once). Check "
            f"with `{check}` before you try again",
            code=code,
        )
    return error(f"could not {what}: {registry} answered {answered}", code=code)
