"""The audit trail for admin, national and state users (filtered), with the chain check."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

from search_api import DbSession, read_trail, verify_chain
from ui.web import Page

router = APIRouter(prefix="/ui/audit")


@router.get("", response_class=HTMLResponse)
def audit_page(page: Page, session: DbSession, username: str = "", action: str = "", target: str = "") -> HTMLResponse:
    entries = read_trail(
        session=session,
        user=page.user,
        username=username[:64] or None,
        action=action[:32] or None,
        target=target[:100] or None,
        limit=200,
        source=page.source,
    )
    chain = verify_chain(session=session, user=page.user)
    return page.render("audit/index.html", entries=entries, chain=chain, filters={"username": username, "action": action, "target": target})
