"""Review work spanning the queue and the registers: listing, showing and deciding pairs."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.orm import Session

from indexer import StoredRecord, get_records_by_keys
from search_api.audit.service import Actor, append
from search_api.policy import PermissionDenied, authorize, covers, limited_explanation, may, may_decide, review_area, sees_pair
from search_api.records.flows import index_pending
from search_api.records.service import view_for
from search_api.resources import Resources
from search_api.review import duplicates, service
from search_api.review.models import DuplicateFlagRow, ReviewPairRow
from search_api.review.schemas import DecisionRead, PairEvidence, ReviewPairRead
from search_api.users.models import UserRow

STATUS_ON_CONFIRM = {"missing": "traced", "found": "restored"}


class StatusUpdateFailed(RuntimeError):
    pass


@dataclass(frozen=True)
class ListedPair:
    """A pair as a listing shows it to one user: each child in full only where the user's
    jurisdiction covers that side, the explanation's values only if it covers both."""

    pair: ReviewPairRow
    missing: dict  # full or limited view; {} if the record is gone
    found: dict
    explanation: dict

    @property
    def access(self) -> str:
        return "full" if self.missing.get("access") == self.found.get("access") == "full" else "limited"


def _listed(user: UserRow, pair: ReviewPairRow, missing: StoredRecord | None, found: StoredRecord | None) -> ListedPair:
    views = [view_for(user, s) if s is not None else {} for s in (missing, found)]
    both = all(v.get("access") == "full" for v in views)
    return ListedPair(pair, views[0], views[1], pair.explanation if both else limited_explanation(pair.explanation or {}))


def list_queue_for(
    *, session: Session, user: UserRow, status: str = "pending", district: str | None = None, min_score: float | None = None,
    limit: int = 50, offset: int = 0, source: str = "", order: str = "score",
) -> list[ListedPair]:  # fmt: skip
    """The queue within the user's jurisdiction ((state, district), state or national), each
    child limited unless the user's jurisdiction covers that side; the listing is audited.
    ``order``: best first (score) or least sure first (active learning)."""
    authorize(user, "review_list")
    rows = service.list_queue(
        session=session, status=status, district=district, min_score=min_score, limit=limit, offset=offset, area=review_area(user),
        order=order,
    )  # fmt: skip
    records = get_records_by_keys(session=session, keys=[k for r in rows for k in (r.missing_key, r.found_key)])
    listed = [_listed(user, r, records.get(r.missing_key), records.get(r.found_key)) for r in rows]
    append(session=session, actor=Actor.of(user, source), action="review_list", targets=[f"pair:{r.pk}" for r in rows],
           detail={"results": len(rows), "status": status, "limited": sum(item.access == "limited" for item in listed)})  # fmt: skip
    return listed


def pair_read_for(*, session: Session, user: UserRow, pair: ReviewPairRow) -> ListedPair:
    """One pair as ``list_queue_for`` shows it (e.g. to whoever just sent it for review)."""
    missing, found = _pair_records(session, pair)
    return _listed(user, pair, missing, found)


def count_open_for(*, session: Session, user: UserRow) -> int:
    return service.count_open(session=session, area=review_area(user)) if may(user, "review_list") else 0


def _pair_records(session: Session, pair: ReviewPairRow):  # type: ignore[no-untyped-def]
    records = get_records_by_keys(session=session, keys=[pair.missing_key, pair.found_key])
    return records.get(pair.missing_key), records.get(pair.found_key)


def pair_evidence(*, session: Session, pair: ReviewPairRow, user: UserRow, source: str = "") -> PairEvidence:
    """Both children in full, the explanation and every decision so far.

    Opens to whoever has either child in their jurisdiction; a record outside it is shown in
    full only here, and the audit entry says which.
    """
    authorize(user, "read_record")
    missing, found = _pair_records(session, pair)
    if not sees_pair(user, missing.record if missing else None, found.record if found else None):
        raise PermissionDenied(f"review pair {pair.pk} involves none of the records in your jurisdiction")
    opened = [s.key for s in (missing, found) if s is not None and not covers(user, s.record)]
    targets = [f"pair:{pair.pk}", pair.missing_key, pair.found_key]
    append(session=session, actor=Actor.of(user, source), action="pair_view", targets=targets, detail={"opened_through_pair": opened})
    decisions = [DecisionRead.model_validate(d) for d in service.decisions_of(session=session, pair_pk=pair.pk)]
    return PairEvidence(
        pair=ReviewPairRead.model_validate(pair),
        missing=missing.record.model_dump(mode="json") if missing else {},
        found=found.record.model_dump(mode="json") if found else {},
        decisions=decisions,
    )


