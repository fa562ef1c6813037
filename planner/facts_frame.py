"""Every customer's facts as of a day, read from the store: the one call a command makes for them.

``db.frames`` reads what the facts are made from; ``planner.core.facts`` works them out.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date

import polars as pl
from sqlalchemy.engine import URL

from db.frames import read_fact_tables
from planner.core.facts import facts_frame, moments
from planner.facts import FACTS


def load_facts(url: URL, *, as_of: date, timezone: str, facts: Iterable[str] | None = None) -> pl.DataFrame:
    """Every customer's facts (or only ``facts``) as of the end of ``as_of`` in ``timezone``, one row each
    (``planner.core.facts.facts_frame``), from the committed state of the store at ``url``."""
    names = [fact.name for fact in FACTS] if facts is None else list(facts)
    tables = read_fact_tables(url, moments(as_of, timezone), items="last_order_items" in names)
    return facts_frame(tables, as_of=as_of, timezone=timezone, facts=names)
