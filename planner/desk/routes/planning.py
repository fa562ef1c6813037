"""Plan (managers): preview a week's plan with a budget, then store it as `delight plan` would.

A preview works the plan out exactly as storing would and keeps nothing; storing it uses the
preview's seed, so the same data gives the same plan. A week already planned is kept and only
freed capacity is filled; redrawing it (`--replace`) must be confirmed.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import Response

from planner.core.errors import InputError
from planner.core.money import parse_amount
from planner.desk.auth import csrf_checked, manager
from planner.desk.pages import back, render, words_for
from planner.desk.state import desk_of
from planner.services import planning, worklist
from planner.services.accounts import Account

router = APIRouter(dependencies=[Depends(csrf_checked)], include_in_schema=False)
Manager = Annotated[Account, Depends(manager)]


@router.get("/plan")
def plan_page(request: Request, _account: Manager, week: str | None = None) -> Response:
    desk = desk_of(request)
    return render(request, "plan.html", {"state": worklist.plan_state(desk.engine, week or None, desk.rules_path)})


def _options(request: Request, week: str, budget: str, seed: str, replace: bool, preview: bool) -> planning.PlanOptions:
    if seed.strip() and not seed.strip().lstrip("-").isdigit():
        raise InputError(f'seed "{seed}" is not a whole number')
    return planning.PlanOptions(
        week=week or None,
        rules_path=desk_of(request).rules_path,
        budget=parse_amount(budget) if budget.strip() else None,
        seed=int(seed) if seed.strip() else None,
        replace=replace,
        preview=preview,
    )


@router.post("/plan/preview")
def plan_preview(
    request: Request,
    _account: Manager,
    week: Annotated[str, Form()] = "",
    budget: Annotated[str, Form()] = "",
    seed: Annotated[str, Form()] = "",
    replace: Annotated[bool, Form()] = False,
) -> Response:
    result = planning.plan_week(desk_of(request).engine, _options(request, week, budget, seed, replace, True))
    return render(request, "preview.html", {"result": result, "replace": replace})


@router.post("/plan/store")
def plan_store(
    request: Request,
    account: Manager,
    week: Annotated[str, Form()],
    seed: Annotated[str, Form()],
    budget: Annotated[str, Form()] = "",
    replace: Annotated[bool, Form()] = False,
    confirm: Annotated[bool, Form()] = False,
) -> Response:
    if replace and not confirm:
        raise InputError("redrawing cancels the week's planned gestures: tick the box to confirm, or preview again")
    result = planning.plan_week(desk_of(request).engine, _options(request, week, budget, seed, replace, False))
    words = words_for(request, account)
    stored = words("plan.stored", week=result.week, added=result.added, kept=result.kept, held_out=result.held_out)
    return back(request, f"/week?week={result.week}", "ok", stored)