def decide_pair(
    *, res: Resources, session: Session, pair_pk: int, decision: str, note: str, user: UserRow, source: str = ""
) -> ReviewPairRow:
    """confirm / reject / need_info with a note, by the DCPU or CWC of either child's district.
    Confirming traces the missing report and restores the found child (through the ingest
    path, so the indexes follow). ``reopen`` undoes a decision (``review.reopen``)."""
    if decision == "reopen":
        from search_api.review.reopen import reopen_pair

        return reopen_pair(res=res, session=session, pair_pk=pair_pk, reason=note, user=user, source=source)
    authorize(user, "review_decide")
    pair = service.get_or_raise(session=session, pair_pk=pair_pk)
    missing, found = _pair_records(session, pair)
    if not may_decide(user, missing.record if missing else None, found.record if found else None):
        raise PermissionDenied(f"review pair {pair.pk} belongs to the DCPU/CWC of another district")
    service.decide(session=session, pair=pair, decision=decision, note=note, user=user)
    append(session=session, actor=Actor.of(user, source), action="review_decision",
           targets=[f"pair:{pair.pk}", pair.missing_key, pair.found_key], detail={"decision": decision})  # fmt: skip
    ingestor = res.ingestor()
    if decision == "confirm":
        # the statuses change in the decision's own transaction: both or neither survive a crash
        updated = [
            {**stored.record.model_dump(mode="json"), "status": STATUS_ON_CONFIRM[stored.record.kind]}
            for stored in (missing, found)
            if stored is not None
        ]
        report = ingestor.stage_records(updated, session=session, source="review", strict=True)  # stored records, already valid
        if not report.ok:
            raise StatusUpdateFailed(f"status update failed: {report.rejected}")
        if missing is not None and found is not None:
            from search_api.restoration.flows import on_confirmed

            # the restoration case opens in the decision's transaction too
            on_confirmed(session=session, settings=res.settings, pair=pair, missing=missing.record, found=found.record, user=user,
                         source=source)  # fmt: skip
        from search_api.citizen.flows import withdraw_when_closed

        # a public notice of the child comes down in the same transaction: traced is traced now
        withdraw_when_closed(session=session, actor=Actor.of(user, source), record_keys=[pair.missing_key],
                             reason=f"traced: review pair {pair.pk} confirmed")  # fmt: skip
    session.commit()
    if decision == "confirm":
        index_pending(res)  # the text index follows the store; pending until then
        session.expire_all()
    return pair


@dataclass(frozen=True)
class ListedDuplicate:
    """A duplicate flag as a listing shows it: like ``ListedPair``, per side."""

    flag: DuplicateFlagRow
    a: dict
    b: dict
    explanation: dict


def list_duplicates_for(
    *, session: Session, user: UserRow, status: str = "pending", limit: int = 50, offset: int = 0, source: str = ""
) -> list[ListedDuplicate]:
    """Possible duplicates within the user's jurisdiction, limited per side; audited."""
    authorize(user, "review_list")
    rows = duplicates.list_flags(session=session, status=status, area=review_area(user), limit=limit, offset=offset)
    records = get_records_by_keys(session=session, keys=[k for r in rows for k in (r.key_a, r.key_b)])
    listed = []
    for row in rows:
        views = [view_for(user, s) if (s := records.get(k)) is not None else {} for k in (row.key_a, row.key_b)]
        both = all(v.get("access") == "full" for v in views)
        listed.append(ListedDuplicate(row, views[0], views[1], row.explanation if both else limited_explanation(row.explanation or {})))
    append(session=session, actor=Actor.of(user, source), action="duplicate_list", targets=[f"duplicate:{r.pk}" for r in rows],
           detail={"results": len(rows), "status": status})  # fmt: skip
    return listed


def decide_duplicate(*, session: Session, flag_pk: int, decision: str, note: str, user: UserRow, source: str = ""):  # type: ignore[no-untyped-def]
    """Same child / different children, by the DCPU or CWC of either record's district."""
    authorize(user, "review_decide")
    row = duplicates.get_or_raise(session=session, flag_pk=flag_pk)
    records = get_records_by_keys(session=session, keys=[row.key_a, row.key_b])
    a, b = records.get(row.key_a), records.get(row.key_b)
    if not may_decide(user, a.record if a else None, b.record if b else None):
        raise PermissionDenied(f"duplicate flag {flag_pk} belongs to the DCPU/CWC of another district")
    duplicates.decide(session=session, row=row, decision=decision, note=note, username=user.username)
    append(session=session, actor=Actor.of(user, source), action="duplicate_decision",
           targets=[f"duplicate:{row.pk}", row.key_a, row.key_b], detail={"decision": decision})  # fmt: skip
    return row
