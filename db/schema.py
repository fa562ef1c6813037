"""Create, upgrade and check the database schema through Alembic migrations.

delight never upgrades a database behind a user's back: every command but
``delight init`` checks the schema and, if it is older than the code, says to run
``delight init`` (which upgrades in place, keeping all data).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from sqlalchemy import Connection, Engine, inspect, text
from sqlalchemy.exc import DBAPIError
from sqlmodel import SQLModel

import db.models  # noqa: F401  (registers the tables on SQLModel.metadata)
from db.engine import SQLITE_BEGIN, describe_database_error, sqlite_path
from planner.core.errors import DatabaseError, SchemaOutOfDate, SchemaTooNew

if TYPE_CHECKING:  # Alembic is imported only to upgrade, or to tell an older database from a newer one
    from alembic.config import Config
    from alembic.script import ScriptDirectory

HEAD = "0010"
"""The newest migration in ``db/migrations/versions``: every command checks a database against
it without loading Alembic. A new migration moves it (a test holds it to Alembic's head)."""


def _alembic_config() -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", "db:migrations")
    return config


def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    return ScriptDirectory.from_config(_alembic_config())


def head_revision() -> str:
    """The newest migration this code knows, as Alembic finds it."""
    head = _scripts().get_current_head()
    assert head is not None  # the package always ships at least one migration
    return head


def current_revision(connection: Connection) -> str | None:
    """The migration a database is at (Alembic's version table), or ``None`` for a database delight never touched."""
    if not inspect(connection).has_table("alembic_version"):
        return None
    return connection.execute(text("SELECT version_num FROM alembic_version")).scalar_one_or_none()


@dataclass(frozen=True)
class Upgrade:
    """What ``upgrade`` did: the revision before and after, and what it found missing and made again."""

    before: str | None
    after: str
    repaired: tuple[str, ...] = ()


def upgrade(engine: Engine) -> Upgrade:
    """Create or upgrade the schema to the newest migration, in one transaction, and repair it.

    An index the models declare that the database lacks is made again. Running it on an
    up-to-date, whole database changes nothing.
    """
    try:
        _refuse_other_files(engine, allow_empty=True)
        with engine.connect().execution_options(**{SQLITE_BEGIN: "IMMEDIATE"}) as connection, connection.begin():
            before = current_revision(connection)
            _refuse_newer(before, engine)
            _refuse_foreign(connection, before, engine)
            from alembic import command

            config = _alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, "head")
            indexes = _repair_indexes(connection)
    except DBAPIError as exc:
        raise DatabaseError(describe_database_error(exc, engine)) from exc
    return Upgrade(before, head_revision(), tuple(f"index {name}" for name in indexes))


def _repair_indexes(connection: Connection) -> list[str]:
    """Create each index the models declare that the database lacks; returns their names."""
    inspector = inspect(connection)
    missing = []
    for table in SQLModel.metadata.sorted_tables:
        present = {index["name"] for index in inspector.get_indexes(table.name)}
        for index in sorted(table.indexes, key=lambda index: str(index.name)):
            if index.name not in present:
                index.create(connection)
                missing.append(str(index.name))
    return missing


def check(engine: Engine) -> None:
    """Raise a clear error unless the database exists and is at the newest migration."""
    if not _refuse_other_files(engine, allow_empty=False):
        path = sqlite_path(engine.url.render_as_string(hide_password=False))
        raise DatabaseError(f"no database at {path}: create one with `delight init` (or try `delight demo`)")
    try:
        with engine.connect() as connection:
            revision = current_revision(connection)
    except DBAPIError as exc:
        raise DatabaseError(describe_database_error(exc, engine)) from exc
    where = engine.url.render_as_string(hide_password=True)
    if revision is None:
        raise DatabaseError(f"{where} has no delight tables: create them with `delight init`")
    if revision != HEAD:
        _refuse_newer(revision, engine)
        raise SchemaOutOfDate(
            f"{where} is at schema {revision}, this delight needs {HEAD}: "
            "run `delight init` to upgrade it (your data is kept)"
        )


_SQLITE_HEADER = b"SQLite format 3\x00"


def _refuse_other_files(engine: Engine, *, allow_empty: bool) -> bool:
    """Never let SQLite open (and so write to) a file that is not a database: a folder, a device, a
    spreadsheet given as --db by mistake; an empty file only to create a database in it (init).

    Returns whether the database is there (a server's always is).
    """
    path = sqlite_path(engine.url.render_as_string(hide_password=False))
    if path is None:
        return True
    where = engine.url.render_as_string(hide_password=True)
    if len(where) > 120:
        where = f"{where[:60]}…{where[-40:]}"
    try:
        if not path.exists():
            return False
        if not path.is_file():
            raise DatabaseError(f"{where} is not a file: give --db the path of a database file")
        with path.open("rb") as existing:
            header = existing.read(len(_SQLITE_HEADER))
    except OSError as exc:
        raise DatabaseError(f"cannot read {where}: {exc.strerror or exc}") from None
    if header == _SQLITE_HEADER or (allow_empty and not header):
        return True
    if not header:
        raise DatabaseError(f"{where} is an empty file, not a delight database: create one with `delight init`")
    raise DatabaseError(f"{where} is not a delight database (the file is damaged or of another kind)")


def _refuse_newer(revision: str | None, engine: Engine) -> None:
    if revision is None:
        return
    known = {script.revision for script in _scripts().walk_revisions()}
    if revision not in known:
        where = engine.url.render_as_string(hide_password=True)
        raise SchemaTooNew(
            f"{where} was written by a newer delight (schema {revision}): upgrade delight-planner to use it"
        )


def _refuse_foreign(connection: Connection, revision: str | None, engine: Engine) -> None:
    """Never build our tables inside somebody else's database."""
    if revision is not None:
        return
    tables = set(inspect(connection).get_table_names())
    if tables:
        where = engine.url.render_as_string(hide_password=True)
        raise DatabaseError(
            f"{where} already holds other tables ({', '.join(sorted(tables)[:3])}, ...); use a new file"
        )
