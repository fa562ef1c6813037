"""The JSON API for a shop's own scripts: list a week, log gestures, undo, list feedback.

Authenticated by personal API tokens (`delight user token NAME`); a token may do what its person
may do at the desk, and what it logs is logged in that person's name. The same library calls
as the command line and the pages; documented at /api/docs (for people signed in to the desk).
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import HTMLResponse, JSONResponse
from pydantic import BaseModel, Field

from planner.core.errors import LogRejected
from planner.desk.auth import api_account, api_manager, signed_in
from planner.desk.state import desk_of
from planner.services import feedback, logbook, worklist
from planner.services.accounts import Account

router = APIRouter(prefix="/api")
TokenHolder = Annotated[Account, Depends(api_account)]
TokenManager = Annotated[Account, Depends(api_manager)]
# Swagger UI comes from its CDN: the docs page alone may load it.
DOCS_POLICY = (
    "default-src 'self'; script-src 'self' 'unsafe-inline' https://cdn.jsdelivr.net; "
    "style-src 'self' https://cdn.jsdelivr.net; img-src 'self' data: https://fastapi.tiangolo.com; "
    "frame-ancestors 'none'; base-uri 'none'"
)


class GestureOut(BaseModel):
    """A gesture of the week, with its customer."""

    gesture_id: int
    customer_id: str
    customer_name: str
    language: str
    kind: str
    rule: str | None
    status: str
    cost: Decimal
    currency: str
    reason: str
    week: str
    writer: str | None
    message: str | None
    for_day: date | None
    send_by: date | None
    sent_by: str | None
    sent_at: datetime | None
    note: str | None


class WeekOut(BaseModel):
    """A week's gestures (those matching the filters) and the whole week's counts by status."""

    week: str
    counts: dict[str, int]
    gestures: list[GestureOut]


class LogIn(BaseModel):
    """Gestures to log, all or none, as `delight log sent|skipped|failed`."""

    status: Literal["sent", "skipped", "failed"]
    gesture_ids: list[int] = Field(min_length=1, max_length=10_000)
    note: str | None = Field(default=None, max_length=2000)
    at: str | None = Field(default=None, description="When it happened, ISO 8601 (default: now; no offset: shop time).")


class AlreadyOut(BaseModel):
    """A gesture that was already logged the same way: its first record is kept."""

    gesture_id: int
    status: str
    by: str | None
    at: datetime | None


class LogOut(BaseModel):
    """What was logged, by status, and what had already been logged."""

    logged: dict[str, int]
    already: list[AlreadyOut]


class UndoOut(BaseModel):
    """A log entry taken back."""

    gesture_id: int
    was: str
    now: str


class FeedbackOut(BaseModel):
    """A review, complaint, survey answer or request, with its reply and whether it is overdue."""

    feedback_id: int
    reference: str | None
    customer_id: str
    customer_name: str
    kind: str
    rating: int | None
    text: str
    received_at: datetime
    status: str
    overdue: bool
    waiting_days: int | None
    reply: str | None
    replied_by: str | None
    replied_at: datetime | None
    resolved_by: str | None
    resolved_at: datetime | None


class Problem(BaseModel):
    """Why nothing was done."""

    detail: str
    problems: list[str] = []


@router.get("/gestures", response_model=WeekOut, summary="List a week's gestures")
def list_week(
    request: Request,
    _account: TokenHolder,
    week: Annotated[str | None, Query(description="ISO week like 2026-W49 (default: this week)")] = None,
    writer: str | None = None,
    kind: str | None = None,
    status: str | None = None,
    q: Annotated[str | None, Query(description="Customer id, or part of a name or email")] = None,
) -> WeekOut:
    desk = desk_of(request)
    chosen = worklist.WorkFilter(week, writer or worklist.EVERYONE, kind, status, q, most=None)
    listing = worklist.worklist(desk.engine, chosen, desk.rules_path)
    return WeekOut(
        week=listing.week,
        counts=listing.counts,
        gestures=[GestureOut.model_validate(row, from_attributes=True) for row in listing.rows],
    )


@router.post(
    "/gestures/log",
    response_model=LogOut,
    summary="Log gestures as sent, skipped or failed",
    responses={409: {"model": Problem, "description": "Nothing was logged: each problem is listed."}},
)
def log(request: Request, account: TokenHolder, entry: LogIn) -> LogOut | JSONResponse:
    desk = desk_of(request)
    options = logbook.LogOptions(by=account.name, note=entry.note, at=entry.at, rules_path=desk.rules_path)
    try:
        result = logbook.log_gestures(desk.engine, entry.status, entry.gesture_ids, options)
    except LogRejected as rejected:
        return JSONResponse(Problem(detail=str(rejected), problems=rejected.details).model_dump(), status_code=409)
    already = [AlreadyOut.model_validate(item, from_attributes=True) for item in result.already]
    return LogOut(logged=dict(result.logged), already=already)


@router.post("/gestures/{gesture_id}/undo", response_model=UndoOut, summary="Take back a log entry")
def undo(request: Request, account: TokenHolder, gesture_id: int) -> UndoOut:
    desk = desk_of(request)
    (undone,) = logbook.undo(desk.engine, [gesture_id], account.name, desk.rules_path)
    return UndoOut(gesture_id=undone.gesture_id, was=undone.was, now=undone.now)


@router.get("/feedback", response_model=list[FeedbackOut], summary="List feedback (managers)")
def list_feedback(
    request: Request,
    _account: TokenManager,
    open: Annotated[bool, Query(description="Only what still waits for a person")] = False,
    max_rating: Annotated[int | None, Query(ge=1, le=5)] = None,
    kind: str | None = None,
    limit: Annotated[int, Query(ge=1, le=5000)] = 100,
) -> list[FeedbackOut]:
    desk = desk_of(request)
    filters = feedback.FeedbackFilter(open_only=open, max_rating=max_rating, kind=kind, limit=limit)
    inbox = feedback.list_feedback(desk.engine, filters, desk.rules_path)
    return [FeedbackOut.model_validate(item, from_attributes=True) for item in inbox.items]


@router.get("/openapi.json", include_in_schema=False)
def openapi(request: Request, _account: Annotated[Account, Depends(signed_in)]) -> JSONResponse:
    return JSONResponse(request.app.openapi())


@router.get("/docs", include_in_schema=False)
def docs(_request: Request, _account: Annotated[Account, Depends(signed_in)]) -> HTMLResponse:
    page = get_swagger_ui_html(openapi_url="/api/openapi.json", title="delight desk API")
    page.headers["Content-Security-Policy"] = DOCS_POLICY
    return page
