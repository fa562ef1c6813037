"""What every request of the desk shares: the store, the rules file, the templates."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import Request
from fastapi.templating import Jinja2Templates
from sqlalchemy import Engine


@dataclass(frozen=True)
class DeskSettings:
    """How `delight serve` runs the desk."""

    rules_path: Path | None = None
    secure_cookies: bool = False  # the session cookie only over HTTPS (behind a reverse proxy)
    lexicon_path: Path | None = None  # the team's tone lexicon (None: found as `delight tone check` finds it)


@dataclass(frozen=True)
class Desk:
    """The desk's shared state, on ``app.state.desk``."""

    engine: Engine
    settings: DeskSettings
    templates: Jinja2Templates
    shop_name: str
    team_language: str
    timezone: str

    @property
    def rules_path(self) -> Path | None:
        """The rules file every library call is given."""
        return self.settings.rules_path


def desk_of(request: Request) -> Desk:
    """The desk serving this request."""
    return request.app.state.desk
