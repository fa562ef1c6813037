"""This week: the gestures to work through, ticking, undo, taking over a stack, and a customer's page."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse, Response

from planner import views
from planner.desk.auth import csrf_checked, signed_in
from planner.desk.pages import back, flash, is_htmx, render, words_for
from planner.desk.state import desk_of
from planner.services import logbook, worklist
from planner.services.accounts import Account

router = APIRouter(dependencies=[Depends(csrf_checked)], include_in_schema=False)
SignedIn = Annotated[Account, Depends(signed_in)]
LOG_STATUSES = ("sent", "skipped", "failed")


@router.get("/")
def home(_account: SignedIn) -> Response:
    return RedirectResponse("/week", status_code=303)


@router.get("/week")
def week_page(
    request: Request,
    account: SignedIn,
    week: str | None = None,
    writer: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    q: str | None = None,
) -> Response:
    desk = desk_of(request)
    chosen = worklist.WorkFilter(
        week=week or None,
        writer=writer or None,
        kind=kind or None,
        status=status or None,
        search=q,
        prefer_writer=None if account.is_manager else account.name,
    )
    listing = worklist.worklist(desk.engine, chosen, desk.rules_path)
    return render(request, "week.html", {"listing": listing, "kind": kind or "", "status": status or "", "q": q or ""})


@router.get("/week/changes")
def week_changes(request: Request, _account: SignedIn, week: str, watermark: int = 0) -> Response:
    desk = desk_of(request)
    changes = worklist.changes_since(desk.engine, week, watermark, desk.rules_path)
    return render(request, "changes.html", {"week": week, "changes": changes})


def _ticked(request: Request, account: Account, ticked: worklist.Ticked, week: str, return_to: str) -> Response:
    """The rows as they are now with what was done (htmx swaps them in), or back to the page with a message."""
    t = words_for(request, account)
    messages = [("problem", line) for line in ticked.problems]
    if ticked.ok and ticked.count:
        messages.append(("ok", t(f"week.{ticked.action}", count=ticked.count)))
    messages += [
        ("ok", t("week.already", id=item.gesture_id, status=t.status(item.status), by=item.by or "?"))
        for item in ticked.already
    ]
    if not is_htmx(request):
        for kind, text in messages:
            flash(request, kind, text)
        return back(request, return_to)
    return render(request, "ticked.html", {"ticked": ticked, "week": week, "messages": messages})


@router.post("/gestures/{gesture_id}/{status}")
def tick_one(
    request: Request,
    account: SignedIn,
    gesture_id: int,
    status: str,
    week: Annotated[str, Form()],
    note: Annotated[str, Form()] = "",
    return_to: Annotated[str, Form()] = "/week",
) -> Response:
    desk = desk_of(request)
    if status == "undo":
        ticked = worklist.undo(desk.engine, week, gesture_id, account.name, desk.rules_path)
    else:
        options = logbook.LogOptions(by=account.name, note=note or None, rules_path=desk.rules_path)
        ticked = worklist.tick(desk.engine, week, status, [gesture_id], options)
    return _ticked(request, account, ticked, week, return_to)


@router.post("/week/log/{status}")
def tick_selection(
    request: Request,
    account: SignedIn,
    status: str,
    week: Annotated[str, Form()],
    ids: Annotated[list[int], Form()] = [],  # noqa: B006 (FastAPI copies a default)
    note: Annotated[str, Form()] = "",
    return_to: Annotated[str, Form()] = "/week",
) -> Response:
    desk = desk_of(request)
    if status == "take-over":
        ticked = worklist.take_over(desk.engine, week, ids, account.name, desk.rules_path)
    else:
        options = logbook.LogOptions(by=account.name, note=note or None, rules_path=desk.rules_path)
        ticked = worklist.tick(desk.engine, week, status, ids, options)
    return _ticked(request, account, ticked, week, return_to)


@router.get("/customers/{reference}")
def customer_page(request: Request, _account: SignedIn, reference: str, week: str | None = None) -> Response:
    desk = desk_of(request)
    found = worklist.customer_file(desk.engine, reference, week or None, desk.rules_path)
    verdict = views.explanation_verdict(found.explanation)
    return render(request, "customer.html", {"file": found, "explanation": found.explanation, "verdict": verdict})
