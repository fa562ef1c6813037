"""The desk's application: FastAPI with server-rendered pages, htmx, and a JSON API.

Routes live per area in ``planner.desk.routes``; each parses the request, makes one library
call and renders a template. Nothing answers without signing in but the sign-in page and the
static files it needs (styles, htmx, the font).
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from planner.core.errors import AccessDenied, DatabaseError, DelightError, NotFound
from planner.core.rules import load_rules
from planner.desk.auth import SESSION_HOURS, Forbidden, SignInRequired, current_account
from planner.desk.pages import is_htmx, make_templates, render, words_for
from planner.desk.routes import api, listening, planning, printing, reporting, signin, week
from planner.desk.state import Desk, DeskSettings
from planner.services import accounts
from printouts.fonts import FONT_DIR

SESSION_COOKIE = "delight_session"
STATIC = Path(__file__).parent / "static"
# Pages hold customers' names and words: nothing from elsewhere runs on them, nothing frames them.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; font-src 'self'; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


def create_app(engine: Engine, settings: DeskSettings | None = None) -> FastAPI:
    """The desk on ``engine``'s store (which must be up to date: `delight init`)."""
    settings = settings or DeskSettings()
    rules = load_rules(settings.rules_path)
    app = FastAPI(
        title="delight desk API",
        summary="The week's gestures, logging and feedback, for a shop's own scripts.",
        description="Authenticate with a personal API token (`delight user token NAME`): "
        "`Authorization: Bearer TOKEN`. A token may do what its person may do at the desk.",
        version=_version(),
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
    )
    app.state.desk = Desk(
        engine=engine,
        settings=settings,
        templates=make_templates(),
        shop_name=rules.shop_name or "",
        team_language=rules.team_language,
        timezone=rules.timezone,
    )
    for module in (signin, week, printing, planning, listening, reporting, api):
        app.include_router(module.router)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    app.mount("/fonts", StaticFiles(directory=FONT_DIR), name="fonts")
    app.add_exception_handler(SignInRequired, _sign_in_first)
    app.add_exception_handler(Forbidden, _forbidden)
    app.add_exception_handler(DelightError, _problem)
    app.add_exception_handler(RequestValidationError, _bad_request)
    app.add_exception_handler(StarletteHTTPException, _http_problem)
    app.add_middleware(
        SessionMiddleware,
        secret_key=accounts.session_key(engine),
        session_cookie=SESSION_COOKIE,
        max_age=SESSION_HOURS * 3600,
        same_site="lax",
        https_only=settings.secure_cookies,
    )
    app.add_middleware(SecurityHeaders)
    return app


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("delight-planner")
    except PackageNotFoundError:
        return "dev"


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def _sign_in_first(request: Request, _exc: Exception) -> Response:
    if is_htmx(request):
        return Response(status_code=401, headers={"HX-Redirect": "/signin"})
    if request.method == "GET":
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/signin?next={quote(target, safe='')}", status_code=303)
    return RedirectResponse("/signin", status_code=303)


def _problem_page(request: Request, message: str, status_code: int) -> Response:
    if _is_api(request):
        return JSONResponse({"detail": message}, status_code=status_code)
    template = "problem_fragment.html" if is_htmx(request) else "problem.html"
    response = render(request, template, {"message": message}, status_code=status_code)
    if is_htmx(request):
        response.headers.update({"HX-Retarget": "#flash", "HX-Reswap": "innerHTML"})
    return response


def _forbidden(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, Forbidden)
    return _problem_page(request, words_for(request, current_account(request))(exc.reason), 403)


def _problem(request: Request, exc: Exception) -> Response:
    status_code = 400
    if isinstance(exc, NotFound):
        status_code = 404
    elif isinstance(exc, AccessDenied):
        status_code = 403
    elif isinstance(exc, DatabaseError):
        status_code = 503
    return _problem_page(request, str(exc), status_code)


def _bad_request(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    if _is_api(request):
        return JSONResponse({"detail": exc.errors()}, status_code=422)
    fields = ", ".join(str(error["loc"][-1]) for error in exc.errors())
    return _problem_page(request, f"the form is missing or has a bad value for: {fields}", 400)


def _http_problem(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    if _is_api(request) or exc.status_code not in (404, 405):
        return JSONResponse({"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers)
    return Response(str(exc.detail), status_code=exc.status_code, media_type="text/plain")


class SecurityHeaders:
    """Headers on every answer: a strict Content-Security-Policy, no framing, no sniffing, no caching of pages."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith(("/static/", "/fonts/"))

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _value in headers}
                wanted = [
                    (b"content-security-policy", CONTENT_SECURITY_POLICY.encode()),
                    (b"x-content-type-options", b"nosniff"),
                    (b"x-frame-options", b"DENY"),
                    (b"referrer-policy", b"same-origin"),
                    (b"cache-control", b"public, max-age=86400" if static else b"no-store"),
                ]
                headers += [(name, value) for name, value in wanted if name not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
