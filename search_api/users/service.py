"""Users and tokens. Passwords are argon2id hashes; tokens are random and stored hashed."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from search_api.db import as_utc, utcnow
from search_api.users.models import TokenRow, UserRow
from search_api.users.schemas import UserCreate

_hasher = PasswordHasher()
# A token ends after TOKEN_IDLE without use (each use renews it) and after TOKEN_LIFETIME in any
# case: a leaked token left idle dies within the half hour, an active session lasts a working day.
TOKEN_LIFETIME = dt.timedelta(hours=8)
TOKEN_IDLE = dt.timedelta(minutes=30)
MIN_PASSWORD_LENGTH = 10
# verified against when the username is unknown, so timing does not reveal which users exist
_DUMMY_HASH = _hasher.hash("not a real password")


class UsernameTaken(ValueError):
    pass


def create(*, session: Session, user_in: UserCreate) -> UserRow:
    """Add a user; raises ``UsernameTaken``."""
    if session.scalar(select(UserRow).where(UserRow.username == user_in.username)) is not None:
        raise UsernameTaken(f"username {user_in.username!r} is taken")
    user = UserRow(
        username=user_in.username,
        password_hash=_hasher.hash(user_in.password),
        role=user_in.role,
        state=user_in.state.strip(),
        district=user_in.district.strip(),
        unit=user_in.unit.strip(),
        unit_code=user_in.unit_code.strip(),
    )
    session.add(user)
    session.flush()
    return user


class LoginFailed(Exception):
    """Wrong username or password, or an account locked after repeated failures."""

    def __init__(self, locked: bool = False) -> None:
        self.locked = locked
        super().__init__("too many failed logins: the account is locked for a while" if locked else "wrong username or password")


def authenticate(*, session: Session, username: str, password: str, max_failures: int = 5, lock_minutes: int = 15) -> UserRow:
    """The user if the password is right; raises ``LoginFailed``.

    After ``max_failures`` wrong passwords in a row the account locks for ``lock_minutes``,
    even against the right password. The caller must commit even on failure (the count).
    """
    user = session.scalar(select(UserRow).where(UserRow.username == username, UserRow.active.is_(True)))
    if user is not None and user.locked_until is not None and as_utc(user.locked_until) > utcnow():
        raise LoginFailed(locked=True)
    try:
        _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        if user is not None:
            user.failed_logins = (user.failed_logins or 0) + 1
            if user.failed_logins >= max_failures:
                user.locked_until, user.failed_logins = utcnow() + dt.timedelta(minutes=lock_minutes), 0
        raise LoginFailed() from None
    user.failed_logins, user.locked_until = 0, None
    return user


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_token(
    *, session: Session, user: UserRow, lifetime: dt.timedelta = TOKEN_LIFETIME, idle: dt.timedelta = TOKEN_IDLE
) -> tuple[str, int]:
    """A new token; returns (token, seconds until its hard end). Unused for ``idle`` it ends sooner."""
    token, now = secrets.token_urlsafe(32), utcnow()
    idle = min(idle, lifetime)
    session.add(
        TokenRow(
            token_sha256=_digest(token),
            user_pk=user.pk,
            expires_at=now + lifetime,
            idle_until=now + idle,
            idle_seconds=int(idle.total_seconds()),
        )
    )
    session.execute(delete(TokenRow).where(TokenRow.expires_at < now))
    return token, int(lifetime.total_seconds())


def get_by_token(*, session: Session, token: str) -> UserRow | None:
    """The active user a live token belongs to; a use renews the idle window (written at most
    once per half window, so reads do not turn every request into a write)."""
    row = session.get(TokenRow, _digest(token))
    if row is None:
        return None
    now = utcnow()
    expires = as_utc(row.expires_at)
    if expires < now or (row.idle_until is not None and as_utc(row.idle_until) < now):
        return None
    user = session.get(UserRow, row.user_pk)
    if user is None or not user.active:
        return None
    if row.idle_seconds and row.idle_until is not None:
        window = dt.timedelta(seconds=row.idle_seconds)
        if as_utc(row.idle_until) - now < window / 2:
            # in a short transaction of its own, like a rate-limit hit: left pending in the
            # request's session it would hold SQLite's one write lock for the whole request
            with session.get_bind().connect() as conn:
                conn.execute(
                    update(TokenRow).where(TokenRow.token_sha256 == row.token_sha256).values(idle_until=min(now + window, expires))
                )
                conn.commit()
    return user


def revoke_token(*, session: Session, token: str) -> None:
    """Log out: the token stops working at once."""
    session.execute(delete(TokenRow).where(TokenRow.token_sha256 == _digest(token)))


def revoke_all(*, session: Session, user: UserRow) -> int:
    """End every session of this user (API tokens and page cookies alike); returns how many."""
    count = session.scalar(select(func.count()).select_from(TokenRow).where(TokenRow.user_pk == user.pk)) or 0
    session.execute(delete(TokenRow).where(TokenRow.user_pk == user.pk))
    return int(count)


class PasswordChangeRefused(ValueError):
    """The current password is wrong, or the new one is not acceptable."""


def change_password(*, session: Session, user: UserRow, current_password: str, new_password: str) -> int:
    """Set a new password after checking the current one; every session of the user ends.
    Returns the number of sessions ended. Raises ``PasswordChangeRefused``."""
    try:
        _hasher.verify(user.password_hash, current_password)
    except (VerificationError, InvalidHashError):
        raise PasswordChangeRefused("the current password is wrong") from None
    set_password(user=user, new_password=new_password)
    return revoke_all(session=session, user=user)


def set_password(*, user: UserRow, new_password: str) -> None:
    """Replace the password hash (no check of the old one: for operators and the flow above)."""
    if len(new_password) < MIN_PASSWORD_LENGTH or len(new_password) > 200:
        raise PasswordChangeRefused(f"the new password must be {MIN_PASSWORD_LENGTH} to 200 characters long")
    if _same(user, new_password):
        raise PasswordChangeRefused("the new password must differ from the current one")
    user.password_hash = _hasher.hash(new_password)
    user.failed_logins, user.locked_until = 0, None


def _same(user: UserRow, password: str) -> bool:
    try:
        return _hasher.verify(user.password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def set_active(*, session: Session, user: UserRow, active: bool) -> int:
    """Deactivate (every session ends, no new login) or reactivate a user; returns sessions ended."""
    user.active = active
    return 0 if active else revoke_all(session=session, user=user)


def get_by_username(*, session: Session, username: str) -> UserRow | None:
    return session.scalar(select(UserRow).where(UserRow.username == username))
