"""The review page, served by the registry itself: a maintainer signs in with a maintain token
and a one-time password, sees a staged release as ``hatch-stage view`` and ``diff`` show it
(files and hashes, release digest, history, validation report, the diff with its flags, how
to install it from its stage preview, provenance), and approves or rejects it with a fresh
code. Server-rendered HTML; it works without JavaScript and carries none.

- ``GET /review/``: the staged releases the signed-in maintainer may decide
- ``GET``/``POST /review/login``: sign in ("API token", "One-time password")
- ``POST /review/logout``: sign out
- ``GET /review/<session-id>``: one staged release
- ``POST /review/<session-id>``: ``action=approve|reject``, ``otp``, ``release-digest`` (the
  digest the page showed: the registry publishes only if the files still have it)

A sign-in is a cookie (HttpOnly, SameSite=Strict, Secure unless the page is served over
plain HTTP on loopback, path ``/review``) naming a short server-side sign-in. Every POST must
come from the registry's own pages: its ``Origin`` is the registry's, and it carries the
anti-forgery token of the sign-in (for the sign-in form itself, of a login cookie set with
the form), else it is refused with 403 and nothing happens.
"""

from __future__ import annotations

import hmac
import secrets
from importlib.resources import files
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from ..urls import is_loopback
from .origin import from_own_origin
from .pages import PAGE_HEADERS, page, readme_html
from .problems import BadRequest, Problem, Unauthorized
from .review import Review
from .web import call, read_body, registry_of, urls_of
from .websessions import WebSession

#: the sign-in cookie
COOKIE = "hatch_stage_review"
#: the cookie that pairs the sign-in form with its anti-forgery token, before anyone signs in
LOGIN_COOKIE = "hatch_stage_login"
#: the sign-in form is valid this long
LOGIN_FORM_LIFETIME = 15 * 60
#: the largest form accepted
FORM_LIMIT = 64 * 1024
PREFIX = "/review"
FORGED = ("this form did not come from this registry's review page (its origin or its "
          "anti-forgery token is missing or wrong): nothing was done; reload the page and try "
          "again")
_STYLESHEET = files("hatch_stage.registry").joinpath("static/review.css").read_bytes()


def _secure(request: Request) -> bool:
    """Whether cookies must be Secure: always, except for plain HTTP on loopback (a browser
    keeps no Secure cookie from an http:// page)."""
    parts = urlsplit(urls_of(request).base)
    return parts.scheme == "https" or not is_loopback(parts.hostname or "")


def _served_safely(request: Request) -> bool:
    """Whether a sign-in can work here: over HTTPS, or plain HTTP on loopback."""
    return urlsplit(urls_of(request).base).scheme == "https" or not _secure(request)


def _set_cookie(request: Request, response: Response, name: str, value: str,
                max_age: int) -> None:
    response.set_cookie(name, value, max_age=max_age, path=PREFIX, httponly=True,
                        samesite="strict", secure=_secure(request))


def _forget_cookie(request: Request, response: Response, name: str) -> None:
    response.delete_cookie(name, path=PREFIX, httponly=True, samesite="strict",
                           secure=_secure(request))


async def _form(request: Request) -> dict[str, str]:
    """The posted form (``application/x-www-form-urlencoded``, bounded in size)."""
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if kind != "application/x-www-form-urlencoded":
        raise BadRequest("post the page's form")
    body = await read_body(request, FORM_LIMIT, "form")
    try:
        return dict(parse_qsl(body.decode(), keep_blank_values=True, max_num_fields=20))
    except (UnicodeDecodeError, ValueError):
        raise BadRequest("the form could not be read") from None


def _genuine(request: Request, form: dict[str, str], expected: str | None) -> bool:
    """The anti-forgery checks: the registry's own origin and the expected token."""
    sent = form.get("csrf", "")
    return (from_own_origin(request) and bool(expected) and bool(sent)
            and hmac.compare_digest(sent.encode(), (expected or "").encode()))


def _next(value: str | None) -> str:
    """Where to go after signing in: a review page, never another site."""
    if value and value.startswith(PREFIX + "/") and "//" not in value and "\\" not in value:
        return value
    return PREFIX + "/"


async def _signed_in(request: Request) -> WebSession | None:
    cookie = request.cookies.get(COOKIE)
    if not cookie:
        return None
    try:
        session: WebSession = await call(registry_of(request).signed_in, cookie)
    except Unauthorized:
        return None
    return session


def _to_login(request: Request) -> Response:
    target = quote(request.url.path, safe="/")
    return RedirectResponse(f"{PREFIX}/login?next={target}", 303, headers=PAGE_HEADERS)


def _refused(web: WebSession | None, message: str, status: int) -> Response:
    return page("error.html", status, web=web, message=message)


def problem_page(problem: Problem) -> Response:
    """A refusal raised before a page could be chosen (an unreadable form), as a page."""
    return _refused(None, str(problem), problem.status)


# signing in and out ----------------------------------------------------------------------

def _login_page(request: Request, target: str, error: str | None = None,
                status: int = 200) -> Response:
    csrf = secrets.token_urlsafe(32)
    if error is None and not _served_safely(request):
        error = ("sign-in needs HTTPS: serve the registry behind TLS and give "
                 "`hatch-stage serve --base-url https://...` (plain HTTP works on loopback only)")
    response = page("login.html", status, web=None, csrf=csrf, next=target, error=error)
    _set_cookie(request, response, LOGIN_COOKIE, csrf, LOGIN_FORM_LIFETIME)
    return response


