"""`delight user …` and `delight serve`: who may sign in to the desk, and how it is started."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable

import pytest
from click.testing import Result
from sqlalchemy import select
from sqlmodel import Session

from db.engine import make_engine
from db.models import ApiToken, AuditEvent, User

pytestmark = [
    pytest.mark.usefixtures("quick_passwords"),
    pytest.mark.parametrize("db_url", ["sqlite"], indirect=True),
]


def test_adding_listing_and_disabling_users(initialised: Callable[..., Result], db_url: str) -> None:
    added = initialised(
        "user", "add", "민지", "--role", "manager", "--password-stdin", "--by", "사장님", input="s3cret-pass\n"
    )
    assert added.exit_code == 0 and added.output == "Added 민지 (manager): they can sign in to `delight serve` now.\n"
    assert (
        initialised(
            "user", "add", "Tom", "--role", "writer", "--language", "en", "--password-stdin", input="another-pass"
        ).exit_code
        == 0
    )
    assert initialised("user", "list").output.splitlines() == [
        "name  role     language  status  API tokens",
        "----  -------  --------  ------  ----------",
        "Tom   writer   en        active           0",
        "민지  manager  browser   active           0",
    ]
    again = initialised("user", "add", "민지", "--role", "writer", "--password-stdin", input="whatever-pass\n")
    assert again.exit_code == 1
    assert again.output == 'Error: there is already a user "민지": change their password with `delight user passwd`\n'
    short = initialised("user", "add", "지수", "--role", "writer", "--password-stdin", input="short\n")
    assert (short.exit_code, short.output) == (1, "Error: the password is too short: use at least 8 characters\n")
    assert (
        initialised("user", "add", "지수", "--role", "boss", "--password-stdin", input="long enough\n").exit_code == 2
    )
    assert initialised("user", "disable", "Tom").output == "Disabled Tom.\n"
    assert "Tom   writer   en        disabled" in initialised("user", "list").output
    assert initialised("user", "enable", "Tom").output == "Enabled Tom.\n"
    nobody = initialised("user", "disable", "nobody")
    assert (nobody.exit_code, nobody.output) == (1, 'Error: no user "nobody": see `delight user list`\n')
    engine = make_engine(db_url)
    with Session(engine) as session:
        users = {user.name: user for user in session.execute(select(User)).scalars()}
        assert users["민지"].password_hash.startswith("$argon2id$") and "s3cret-pass" not in users["민지"].password_hash
        trail = session.execute(select(AuditEvent.actor, AuditEvent.action).where(AuditEvent.entity == "user")).all()
    engine.dispose()
    assert ("사장님", "add user") in trail and ("사장님", "disable user") not in trail


def test_a_password_is_never_taken_from_nowhere(initialised: Callable[..., Result]) -> None:
    result = initialised("user", "add", "민지", "--role", "manager")  # stdin is not a terminal here
    assert result.exit_code == 2
    assert "no terminal to ask for the password: pipe it in with --password-stdin" in result.output


def test_new_passwords_and_api_tokens(initialised: Callable[..., Result], db_url: str) -> None:
    initialised("user", "add", "민지", "--role", "manager", "--password-stdin", input="first-password\n")
    changed = initialised("user", "passwd", "민지", "--password-stdin", input="second-password\n")
    assert changed.output == "New password for 민지; their other sessions are signed out.\n"
    made = initialised("user", "token", "민지", "--label", "nightly export")
    token = made.stdout.strip()
    assert token.startswith("dlt_") and len(token) > 40 and "Shown once" in made.stderr
    engine = make_engine(db_url)
    with Session(engine) as session:
        stored = session.execute(select(ApiToken)).scalar_one()
        assert stored.label == "nightly export" and token not in stored.digest and len(stored.digest) == 64
    engine.dispose()
    assert "민지  manager  browser   active           1" in initialised("user", "list").output
    assert initialised("user", "token", "민지", "--revoke").output == "Revoked 1 API tokens of 민지.\n"
    initialised("user", "disable", "민지")
    refused = initialised("user", "token", "민지")
    assert refused.output == 'Error: user "민지" is disabled: enable them first with `delight user enable`\n'


def test_serve_listens_on_this_computer_unless_told_otherwise(
    initialised: Callable[..., Result], monkeypatch: pytest.MonkeyPatch
) -> None:
    import uvicorn

    started: list[dict] = []
    monkeypatch.setattr(uvicorn, "run", lambda app, **options: started.append({"app": app, **options}))
    alone = initialised("serve")
    assert alone.exit_code == 0
    assert started[0]["host"] == "127.0.0.1" and started[0]["port"] == 8000
    assert "The desk is at http://127.0.0.1:8000/" in alone.stdout
    assert "add a manager with `delight user add NAME --role manager`" in alone.stderr
    assert "HTTPS" not in alone.stderr

    def https_only(app: object) -> bool:
        session = next(m for m in app.user_middleware if m.cls.__name__ == "SessionMiddleware")  # type: ignore[attr-defined]
        return session.kwargs["https_only"]

    assert not https_only(started[0]["app"])
    initialised("user", "add", "민지", "--role", "manager", "--password-stdin", input="first-password\n")
    shared = initialised("serve", "--host", "0.0.0.0", "--port", "8080")
    assert started[1]["host"] == "0.0.0.0" and started[1]["port"] == 8080
    assert "must sit behind HTTPS" in shared.stderr and "add a manager" not in shared.stderr
    assert https_only(started[1]["app"])
    assert initialised("serve", "--secure-cookies").exit_code == 0  # behind a proxy on this computer
    assert started[2]["host"] == "127.0.0.1" and https_only(started[2]["app"])


@pytest.mark.parametrize("args", [["--help"], ["log", "sent", "1", "--by", "민지"]])
def test_the_command_line_does_not_load_the_desk(
    initialised: Callable[..., Result], db_url: str, args: list[str]
) -> None:
    """`delight --help` and `delight log sent` stay as quick as they were: no web framework is imported."""
    script = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from planner.cli import cli\n"
        f"CliRunner().invoke(cli, {['--db', db_url, *args]!r})\n"
        "web = ('fastapi', 'starlette', 'uvicorn', 'jinja2', 'argon2')\n"
        "print(sorted(name for name in web if name in sys.modules))\n"
    )
    loaded = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    assert loaded.stdout.strip() == "[]"
