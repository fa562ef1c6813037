"""Listen (managers): the feedback inbox, overdue and open first; replies through the tone check; resolving."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from planner.desk.auth import csrf_checked, manager
from planner.desk.pages import back, is_htmx, render
from planner.desk.state import desk_of
from planner.services import feedback
from planner.services.accounts import Account
from planner.words import tone

router = APIRouter(dependencies=[Depends(csrf_checked)], include_in_schema=False)
Manager = Annotated[Account, Depends(manager)]
SHOWN = 200


@router.get("/listen")
def inbox_page(request: Request, _account: Manager, show: Literal["open", "all"] = "open") -> Response:
    desk = desk_of(request)
    filters = feedback.FeedbackFilter(open_only=show == "open", limit=SHOWN, attention_first=True)
    inbox = feedback.list_feedback(desk.engine, filters, desk.rules_path)
    return render(request, "listen.html", {"inbox": inbox, "show": show})


@router.post("/listen/check")
def check_wording(request: Request, _account: Manager, text: Annotated[str, Form()] = "") -> Response:
    flags = tone.check(text, lexicon_path=desk_of(request).settings.lexicon_path).flags if text.strip() else []
    return render(request, "tone_flags.html", {"flags": flags})


def _item(request: Request, item: feedback.FeedbackItem, flags: list[tone.Flag], return_to: str) -> Response:
    if not is_htmx(request):
        return back(request, return_to)
    return render(request, "feedback_item.html", {"item": item, "flags": flags, "draft": ""})


@router.post("/listen/{feedback_id}/reply")
def reply(
    request: Request,
    account: Manager,
    feedback_id: int,
    text: Annotated[str, Form()] = "",
    anyway: Annotated[bool, Form()] = False,
    return_to: Annotated[str, Form()] = "/listen",
) -> Response:
    desk = desk_of(request)
    checked = feedback.reply_checked(
        desk.engine,
        str(feedback_id),
        account.name,
        text,
        anyway=anyway,
        rules_path=desk.rules_path,
        lexicon_path=desk.settings.lexicon_path,
    )
    if not checked.recorded:  # held back by the tone check: the same form, with the flags and the draft
        context = {"item": checked.item, "flags": checked.flags, "draft": text}
        return render(request, "feedback_item.html" if is_htmx(request) else "reply.html", context)
    return _item(request, checked.item, checked.flags, return_to)


@router.post("/listen/{feedback_id}/resolve")
def resolve(
    request: Request, account: Manager, feedback_id: int, return_to: Annotated[str, Form()] = "/listen"
) -> Response:
    desk = desk_of(request)
    (resolved,) = feedback.resolve(desk.engine, [str(feedback_id)], account.name, desk.rules_path)
    return _item(request, resolved, [], return_to)