async def login_form(request: Request) -> Response:
    target = _next(request.query_params.get("next"))
    if await _signed_in(request) is not None:
        return RedirectResponse(target, 303, headers=PAGE_HEADERS)
    return _login_page(request, target)


async def login(request: Request) -> Response:
    form = await _form(request)
    target = _next(form.get("next"))
    if not _genuine(request, form, request.cookies.get(LOGIN_COOKIE)):
        return _login_page(request, target, FORGED, 403)
    try:
        web: WebSession = await call(registry_of(request).sign_in, form.get("token", ""),
                                     form.get("otp", ""))
    except Problem as problem:
        return _login_page(request, target, str(problem), problem.status)
    response = RedirectResponse(target, 303, headers=PAGE_HEADERS)
    _set_cookie(request, response, COOKIE, web.cookie,
                registry_of(request).settings.review_session_lifetime)
    _forget_cookie(request, response, LOGIN_COOKIE)
    return response


async def logout(request: Request) -> Response:
    web = await _signed_in(request)
    form = await _form(request)
    if web is not None:
        if not _genuine(request, form, web.csrf):
            return _refused(web, FORGED, 403)
        await call(registry_of(request).sign_out, request.cookies.get(COOKIE, ""))
    response = RedirectResponse(f"{PREFIX}/login", 303, headers=PAGE_HEADERS)
    _forget_cookie(request, response, COOKIE)
    return response


# the pages -------------------------------------------------------------------------------

async def listing(request: Request) -> Response:
    web = await _signed_in(request)
    if web is None:
        return _to_login(request)
    views, total = await call(registry_of(request).decidable, web.principal)
    return page("list.html", web=web, sessions=views, total=total)


def _review_page(request: Request, web: WebSession, review: Review,
                 problem: Problem | None = None, status: int = 200) -> Response:
    view = review.session
    urls = urls_of(request)
    stage = urls.stage(view.token)
    report = view.report
    return page(
        "review.html", status, web=web, review=review, session=view, problem=problem,
        readme=readme_html(review.description), stage=stage,
        install=f"pip install --index-url {stage} {view.name}=={view.version}",
        live=f"{urls.base}/simple/{view.project}/",
        blocked=bool(report and report.findings),
        provenance=_provenance(review),
    )


def _provenance(review: Review) -> list[dict[str, Any]]:
    """Who built each file, as the registry verified its PEP 740 attestations when they
    arrived (against the project's trusted publishers); None where none came."""
    return [{"filename": file.filename,
             "signed_by": file.provenance.signed_by.describe() if file.provenance else None}
            for file in review.session.files if file.status == "completed"]


async def show(request: Request) -> Response:
    web = await _signed_in(request)
    if web is None:
        return _to_login(request)
    try:
        review = await call(registry_of(request).review, web.principal,
                            request.path_params["session"])
    except Problem as problem:
        return _refused(web, str(problem), problem.status)
    return _review_page(request, web, review)


async def decide(request: Request) -> Response:
    """Approve or reject with the one-time password typed on the page."""
    web = await _signed_in(request)
    if web is None:
        return _to_login(request)
    form = await _form(request)
    if not _genuine(request, form, web.csrf):
        return _refused(web, FORGED, 403)
    registry, session_id = registry_of(request), request.path_params["session"]
    action, otp = form.get("action"), form.get("otp", "").strip()
    try:
        if action not in ("approve", "reject"):
            raise BadRequest("choose Approve or Reject")
        if not otp:
            raise Unauthorized("enter the one-time password from your authenticator: nothing "
                               "was done")
        if action == "approve":
            await call(registry.publish, web.principal, session_id, otp,
                       form.get("release-digest") or None,
                       allow_secrets=form.get("allow-secrets") == "yes")
        else:
            await call(registry.cancel, web.principal, session_id, otp)
    except Problem as problem:
        try:
            review = await call(registry.review, web.principal, session_id)
        except Problem as missing:
            return _refused(web, str(missing), missing.status)
        return _review_page(request, web, review, problem, problem.status)
    return RedirectResponse(f"{PREFIX}/{session_id}", 303, headers=PAGE_HEADERS)


async def stylesheet(request: Request) -> Response:
    return Response(_STYLESHEET, media_type="text/css", headers={
        "X-Content-Type-Options": "nosniff", "Cache-Control": "max-age=3600"})


# HTML pages for a browser, not the HTTP API: left out of the OpenAPI description (and so of
# the API fuzzing); tests/registry and tests/browser drive them
routes = [
    Route(PREFIX + "/", listing, methods=["GET"], include_in_schema=False),
    Route(PREFIX + "/login", login_form, methods=["GET"], include_in_schema=False),
    Route(PREFIX + "/login", login, methods=["POST"], include_in_schema=False),
    Route(PREFIX + "/logout", logout, methods=["POST"], include_in_schema=False),
    Route(PREFIX + "/static/review.css", stylesheet, methods=["GET"], include_in_schema=False),
    Route(PREFIX + "/{session}", show, methods=["GET"], include_in_schema=False),
    Route(PREFIX + "/{session}", decide, methods=["POST"], include_in_schema=False),
]
