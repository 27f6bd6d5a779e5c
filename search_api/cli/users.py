"""Users of the service."""

from __future__ import annotations

from typing import Annotated

import typer

from search_api.cli.common import fail, out
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
    out.print(f"user {username} added with role {role}")
