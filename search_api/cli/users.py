"""Users of the service."""

from __future__ import annotations

from typing import Annotated

import typer

from search_api.cli.common import fail, operator_audit, out
from search_api.config import Settings
from search_api.resources import open_resources

app = typer.Typer(help="Users of the service.", no_args_is_help=True)


@app.command("add")
def user_add(
    username: Annotated[str, typer.Argument()],
    role: Annotated[str, typer.Option(help="police, cci, cwc, jjb, dcpu, state, central or admin")],
    state: Annotated[str, typer.Option(help="Required for every role but central and admin")] = "",
    district: Annotated[str, typer.Option(help="Required for police, cci, cwc, jjb and dcpu")] = "",
    unit: Annotated[str, typer.Option(help="Police station or CCI name (shown to others)")] = "",
    unit_code: Annotated[str, typer.Option(help="CCTNS police-station code or CCI registration number (police, cci)")] = "",
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, envvar="TRACKCHILD_NEW_USER_PASSWORD")
    ] = "",
) -> None:
    """Add a user who can log in to the web pages and the API."""
    from pydantic import ValidationError

    from search_api.db import create_service_schema
    from search_api.users import service as users
    from search_api.users.schemas import UserCreate

    try:
        user_in = UserCreate(
            username=username,
            role=role,
            state=state,
            district=district,
            unit=unit,
            unit_code=unit_code,
            password=password,  # type: ignore[arg-type]
        )
    except ValidationError as exc:
        raise fail("; ".join(f"{'.'.join(map(str, e['loc'])) or 'user'}: {e['msg']}" for e in exc.errors())) from exc
    with open_resources(Settings()) as res:
        create_service_schema(res.engine)
        with res.session_factory() as session:
            try:
                users.create(session=session, user_in=user_in)
            except users.UsernameTaken as exc:
                raise fail(str(exc)) from exc
            session.commit()
        operator_audit(res, "user_add", [f"user:{username}"], {"role": role, "state": state, "district": district})
    out.print(f"user {username} added with role {role}")


def _account_change(username: str, change) -> int:  # type: ignore[no-untyped-def]
    """Run one account change as the console operator (audited), in one transaction."""
    from search_api.db import create_service_schema
    from search_api.users.flows import UserNotFound

    with open_resources(Settings()) as res:
        create_service_schema(res.engine)
        with res.session_factory() as session:
            try:
                ended = change(session)
            except UserNotFound as exc:
                raise fail(str(exc)) from exc
            session.commit()
    return ended


@app.command("deactivate")
def user_deactivate(username: Annotated[str, typer.Argument()]) -> None:
    """Deactivate a user: no new login, and every session (API tokens, page cookies) ends now."""
    from search_api.users.flows import set_active

    ended = _account_change(username, lambda s: set_active(session=s, admin=None, username=username, active=False, source="cli"))
    out.print(f"user {username} deactivated; {ended} session(s) ended")


@app.command("activate")
def user_activate(username: Annotated[str, typer.Argument()]) -> None:
    """Let a deactivated user log in again."""
    from search_api.users.flows import set_active

    _account_change(username, lambda s: set_active(session=s, admin=None, username=username, active=True, source="cli"))
    out.print(f"user {username} active again")


@app.command("logout-all")
def user_logout_all(username: Annotated[str, typer.Argument()]) -> None:
    """End every session of a user (a lost phone, a shared computer) without deactivating them."""
    from search_api.users.flows import end_sessions

    ended = _account_change(username, lambda s: end_sessions(session=s, admin=None, username=username, source="cli"))
    out.print(f"{ended} session(s) of {username} ended")


@app.command("set-password")
def user_set_password(
    username: Annotated[str, typer.Argument()],
    password: Annotated[
        str, typer.Option(prompt=True, hide_input=True, confirmation_prompt=True, envvar="TRACKCHILD_NEW_USER_PASSWORD")
    ] = "",
) -> None:
    """Reset a user's password (a forgotten one); every session of theirs ends."""
    from search_api.users.flows import UserNotFound, operator_actor
    from search_api.users.service import PasswordChangeRefused, get_by_username, revoke_all, set_password

    def reset(session) -> int:  # type: ignore[no-untyped-def]
        from search_api.audit.service import append

        user = get_by_username(session=session, username=username)
        if user is None:
            raise UserNotFound(f"no user {username!r}")
        try:
            set_password(user=user, new_password=password)
        except PasswordChangeRefused as exc:
            raise fail(str(exc)) from exc
        ended = revoke_all(session=session, user=user)
        append(session=session, actor=operator_actor(), action="password_reset", targets=[f"user:{username}"], detail={"sessions": ended})
        return ended

    ended = _account_change(username, reset)
    out.print(f"password of {username} reset; {ended} session(s) ended")
