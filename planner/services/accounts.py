"""The people who sign in to the desk (`delight serve`): names, roles, passwords, API tokens.

A person's name is the ``by`` of everything they log or reply to, in the same audit trail as
the command line. Passwords are kept as argon2id hashes (argon2-cffi); API tokens as SHA-256
digests (a token is 256 random bits, so a fast digest is enough). Five wrong passwords in a row
lock an account for ``LOCKED_FOR``; a new password or disabling an account ends every session
signed in before it (``User.session_epoch``).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Engine, bindparam, func, select
from sqlmodel import Session

from db.engine import transaction, write_transaction
from db.models import ApiToken, DeskSetting, User, UserRole
from planner.core.errors import InputError, NotFound, SignInRefused
from planner.services.logbook import record_event
from planner.terminal import checked_name

ROLES = tuple(role.value for role in UserRole)
LANGUAGES = ("ko", "en")
MAX_FAILURES = 5
LOCKED_FOR = timedelta(minutes=15)
MIN_PASSWORD = 8
MAX_PASSWORD = 1024
TOKEN_PREFIX = "dlt_"
SESSION_KEY = "session_key"
WRONG = "wrong name or password"

HASHER = PasswordHasher()  # argon2id with argon2-cffi's recommended parameters (RFC 9106, low memory)


@dataclass(frozen=True)
class Account:
    """Who is signed in: enough to decide what they may do and to name them in the audit trail."""

    id: int
    name: str
    role: str
    language: str | None
    epoch: int

    @property
    def is_manager(self) -> bool:
        """Managers plan, set the budget, reply to feedback and read the report."""
        return self.role == UserRole.MANAGER


@dataclass(frozen=True)
class UserView:
    """A user as `delight user list` shows them."""

    name: str
    role: str
    language: str | None
    disabled: bool
    locked_until: datetime | None  # while five wrong passwords keep them out
    tokens: int
    created_at: datetime


def _account(user: User) -> Account:
    assert user.id is not None  # stored users have ids
    return Account(user.id, user.name, user.role, user.language, user.session_epoch)


def _checked_password(password: str) -> str:
    if len(password) < MIN_PASSWORD:
        raise InputError(f"the password is too short: use at least {MIN_PASSWORD} characters")
    if len(password) > MAX_PASSWORD:
        raise InputError(f"the password is too long: use at most {MAX_PASSWORD} characters")
    return password


def _checked_role(role: str) -> str:
    if role not in ROLES:
        raise InputError(f'--role "{role}" is not a role: use manager or writer')
    return role


def _checked_language(language: str | None) -> str | None:
    if language is not None and language not in LANGUAGES:
        raise InputError(f'language "{language}" is not one the desk speaks: use ko or en')
    return language


def _user(session: Session, name: str, *, lock: bool = False) -> User:
    query = select(User).where(User.name == " ".join(name.split()))
    found = session.execute(query.with_for_update() if lock else query).scalar_one_or_none()
    if found is None:
        raise NotFound(f'no user "{name}": see `delight user list`')
    return found


def add_user(engine: Engine, name: str, role: str, password: str, by: str, language: str | None = None) -> Account:
    """`delight user add`: a new person who may sign in to the desk."""
    name = checked_name(name, "NAME", "signs in")
    role, language = _checked_role(role), _checked_language(language)
    password_hash = HASHER.hash(_checked_password(password))
    actor = checked_name(by, "--by")

    def work(session: Session) -> Account:
        if session.execute(select(User.id).where(User.name == name)).first() is not None:
            raise InputError(f'there is already a user "{name}": change their password with `delight user passwd`')
        user = User(name=name, role=role, password_hash=password_hash, language=language)
        session.add(user)
        session.flush()
        record_event(session, "user", user.id, actor, "add user", f"{name} as {role}")
        return _account(user)

    return write_transaction(engine, work)


def list_users(engine: Engine) -> list[UserView]:
    """`delight user list`: everyone who may sign in (or was disabled), by name."""
    tokens = select(ApiToken.user_id, func.count().label("count")).group_by(ApiToken.user_id).subquery()
    query = (
        select(User, func.coalesce(tokens.c.count, 0))
        .outerjoin(tokens, tokens.c.user_id == User.id)
        .order_by(User.name)
    )
    with transaction(engine) as session:
        rows = session.execute(query).all()
    now = datetime.now(UTC)
    return [
        UserView(
            user.name,
            user.role,
            user.language,
            user.disabled_at is not None,
            user.locked_until if user.locked_until is not None and user.locked_until > now else None,
            count,
            user.created_at,
        )
        for user, count in rows
    ]


def set_disabled(engine: Engine, name: str, disabled: bool, by: str) -> Account:
    """`delight user disable|enable`: a disabled user cannot sign in, and their sessions and tokens stop working."""
    actor = checked_name(by, "--by")

    def work(session: Session) -> Account:
        user = _user(session, name, lock=True)
        if disabled and user.disabled_at is None:
            user.disabled_at = datetime.now(UTC)
            user.session_epoch += 1
            record_event(session, "user", user.id, actor, "disable user", user.name)
        elif not disabled and user.disabled_at is not None:
            user.disabled_at, user.failed_sign_ins, user.locked_until = None, 0, None
            record_event(session, "user", user.id, actor, "enable user", user.name)
        return _account(user)

    return write_transaction(engine, work)


def set_password(engine: Engine, name: str, password: str, by: str) -> Account:
    """`delight user passwd`: a new password; it unlocks the account and ends its other sessions."""
    password_hash = HASHER.hash(_checked_password(password))
    actor = checked_name(by, "--by")

    def work(session: Session) -> Account:
        user = _user(session, name, lock=True)
        user.password_hash, user.failed_sign_ins, user.locked_until = password_hash, 0, None
        user.session_epoch += 1
        record_event(session, "user", user.id, actor, "new password", user.name)
        return _account(user)

    return write_transaction(engine, work)


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token(engine: Engine, name: str, label: str, by: str) -> str:
    """`delight user token`: a personal API token for NAME; only its digest is kept, so it is shown once."""
    actor = checked_name(by, "--by")
    label = " ".join(label.split())[:100]
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)

    def work(session: Session) -> str:
        user = _user(session, name)
        if user.disabled_at is not None:
            raise InputError(f'user "{user.name}" is disabled: enable them first with `delight user enable`')
        session.add(ApiToken(user_id=user.id, digest=_digest(token), label=label))
        record_event(session, "user", user.id, actor, "new API token", label or "(no label)")
        return token

    return write_transaction(engine, work)


def revoke_tokens(engine: Engine, name: str, by: str) -> int:
    """`delight user token --revoke`: every API token of NAME stops working; how many there were."""
    actor = checked_name(by, "--by")

    def work(session: Session) -> int:
        user = _user(session, name)
        tokens = list(session.execute(select(ApiToken).where(ApiToken.user_id == user.id)).scalars())
        for token in tokens:
            session.delete(token)
        record_event(session, "user", user.id, actor, "revoke API tokens", f"{len(tokens)} revoked")
        return len(tokens)

    return write_transaction(engine, work)


@dataclass(frozen=True)
class _Refused:
    reason: str
    minutes: int = 0

    def error(self) -> SignInRefused:
        messages = {
            "wrong": WRONG,
            "locked": f"this account is locked for {self.minutes} more minutes ({MAX_FAILURES} wrong passwords "
            "in a row); try again then, or ask a manager for a new password",
            "disabled": "this account is disabled: ask a manager to enable it",
        }
        return SignInRefused(messages[self.reason], self.reason, self.minutes)


def sign_in(engine: Engine, name: str, password: str, now: datetime | None = None) -> Account:
    """Check a name and password; count a wrong one (the fifth in a row locks the account for a while).

    Raises ``SignInRefused`` saying why (wrong, locked, disabled); the failure count is stored
    even though the sign-in is refused.
    """
    now = now or datetime.now(UTC)
    cleaned = " ".join(name.split())

    def work(session: Session) -> Account | _Refused:
        user = session.execute(select(User).where(User.name == cleaned).with_for_update()).scalar_one_or_none()
        if user is None:
            _verify(_unknown_name_hash(HASHER), password)  # as long as a wrong password takes
            return _Refused("wrong")
        if user.locked_until is not None and user.locked_until > now:
            return _Refused("locked", _minutes_left(user.locked_until, now))
        if not _verify(user.password_hash, password):
            user.failed_sign_ins += 1
            if user.failed_sign_ins < MAX_FAILURES:
                return _Refused("wrong")
            user.failed_sign_ins, user.locked_until = 0, now + LOCKED_FOR
            record_event(session, "user", user.id, user.name, "locked", f"{MAX_FAILURES} wrong passwords in a row")
            return _Refused("locked", _minutes_left(user.locked_until, now))
        if user.disabled_at is not None:
            return _Refused("disabled")
        user.failed_sign_ins, user.locked_until = 0, None
        if HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = HASHER.hash(password)
        return _account(user)

    outcome = write_transaction(engine, work)
    if isinstance(outcome, _Refused):
        raise outcome.error()
    return outcome


@cache
def _unknown_name_hash(hasher: PasswordHasher) -> str:
    """A hash to check a password against when the name is unknown, so that it takes as long as a wrong one."""
    return hasher.hash(secrets.token_urlsafe(16))


def _verify(password_hash: str, password: str) -> bool:
    try:
        return HASHER.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def _minutes_left(until: datetime, now: datetime) -> int:
    return max(1, round((until - now).total_seconds() / 60))


# Asked on every request the desk answers: the three values it needs, not the whole row, in a statement
# built once (building and keying a statement costs SQLAlchemy more than running this one).
_SESSION_USER = select(User.name, User.role, User.language).where(
    User.id == bindparam("user_id"), User.session_epoch == bindparam("epoch"), User.disabled_at.is_(None)
)


def session_account(engine: Engine, user_id: int, epoch: int) -> Account | None:
    """The person a session cookie names, if they may still use it (enabled, no new password since)."""
    with transaction(engine) as session:
        found = session.connection().execute(_SESSION_USER, {"user_id": user_id, "epoch": epoch}).first()
    return None if found is None else Account(user_id, found.name, found.role, found.language, epoch)


def token_account(engine: Engine, token: str) -> Account | None:
    """The person an API token belongs to, if it is theirs and they are enabled."""
    if not token.startswith(TOKEN_PREFIX):
        return None
    query = select(User).join(ApiToken, ApiToken.user_id == User.id).where(ApiToken.digest == _digest(token))
    with transaction(engine) as session:
        user = session.execute(query).scalar_one_or_none()
        return None if user is None or user.disabled_at is not None else _account(user)


def set_language(engine: Engine, account: Account, language: str | None) -> Account:
    """Change the language the desk speaks to this person (``None``: their browser's)."""
    language = _checked_language(language)

    def work(session: Session) -> Account:
        user = session.get(User, account.id)
        if user is None:
            raise NotFound(f'no user "{account.name}"')
        user.language = language
        return _account(user)

    return write_transaction(engine, work)


def session_key(engine: Engine) -> str:
    """The key that signs the desk's session cookies (made once per store by the migration)."""
    with transaction(engine) as session:
        setting = session.get(DeskSetting, SESSION_KEY)
    if setting is None:
        raise NotFound("this store has no desk session key: run `delight init` to upgrade it")
    return setting.value
