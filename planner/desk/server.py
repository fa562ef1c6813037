"""`delight serve`: the desk under uvicorn, on 127.0.0.1 unless told otherwise."""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine

from planner.desk.state import DeskSettings
from planner.services import accounts


@dataclass(frozen=True)
class ServeOptions:
    """Where the desk listens, and how."""

    host: str = "127.0.0.1"
    port: int = 8000
    secure_cookies: bool = False
    rules_path: Path | None = None
    access_log: bool = False  # a line per request (uvicorn's); off, it costs a quarter of a tick's time


def is_loopback(host: str) -> bool:
    """True for an address only this computer can reach (127.0.0.1, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def serve(engine: Engine, options: ServeOptions, say: Callable[..., None]) -> None:
    """Run the desk until interrupted. Anywhere but this computer, its cookie is sent over HTTPS only."""
    import uvicorn

    from planner.desk.app import create_app

    local = is_loopback(options.host)
    if not local:
        say(
            f"Listening on {options.host}, not only this computer: the desk must sit behind HTTPS (a reverse proxy "
            "such as nginx or Caddy, see the README); its session cookie is sent over HTTPS only.",
            err=True,
        )
    settings = DeskSettings(rules_path=options.rules_path, secure_cookies=options.secure_cookies or not local)
    app = create_app(engine, settings)
    if not accounts.list_users(engine):
        say("No one can sign in yet: add a manager with `delight user add NAME --role manager`.", err=True)
    shown = f"[{options.host}]" if ":" in options.host else options.host
    say(f"The desk is at http://{shown}:{options.port}/ (Ctrl+C stops it).")
    uvicorn.run(
        app,
        host=options.host,
        port=options.port,
        server_header=False,
        proxy_headers=True,
        log_level="info",
        access_log=options.access_log,
    )
