"""Logging in: rate limits, lock-out, token, audit — the same for the API and the pages."""

from __future__ import annotations

from sqlalchemy.orm import Session

from search_api.audit.service import Actor, append
from search_api.resources import Resources
from search_api.users import service
from search_api.users.models import UserRow


def log_in(*, res: Resources, session: Session, username: str, password: str, source: str) -> tuple[UserRow, str, int]:
    """(user, token, lifetime seconds); raises ``LoginFailed`` or ``RateLimited``.

    Failed attempts are committed here, before the caller turns them into an error answer
    (which rolls the request back): the count and the audit entry must survive.
    """
    username = username.strip()[:64]
    res.limit("login").hit(username.casefold())
    if source:
        res.limit("login_address").hit(source)
    try:
        user = service.authenticate(
            session=session,
            username=username,
            password=password,
            max_failures=res.settings.lockout_failures,
            lock_minutes=res.settings.lockout_minutes,
        )
    except service.LoginFailed as failure:
        append(session=session, actor=Actor(username, "", source), action="login", outcome="locked" if failure.locked else "failed")
        session.commit()
        raise
    token, lifetime = service.issue_token(session=session, user=user)
    append(session=session, actor=Actor.of(user, source), action="login")
    return user, token, lifetime


def log_out(*, session: Session, user: UserRow, token: str, source: str) -> None:
    service.revoke_token(session=session, token=token)
    append(session=session, actor=Actor.of(user, source), action="logout")
