"""Exports (PFIF 1.4, CSV) as a given user, and the operator's PFIF import through the normal ingest.

Exports are role-limited exactly like the JSON-lines export (``records.service.export_stored``:
the roles that may export, records in full inside the user's jurisdiction and nothing else)
and audited with the format and the count.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from indexer import Ingestor, IngestReport, RawRow, get_records_by_keys, split_record_key
from search_api.interchange import pfif
from search_api.policy import covers
from search_api.records.service import export_stored
from search_api.review.models import ReviewDecisionRow, ReviewPairRow
from search_api.users.models import UserRow


def _confirmed_pairs(session: Session) -> dict[str, list[tuple[ReviewPairRow, dt.datetime]]]:
    """Record key → its confirmed pairs with the time of the (last) confirmation."""
    stmt = (
        select(ReviewPairRow, ReviewDecisionRow.decided_at)
        .join(ReviewDecisionRow, ReviewDecisionRow.pair_pk == ReviewPairRow.pk)
        .where(ReviewPairRow.status == "confirmed", ReviewDecisionRow.decision == "confirm")
        .order_by(ReviewDecisionRow.pk)
    )
    latest: dict[int, tuple[ReviewPairRow, dt.datetime]] = {}
    for pair, decided_at in session.execute(stmt):
        latest[pair.pk] = (pair, decided_at)
    by_key: dict[str, list[tuple[ReviewPairRow, dt.datetime]]] = defaultdict(list)
    for pair, decided_at in latest.values():
        by_key[pair.missing_key].append((pair, decided_at))
        by_key[pair.found_key].append((pair, decided_at))
    return by_key


def export_pfif(
    *, session: Session, user: UserRow, kind: str | None = None, source: str = "", domain: str = pfif.DEFAULT_DOMAIN,
    extensions: bool = True,
) -> bytes:  # fmt: skip
    """Every record in the user's jurisdiction as a PFIF 1.4 document, each with its status note
    and a note per confirmed match. A match's link names the other child only when the user may
    see that child too. Audited as an export (format ``pfif``).

    Example:
        >>> xml = export_pfif(session=session, user=dcpu_user)  # doctest: +SKIP
    """
    pairs = _confirmed_pairs(session)
    persons = []
    for stored in export_stored(session=session, user=user, kind=kind, source=source, export_format="pfif"):
        record = stored.record
        notes = [pfif.status_note(kind=record.kind, record_id=record.id, status=record.status, when=stored.updated_at, domain=domain)]
        mine = pairs.get(stored.key, [])
        others = get_records_by_keys(session=session, keys=[p.found_key if p.missing_key == stored.key else p.missing_key
                                                            for p, _ in mine]) if mine else {}  # fmt: skip
        for pair, decided_at in mine:
            other_key = pair.found_key if pair.missing_key == stored.key else pair.missing_key
            other_kind, other_id = split_record_key(other_key)
            other = others.get(other_key)
            visible = other is not None and covers(user, other.record)
            notes.append(pfif.confirmed_match_note(kind=record.kind, record_id=record.id, other_kind=other_kind,
                                                   other_id=other_id if visible else None, pair_pk=pair.pk, when=decided_at,
                                                   domain=domain))  # fmt: skip
        data = record.model_dump(mode="json")
        persons.append(pfif.record_to_person(data, updated_at=stored.updated_at, notes=notes, domain=domain, extensions=extensions))
    return pfif.to_bytes(pfif.document(persons))


# ---- CSV ---------------------------------------------------------------------------------------

CSV_COLUMNS = (
    "kind", "id", "status", "name", "aliases", "sex", "age", "age_is_estimate", "date",
    "place.city", "place.district", "place.state", "place.lat", "place.lon", "place.address",
    "father_name", "mother_name", "languages", "height_cm", "complexion", "hair", "marks", "clothing", "description", "photos",
    "police_station", "police_station_code", "fir_number", "reported_by.name", "reported_by.phone", "reported_by.relation",
    "cci_name", "cci_code", "cwc",
)  # fmt: skip
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _cell(value: object) -> str:
    """One CSV cell, as ``trackchild ingest`` reads it back (lists ``;``-separated). A text that a
    spreadsheet would run as a formula is prefixed with ``'`` (numbers and phone numbers are not)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ";".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    if text.startswith(_FORMULA_START) and not _looks_numeric(text):
        return "'" + text
    return text


def _looks_numeric(text: str) -> bool:
    return bool(text) and all(c.isdigit() or c in "+-.() " for c in text) and any(c.isdigit() for c in text)


def _row(record: dict) -> list[str]:
    out = []
    for column in CSV_COLUMNS:
        value: object = record
        for part in column.split("."):
            value = value.get(part) if isinstance(value, dict) else None
        out.append(_cell(value))
    return out


def _csv_line(cells: list[str] | tuple[str, ...]) -> str:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n").writerow(cells)
    return buffer.getvalue()


def export_csv(*, session: Session, user: UserRow, kind: str | None = None, source: str = "") -> list[str]:
    """Every record in the user's jurisdiction as CSV lines (header first) in the columns
    ``trackchild ingest`` reads. Role-limited and audited like the JSON-lines export."""
    lines = [_csv_line(CSV_COLUMNS)]
    for stored in export_stored(session=session, user=user, kind=kind, source=source, export_format="csv"):
        lines.append(_csv_line(_row(stored.record.model_dump(mode="json"))))
    return lines


# ---- import ------------------------------------------------------------------------------------


class PfifRefused(ValueError):
    """The document was refused whole (strict mode and schema errors); ``problems`` list them."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__("the document breaks the PFIF 1.4 schema:\n" + "\n".join(problems[:50]))


@dataclass
class PfifImport:
    """What a PFIF import did: the ingest report (errors name the person and our field), notes
    read, schema errors, and per-person warnings about the mapping."""

    report: IngestReport
    persons: int
    notes: int
    schema_errors: list[str] = field(default_factory=list)
    mapping_warnings: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {"persons": self.persons, "notes": self.notes, "schema_errors": self.schema_errors[:100],
                "mapping_warnings": self.mapping_warnings[:100], "ingest": self.report.to_json()}  # fmt: skip


def import_pfif(
    *, ingestor: Ingestor, data: bytes, source: str, domain: str = pfif.DEFAULT_DOMAIN, default_kind: str = "missing",
    strict: bool = False,
) -> PfifImport:  # fmt: skip
    """Read a PFIF 1.4 document (untrusted: parsed safely) and load its persons through the
    normal ingest path. Persons are numbered as "lines" (the n-th person in the file), and
    every problem names the record id and our field. A schema error refuses the document with
    ``strict``; otherwise it is reported and each person goes through the ingest, which clears a
    bad field with a warning and keeps the child. Photos come only from the photo store (a
    PFIF ``photo_url`` is never fetched; it is kept as text).

    Raises:
        pfif.HostileXml, pfif.PfifError: the document cannot be read safely or is not PFIF.
        PfifRefused: ``strict`` and the document breaks the schema.
    """
    document = pfif.read_document(data, domain=domain, default_kind=default_kind)
    if strict and document.schema_errors:
        raise PfifRefused(document.schema_errors)
    rows = [RawRow(p.position, p.pfif_id, p.data) for p in document.persons]
    report = ingestor.ingest_rows(rows, source=source, photos_root=None, strict=strict)
    warnings = [f"person {p.position} ({p.pfif_id}): {w}" for p in document.persons for w in p.warnings]
    return PfifImport(report=report, persons=len(document.persons), notes=document.notes, schema_errors=document.schema_errors,
                      mapping_warnings=warnings)  # fmt: skip
