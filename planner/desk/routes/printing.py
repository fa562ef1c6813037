"""Print: the week's cards, briefs, labels and packing list as PDFs, for the whole week or one writer's stack.

The PDFs come from the same printouts code as `delight print`, written to a temporary folder
and sent as a download.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from planner import prepare, weekview
from planner.accounts import Account
from planner.desk.auth import signed_in
from planner.desk.pages import pdf_download, render
from planner.desk.state import desk_of

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[Account, Depends(signed_in)]
Document = Literal["cards", "briefs", "labels", "packing-list"]


@router.get("/print")
def print_page(request: Request, _account: SignedIn, week: str | None = None) -> Response:
    desk = desk_of(request)
    summary = weekview.week_summary(desk.engine, week or None, desk.rules_path)
    stacks = [("", summary.total.planned)]  # the whole week, then each writer's stack
    stacks += [(writer, tally.planned) for writer, tally in summary.by_writer.items() if writer != weekview.NO_WRITER]
    return render(request, "print.html", {"summary": summary, "stacks": stacks})


@router.get("/print/{document}")
def print_document(
    request: Request,
    _account: SignedIn,
    document: Document,
    week: str | None = None,
    writer: str | None = None,
    layout: Literal["a6", "a4x4", "letter4x6"] = "a6",
    paper: Literal["a4", "letter"] = "a4",
    guide: bool = False,
) -> Response:
    desk = desk_of(request)
    stack = writer or None

    def make(path: Path) -> Path:
        options = prepare.PrintOptions(
            week=week or None,
            output=path,
            paper=paper,
            layout=layout,
            guide=guide,
            rules_path=desk.rules_path,
            writer=stack,
        )
        if document == "cards":
            return prepare.print_cards(desk.engine, options).path
        if document == "briefs":
            return prepare.print_briefs(desk.engine, options).path
        labels, packing = prepare.print_labels(desk.engine, options)
        return packing.path if document == "packing-list" else labels.path

    name = "-".join(part for part in (document, week or "this-week", stack) if part)
    return pdf_download(make, f"{name}.pdf")
