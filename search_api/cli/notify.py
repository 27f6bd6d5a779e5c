"""Notifications: run the delivery worker, escalate overdue work, send digests, name nodal officers."""

from __future__ import annotations

import time
from typing import Annotated, Optional

import typer
from sqlalchemy import select

from search_api.cli.common import fail, operator_audit, out
from search_api.config import Settings
from search_api.resources import open_resources

app = typer.Typer(help="Notifications: delivery worker, escalation, digests, nodal officers.", no_args_is_help=True)


@app.command("run")
def notify_run(
    once: Annotated[bool, typer.Option("--once/--loop", help="One pass, or keep running every TRACKCHILD_NOTIFY_INTERVAL_SECONDS")] = True,
    digest: Annotated[bool, typer.Option(help="Also send the daily digests (run it once a day, e.g. from cron)")] = False,
) -> None:
    """Escalate what is overdue, then deliver the outbox (in-app, email, SMS) with retries."""
    from search_api.db import create_service_schema
    from search_api.notifications.flows import Leadership, run_once

    with open_resources(Settings()) as res:
        create_service_schema(res.engine)
        leadership = Leadership.of(res)
        while True:
            if not once and not leadership.holds():  # a looping worker delivers only while no 'serve' worker does
                time.sleep(max(1, res.settings.notify_interval_seconds))
                continue
            done = run_once(res, digest=digest)
            d = done.delivery
            out.print(
                f"escalated {done.escalated_district} to district and {done.escalated_state} to state nodal officers; "
                f"delivered {d.sent}, retrying {d.retried}, failed {d.failed}"
            )
            for error in d.errors[:20]:
                out.print(f"[yellow]{error}[/yellow]")
            if once:
                return
            time.sleep(max(1, res.settings.notify_interval_seconds))


@app.command("nodal")
def notify_nodal(
    username: Annotated[str, typer.Argument()],
    on: Annotated[bool, typer.Option("--on/--off", help="Name or unname the user a nodal officer")] = True,
) -> None:
    """Name a nodal officer (a district user for the district, a state user for the state)."""
    from search_api.db import create_service_schema
    from search_api.notifications import service
    from search_api.users.models import UserRow

    with open_resources(Settings()) as res:
        create_service_schema(res.engine)
        with res.session_factory() as session:
            user = session.scalar(select(UserRow).where(UserRow.username == username))
            if user is None:
                raise fail(f"no user {username!r}")
            service.set_contact(session=session, user=user, nodal=on)
            session.commit()
        operator_audit(res, "nodal_officer", [f"user:{username}"], {"nodal": on})
    out.print(f"{username} is {'now' if on else 'no longer'} a nodal officer")


@app.command("contact")
def notify_contact(
    username: Annotated[str, typer.Argument()],
    email: Annotated[Optional[str], typer.Option()] = None,
    phone: Annotated[Optional[str], typer.Option()] = None,
    sms: Annotated[Optional[bool], typer.Option("--sms/--no-sms")] = None,
    daily_digest: Annotated[Optional[bool], typer.Option("--digest/--no-digest", help="Email once a day instead of at once")] = None,
) -> None:
    """Set a user's email, phone and notification preferences."""
    from pydantic import ValidationError

    from search_api.db import create_service_schema
    from search_api.notifications import service
    from search_api.notifications.schemas import ContactUpdate
    from search_api.users.models import UserRow

    try:
        changes = ContactUpdate(email=email, phone=phone, sms_enabled=sms, daily_digest=daily_digest)
    except ValidationError as exc:
        raise fail("; ".join(f"{e['loc'][0]}: {e['msg']}" for e in exc.errors())) from exc
    with open_resources(Settings()) as res:
        create_service_schema(res.engine)
        with res.session_factory() as session:
            user = session.scalar(select(UserRow).where(UserRow.username == username))
            if user is None:
                raise fail(f"no user {username!r}")
            service.set_contact(session=session, user=user, **changes.model_dump())
            session.commit()
        operator_audit(
            res, "user_contact", [f"user:{username}"], {"fields": sorted(k for k, v in changes.model_dump().items() if v is not None)}
        )
    out.print(f"contact details of {username} saved")
