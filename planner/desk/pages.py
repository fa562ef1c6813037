"""Rendering: every page gets the person, their language's words, the CSRF token and any messages.

Templates are Jinja2 with autoescaping on for every file, so customer text (names, reviews)
is always shown as text, never as markup.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, FileSystemLoader, StrictUndefined

from planner.desk.auth import csrf_token, current_account
from planner.desk.i18n import Words, choose_language
from planner.desk.state import desk_of
from planner.services.accounts import Account
from planner.views import fact_text

TEMPLATES = Path(__file__).parent / "templates"
# htmx without inline styles or eval (the Content-Security-Policy allows neither), no page copies kept in
# localStorage (they hold customers' names), and errors (4xx, 5xx) swapped in where the server says.
HTMX_CONFIG = json.dumps(
    {
        "includeIndicatorStyles": False,
        "allowEval": False,
        "allowScriptTags": False,
        "selfRequestsOnly": True,
        "historyCacheSize": 0,
        "refreshOnHistoryMiss": True,
        "responseHandling": [
            {"code": "204", "swap": False},
            {"code": "[23]..", "swap": True},
            {"code": "[45]..", "swap": True, "error": True},
        ],
    }
)


def make_templates() -> Jinja2Templates:
    """The desk's templates: autoescaped, and an unknown variable is an error rather than an empty string."""
    environment = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=True, undefined=StrictUndefined)
    environment.filters["urlpart"] = lambda value: quote(str(value), safe="")
    environment.filters["fact"] = fact_text
    return Jinja2Templates(env=environment)


def is_htmx(request: Request) -> bool:
    """True for a request htmx made (it swaps the answer into the page)."""
    return request.headers.get("hx-request") == "true"


def words_for(request: Request, account: Account | None) -> Words:
    """The words in the person's language (their setting, else the browser's, else the team's)."""
    desk = desk_of(request)
    asked = request.query_params.get("lang") if account is None else None
    own = account.language if account else asked
    return Words(choose_language(own, request.headers.get("accept-language"), desk.team_language), desk.timezone)


def flash(request: Request, kind: str, text: str) -> None:
    """A message for the next page this person sees ("ok" or "problem")."""
    request.session.setdefault("flash", []).append([kind, text])


def render(request: Request, template: str, context: dict[str, object], status_code: int = 200) -> HTMLResponse:
    """A page or a fragment, with what every template may use."""
    desk = desk_of(request)
    account = current_account(request)
    words = words_for(request, account)
    messages = request.session.pop("flash", []) if not is_htmx(request) else []
    base = {
        "account": account,
        "t": words,
        "lang": words.language,
        "csrf": csrf_token(request),
        "shop": desk.shop_name,
        "flash": messages,
        "htmx_config": HTMX_CONFIG,
        "here": local_path(str(request.url.path) + (f"?{request.url.query}" if request.url.query else "")),
    }
    return desk.templates.TemplateResponse(request, template, {**base, **context}, status_code=status_code)


def local_path(target: str | None, default: str = "/week") -> str:
    """``target`` if it is a path on this site (never another site: "//evil", "https://…"), else ``default``."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return default
    return target


def back(request: Request, target: str | None, kind: str | None = None, text: str | None = None) -> Response:
    """After a plain form post (no htmx): a message for the next page, and back to where the person was."""
    if kind and text:
        flash(request, kind, text)
    return RedirectResponse(local_path(target), status_code=303)


def pdf_download(make: Callable[[Path], Path], filename: str) -> Response:
    """Run ``make`` with a path in a temporary folder; send the PDF it says it wrote as a download."""
    with tempfile.TemporaryDirectory(prefix="delight-desk-") as folder:
        data = make(Path(folder) / "printout.pdf").read_bytes()
    disposition = f"attachment; filename*=UTF-8''{quote(filename, safe='')}"
    return Response(data, media_type="application/pdf", headers={"Content-Disposition": disposition})
