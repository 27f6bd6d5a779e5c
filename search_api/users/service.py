"""Users and tokens. Passwords are argon2id hashes; tokens are random and stored hashed."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from search_api.db import utcnow
from search_api.users.models import TokenRow, UserRow
from search_api.users.schemas import UserCreate

_hasher = PasswordHasher()
TOKEN_LIFETIME = dt.timedelta(hours=8)
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


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo else at.replace(tzinfo=dt.UTC)


def authenticate(*, session: Session, username: str, password: str, max_failures: int = 5, lock_minutes: int = 15) -> UserRow:
    """The user if the password is right; raises ``LoginFailed``.

    After ``max_failures`` wrong passwords in a row the account locks for ``lock_minutes``,
    even against the right password. The caller must commit even on failure (the count).
    """
    user = session.scalar(select(UserRow).where(UserRow.username == username, UserRow.active.is_(True)))
    if user is not None and user.locked_until is not None and _aware(user.locked_until) > utcnow():
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


def issue_token(*, session: Session, user: UserRow) -> tuple[str, int]:
    token = secrets.token_urlsafe(32)
    session.add(TokenRow(token_sha256=_digest(token), user_pk=user.pk, expires_at=utcnow() + TOKEN_LIFETIME))
    session.execute(delete(TokenRow).where(TokenRow.expires_at < utcnow()))
    return token, int(TOKEN_LIFETIME.total_seconds())


def get_by_token(*, session: Session, token: str) -> UserRow | None:
    row = session.get(TokenRow, _digest(token))
    if row is None:
        return None
    expires = row.expires_at if row.expires_at.tzinfo else row.expires_at.replace(tzinfo=dt.UTC)
    if expires < utcnow():
        return None
    user = session.get(UserRow, row.user_pk)
    return user if user and user.active else None


def revoke_token(*, session: Session, token: str) -> None:
    """Log out: the token stops working at once."""
    session.execute(delete(TokenRow).where(TokenRow.token_sha256 == _digest(token)))
