"""Report (managers): the outcome report's numbers and charts, and its PDF."""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import Response

from planner.desk import charts
from planner.desk.auth import manager
from planner.desk.pages import pdf_download, render, words_for
from planner.desk.state import desk_of
from planner.services import report
from planner.services.accounts import Account

router = APIRouter(include_in_schema=False)
Manager = Annotated[Account, Depends(manager)]


@router.get("/report")
def report_page(request: Request, account: Manager, since: date | None = None, until: date | None = None) -> Response:
    desk = desk_of(request)
    found = report.make_report(desk.engine, report.ReportOptions(since=since, until=until, rules_path=desk.rules_path))
    drawn = charts.report_charts(found, words_for(request, account))
    return render(request, "report.html", {"report": found, "charts": drawn})


@router.get("/report.pdf")
def report_pdf(request: Request, _account: Manager, since: date | None = None, until: date | None = None) -> Response:
    desk = desk_of(request)

    def make(path: Path) -> Path:
        options = report.ReportOptions(since=since, until=until, rules_path=desk.rules_path, pdf=path)
        return report.make_report(desk.engine, options).pdf_path or path

    return pdf_download(make, f"outcome-report-{until or date.today()}.pdf")
