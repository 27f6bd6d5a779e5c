"""The review queue and the side-by-side pair page."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, Response

from search_api import (
    CannotReopen,
    ConfirmNeedsReason,
    DbSession,
    ResourcesDep,
    decide_duplicate,
    decide_pair,
    get_pair_or_raise,
    list_duplicates_for,
    list_queue_for,
    pair_evidence,
)
from ui.display import aligned_rows, explanation_rows, photo_url, summarise_duplicates, summarise_pairs
from ui.web import Page, redirect

router = APIRouter(prefix="/ui/review")
QueueStatus = Literal["pending", "need_info", "confirmed", "rejected", "closed"]
QueueOrder = Literal["score", "least_sure"]


@router.get("", response_class=HTMLResponse)
def queue(
    page: Page, session: DbSession, status: QueueStatus = "pending", district: str = "", min_score: float = 0.0, order: QueueOrder = "score"
) -> HTMLResponse:
    rows = list_queue_for(
        session=session, user=page.user, status=status, district=district[:100] or None, min_score=min_score or None, limit=100,
        source=page.source, order=order,
    )  # fmt: skip
    flags = list_duplicates_for(session=session, user=page.user, limit=50, source=page.source)
    return page.render(
        "review/queue.html",
        pairs=summarise_pairs(pairs=rows),
        duplicates=summarise_duplicates(flags=flags),
        status=status,
        district=district,
        min_score=min_score,
        order=order,
        photo_url=photo_url,
    )


def _pair_page(page: Page, session: DbSession, pair_pk: int, *, error: str = "", note: str = "", status_code: int = 200) -> HTMLResponse:
    evidence = pair_evidence(session=session, pair=get_pair_or_raise(session=session, pair_pk=pair_pk), user=page.user, source=page.source)
    return page.render(
        "review/pair.html",
        status_code=status_code,
        ev=evidence,
        rows=aligned_rows(evidence.missing, evidence.found),
        explanation=explanation_rows(evidence.pair.explanation),
        photo_url=photo_url,
        error=error,
        note=note,
    )


@router.get("/{pair_pk}", response_class=HTMLResponse)
def pair_page(pair_pk: int, page: Page, session: DbSession) -> HTMLResponse:
    return _pair_page(page, session, pair_pk)


@router.post("/{pair_pk}/decision", response_class=HTMLResponse)
def decide(
    pair_pk: int,
    page: Page,
    session: DbSession,
    res: ResourcesDep,
    decision: Annotated[Literal["confirm", "reject", "need_info", "reopen"], Form()],
    note: Annotated[str, Form(max_length=4000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    page.check_csrf(csrf)
    try:
        decide_pair(res=res, session=session, pair_pk=pair_pk, decision=decision, note=note, user=page.user, source=page.source)
    except (ConfirmNeedsReason, CannotReopen):
        return _pair_page(page, session, pair_pk, error="note", note=note, status_code=422)
    return redirect(f"/ui/review/{pair_pk}?decided=1")


@router.post("/duplicates/{flag_pk}", response_class=HTMLResponse)
def decide_duplicate_flag(
    flag_pk: int,
    page: Page,
    session: DbSession,
    decision: Annotated[Literal["duplicate", "distinct"], Form()],
    note: Annotated[str, Form(max_length=4000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> Response:
    page.check_csrf(csrf)
    decide_duplicate(session=session, flag_pk=flag_pk, decision=decision, note=note, user=page.user, source=page.source)
    return redirect("/ui/review#duplicates")
