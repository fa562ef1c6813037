"""Print: the week's cards, envelopes, labels, packing list and briefs as PDFs, for the whole week or one
writer's stack.

The PDFs come from the same printouts code as `delight print`, written to a temporary folder
and sent as a download.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from planner.desk.auth import signed_in
from planner.desk.pages import pdf_download, render
from planner.desk.state import desk_of
from planner.services import printing
from planner.services.accounts import Account

router = APIRouter(include_in_schema=False)
SignedIn = Annotated[Account, Depends(signed_in)]
Document = Literal["cards", "envelopes", "labels", "packing-list", "briefs"]
PRINT = {
    "cards": printing.print_cards,
    "envelopes": printing.print_envelopes,
    "labels": lambda engine, options: printing.print_labels(engine, options)[0],
    "packing-list": printing.print_packing_list,
    "briefs": printing.print_briefs,
}


@router.get("/print")
def print_page(request: Request, _account: SignedIn, week: str | None = None) -> Response:
    desk = desk_of(request)
    chosen, stacks = printing.stacks(desk.engine, week or None, desk.rules_path)
    return render(request, "print.html", {"week": chosen, "stacks": stacks})


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
        options = printing.PrintOptions(
            week=week or None,
            output=path,
            paper=paper,
            layout=layout,
            guide=guide,
            rules_path=desk.rules_path,
            writer=stack,
        )
        return PRINT[document](desk.engine, options).path

    name = "-".join(part for part in (document, week or "this-week", stack) if part)
    return pdf_download(make, f"{name}.pdf")
