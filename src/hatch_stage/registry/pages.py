"""The review page's HTML: Jinja2 templates, the package's README rendered as the public
index renders it, and the headers every page carries.

Everything a package provides (names, summary, file names, diff text, metadata) reaches the
templates as plain text and is escaped by Jinja2's autoescaping; the README is the one piece
of HTML, made by readme_renderer (as warehouse does: reStructuredText by default, Markdown
or plain text by ``Description-Content-Type``) and sanitized by it. The pages carry no
script at all, and a Content-Security-Policy that allows none, so even markup that slipped
through could not run.
"""

from __future__ import annotations

from email.message import Message
from typing import Any

import jinja2
import readme_renderer.markdown
import readme_renderer.rst
import readme_renderer.txt
from markupsafe import Markup
from starlette.responses import HTMLResponse

from .documents import rfc3339
from .review import Description

#: what a page may load: its own stylesheet and images, nothing else, and no script anywhere;
#: forms post only to the registry; no framing (clickjacking an Approve button)
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self'; "
                           "form-action 'self'; frame-ancestors 'none'; base-uri 'none'")
PAGE_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # the page's address names a stage id: links out (project URLs) must not carry it; same-
    # origin requests keep theirs (no-referrer would make the browser send "Origin: null"
    # with the page's own forms, which the origin check refuses)
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}

_environment = jinja2.Environment(
    loader=jinja2.PackageLoader("hatch_stage.registry", "templates"),
    autoescape=True,
    undefined=jinja2.StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
)
_environment.filters["time"] = lambda timestamp: rfc3339(timestamp).replace("T", " ")


def _size(value: int | None) -> str:
    if value is None:
        return ""
    size = float(value)
    for unit in ("B", "KiB", "MiB"):
        if abs(size) < 1024 or unit == "MiB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} GiB"


def _delta(value: int) -> str:
    return ("+" if value > 0 else "-" if value < 0 else "±") + _size(abs(value))


_environment.filters["size"] = _size
_environment.filters["delta"] = _delta


def page(template: str, status: int = 200, headers: dict[str, str] | None = None,
         **context: Any) -> HTMLResponse:
    """A rendered page with the headers every page carries."""
    body = _environment.get_template(template).render(**context)
    return HTMLResponse(body, status, headers={**PAGE_HEADERS, **(headers or {})})


def readme_html(description: Description | None) -> Markup | None:
    """The README as sanitized HTML, rendered by its declared content type (reStructuredText
    when none is declared, as the public index does; plain text when it does not render)."""
    if description is None or not description.text:
        return None
    header = Message()
    header["content-type"] = description.content_type or "text/x-rst"
    kind = header.get_content_type()
    text = description.text
    rendered: str | None
    if kind == "text/markdown":
        variant = header.get_param("variant")
        rendered = readme_renderer.markdown.render(
            text, variant=variant if isinstance(variant, str) else "GFM")
    elif kind == "text/x-rst":
        rendered = readme_renderer.rst.render(text)
    else:
        rendered = None
    if rendered is None:
        rendered = readme_renderer.txt.render(text)
    return Markup(rendered or "")  # sanitized by readme_renderer
