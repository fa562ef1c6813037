"""Who is asking: the signed session cookie (pages), personal API tokens (the JSON API), CSRF tokens.

The session cookie (Starlette's ``SessionMiddleware``: signed with the store's key, HttpOnly,
SameSite=Lax, Secure behind HTTPS) holds the user's id, their session epoch and a CSRF token.
Every request looks the user up again, so a disabled user or a new password ends a session at
once. Every form and htmx request that changes something carries the CSRF token.
"""

from __future__ import annotations

import secrets
import time
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from planner.desk.state import desk_of
from planner.services import accounts
from planner.services.accounts import Account

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
SESSION_HOURS = 12  # from signing in, however busy the page (its polling renews the cookie, not this)
_UNKNOWN = object()


class SignInRequired(Exception):
    """Nobody is signed in (or their session ended): the sign-in page, or 401 for htmx."""


class Forbidden(Exception):
    """Signed in, but not allowed: a writer on a manager's page, or a form without its CSRF token."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # a key of the desk's words: "forbidden.manager" or "forbidden.csrf"


def current_account(request: Request) -> Account | None:
    """The signed-in person, if their session is still good (looked up once per request)."""
    known = getattr(request.state, "account", _UNKNOWN)
    if known is not _UNKNOWN:
        return known
    account = None
    user_id, epoch, since = request.session.get("uid"), request.session.get("epoch"), request.session.get("since")
    fresh = isinstance(since, int | float) and time.time() - since < SESSION_HOURS * 3600
    if isinstance(user_id, int) and isinstance(epoch, int) and fresh:
        account = accounts.session_account(desk_of(request).engine, user_id, epoch)
    if account is None and "uid" in request.session:
        request.session.clear()
    request.state.account = account
    return account


def signed_in(request: Request) -> Account:
    """A dependency: the signed-in person, or the sign-in page."""
    account = current_account(request)
    if account is None:
        raise SignInRequired
    return account


def manager(account: Annotated[Account, Depends(signed_in)]) -> Account:
    """A dependency: a signed-in manager; a writer gets 403."""
    if not account.is_manager:
        raise Forbidden("forbidden.manager")
    return account


def csrf_token(request: Request) -> str:
    """This session's CSRF token (made on first use, signed in or not)."""
    token = request.session.get("csrf")
    if not isinstance(token, str):
        token = request.session["csrf"] = secrets.token_urlsafe(32)
    return token


async def csrf_checked(request: Request) -> None:
    """A dependency of every page route: a request that changes something must carry the CSRF token."""
    if request.method in SAFE_METHODS:
        return
    expected = request.session.get("csrf")
    given = request.headers.get(CSRF_HEADER)
    if given is None:
        given = (await request.form()).get(CSRF_FIELD)
    if not isinstance(expected, str) or not isinstance(given, str) or not secrets.compare_digest(given, expected):
        raise Forbidden("forbidden.csrf")


def begin_session(request: Request, account: Account) -> None:
    """After a good sign-in: a fresh session (new CSRF token) naming the person."""
    request.session.clear()
    request.session.update(uid=account.id, epoch=account.epoch, since=time.time(), csrf=secrets.token_urlsafe(32))


_bearer = HTTPBearer(auto_error=False, description="A personal API token: `delight user token NAME`.")


def api_account(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Account:
    """A dependency of the JSON API: the person whose personal API token came with the request."""
    account = None if credentials is None else accounts.token_account(desk_of(request).engine, credentials.credentials)
    if account is None:
        raise HTTPException(
            401,
            "send a personal API token as `Authorization: Bearer TOKEN` (made by `delight user token NAME`)",
            headers={"WWW-Authenticate": "Bearer"},
        )
    return account


def api_manager(account: Annotated[Account, Depends(api_account)]) -> Account:
    """A dependency of the JSON API: a manager's token; a writer's gets 403."""
    if not account.is_manager:
        raise HTTPException(403, "only a manager may do this")
    return account
