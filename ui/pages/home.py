"""Home: what needs this user's attention."""

from __future__ import annotations

from fastapi import APIRouter
from fastapi.responses import HTMLResponse, RedirectResponse

from indexer import count_records
from search_api import DbSession, count_open_for, list_ccis, list_entered_by, list_pairs_of, list_queue_for, may, view_for
from ui.display import photo_url, summarise_pairs
from ui.web import Page, redirect

router = APIRouter()


@router.get("/", include_in_schema=False)
def root() -> RedirectResponse:
    return redirect("/ui/")


@router.get("/ui/", response_class=HTMLResponse)
def home(page: Page, session: DbSession) -> HTMLResponse:
    user = page.user
    pairs = []
    if may(user, "review_list"):
        pairs = summarise_pairs(pairs=list_queue_for(session=session, user=user, limit=10, source=page.source))
    mine = []
    for stored in list_entered_by(session=session, username=user.username, limit=10):
        open_pairs = [p for p in list_pairs_of(session=session, record_key=stored.key) if p.status in ("pending", "need_info")]
        mine.append((view_for(user, stored), len(open_pairs)))
    # children in care: a CCI's own roll; the CWC's and DCPU's, of their district's CCIs
    ccis = list_ccis(session=session, user=user)[:30] if user.role in ("cci", "cwc", "dcpu", "admin") else []
    return page.render(
        "home/index.html",
        ccis=ccis,
        counts=count_records(session=session),
        open_pairs=count_open_for(session=session, user=user),
        pairs=pairs,
        mine=mine,
        photo_url=photo_url,
    )
