"""Signing in and out, and the language a person reads the desk in."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from planner.core.errors import SignInRefused
from planner.desk.auth import begin_session, csrf_checked, current_account, signed_in
from planner.desk.pages import local_path, render, words_for
from planner.desk.state import desk_of
from planner.services import accounts
from planner.services.accounts import Account

router = APIRouter(dependencies=[Depends(csrf_checked)], include_in_schema=False)


@router.get("/signin")
def signin_page(request: Request, next: str | None = None) -> Response:
    if current_account(request) is not None:
        return RedirectResponse(local_path(next), status_code=303)
    return render(request, "signin.html", {"next": local_path(next), "error": None, "name": ""})


@router.post("/signin")
def signin(
    request: Request,
    name: Annotated[str, Form()] = "",
    password: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/week",
) -> Response:
    try:
        account = accounts.sign_in(desk_of(request).engine, name, password)
    except SignInRefused as refused:
        error = words_for(request, None)(f"signin.{refused.reason}", minutes=refused.minutes)
        context = {"next": local_path(next), "error": error, "name": name}
        return render(request, "signin.html", context, status_code=401)
    begin_session(request, account)
    request.state.account = account
    return RedirectResponse(local_path(next), status_code=303)


@router.post("/signout")
def signout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/signin", status_code=303)


@router.post("/language")
def language(
    request: Request,
    account: Annotated[Account, Depends(signed_in)],
    language: Annotated[str, Form()] = "",
    next: Annotated[str, Form()] = "/week",
) -> Response:
    accounts.set_language(desk_of(request).engine, account, language or None)
    return RedirectResponse(local_path(next), status_code=303)
