"""Logging in: rate limits, lock-out, token, audit — the same for the API and the pages."""

from __future__ import annotations

from sqlalchemy.orm import Session

from search_api.audit.service import Actor, append
from search_api.policy import PermissionDenied, authorize
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


def log_out_everywhere(*, session: Session, user: UserRow, source: str) -> int:
    """End every session of this user (all devices, API and pages); returns how many."""
    ended = service.revoke_all(session=session, user=user)
    append(
        session=session, actor=Actor.of(user, source), action="logout_all", targets=[f"user:{user.username}"], detail={"sessions": ended}
    )
    return ended


def change_password(
    *, res: Resources, session: Session, user: UserRow, current_password: str, new_password: str, source: str
) -> tuple[str, int]:
    """New password; every session ends, and a fresh token is returned for the one asking.

    A wrong current password counts as a failed login (rate limit, lock-out) and is committed
    here, like ``log_in``'s, before the caller's error answer rolls the request back.
    """
    res.limit("login").hit(user.username.casefold())
    try:
        ended = service.change_password(session=session, user=user, current_password=current_password, new_password=new_password)
    except service.PasswordChangeRefused:
        append(session=session, actor=Actor.of(user, source), action="password_change", targets=[f"user:{user.username}"], outcome="failed")
        session.commit()
        raise
    append(session=session, actor=Actor.of(user, source), action="password_change", targets=[f"user:{user.username}"],
           detail={"sessions": ended})  # fmt: skip
    return service.issue_token(session=session, user=user)


def set_active(*, session: Session, admin: UserRow | None, username: str, active: bool, source: str) -> int:
    """Deactivate (or reactivate) a user; a deactivated user's sessions end at once. ``admin``
    is None for an operator at the console (``trackchild user deactivate``). Returns sessions ended."""
    if admin is not None:
        authorize(admin, "manage_users")
    user = service.get_by_username(session=session, username=username)
    if user is None:
        raise UserNotFound(f"no user {username!r}")
    if admin is not None and admin.pk == user.pk and not active:
        raise PermissionDenied("an admin cannot deactivate their own account")
    ended = service.set_active(session=session, user=user, active=active)
    actor = Actor.of(admin, source) if admin is not None else operator_actor()
    append(session=session, actor=actor, action="user_activate" if active else "user_deactivate", targets=[f"user:{username}"],
           detail={"sessions": ended})  # fmt: skip
    return ended


def end_sessions(*, session: Session, admin: UserRow | None, username: str, source: str) -> int:
    """An admin (or the console operator) ends every session of a user, e.g. a lost phone."""
    if admin is not None:
        authorize(admin, "manage_users")
    user = service.get_by_username(session=session, username=username)
    if user is None:
        raise UserNotFound(f"no user {username!r}")
    ended = service.revoke_all(session=session, user=user)
    actor = Actor.of(admin, source) if admin is not None else operator_actor()
    append(session=session, actor=actor, action="logout_all", targets=[f"user:{username}"], detail={"sessions": ended})
    return ended


class UserNotFound(LookupError):
    pass


def operator_actor() -> Actor:
    """Someone at the server's console (``cli:<os user>``)."""
    import getpass

    return Actor(f"cli:{getpass.getuser()}"[:64], "operator", "cli")
