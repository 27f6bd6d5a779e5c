"""Store services: plain functions over a Session. They never commit; callers do."""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from enum import StrEnum

import orjson
from sqlalchemy import Select, bindparam, delete, func, insert, or_, select, update
from sqlalchemy.orm import Session

from indexer.errors import RecordNotFound, StaleWrite
from indexer.records import FoundChild, MissingReport, RecordKind, parse_record, record_key
from indexer.store.models import ArchivedRecordRow, ChildRecordRow, PhotoRow, utcnow

ChildRecord = MissingReport | FoundChild


class UpsertOutcome(StrEnum):
    CREATED = "created"
    UPDATED = "updated"
    UNCHANGED = "unchanged"
    ARCHIVED = "archived"  # the child was archived: an import does not bring the record back


# Statuses a case starts in; the others (traced, closed, restored, transferred) close it. An
# import never moves a record from a closed status back to an open one: that is a reviewer's act.
OPEN_STATUSES = frozenset({"open", "in_care"})


@dataclass(frozen=True)
class UpsertResult:
    outcome: UpsertOutcome
    content_hash: str
    kept_status: str | None = None  # the stored (closed) status kept over the write's open one


@dataclass(frozen=True)
class StoredRecord:
    """A record as the store holds it, with bookkeeping."""

    record: ChildRecord
    pk: int
    content_hash: str
    created_at: dt.datetime
    updated_at: dt.datetime

    @property
    def key(self) -> str:
        return self.record.key


@dataclass(frozen=True)
class RecordCounts:
    missing: int
    found: int
    pending_index: int

    @property
    def total(self) -> int:
        return self.missing + self.found


def canonical_payload(record: ChildRecord) -> dict:
    return record.model_dump(mode="json")


def content_hash_of(payload: dict) -> str:
    """sha256 of the canonical JSON: equal records hash equal whatever their key order."""
    return hashlib.sha256(orjson.dumps(payload, option=orjson.OPT_SORT_KEYS)).hexdigest()


@dataclass(frozen=True, slots=True)
class RecordWrite:
    """Everything the store needs to write one record; pure data, cheap to send between processes."""

    kind: str
    source_id: str
    values: dict
    content_hash: str
    photos: tuple[tuple[str, str], ...] = ()  # (store path, sha256), in order

    @property
    def key(self) -> str:
        return record_key(self.kind, self.source_id)


def prepare_write(record: ChildRecord, photo_hashes: list[str] | None = None) -> RecordWrite:
    """The row values, canonical payload and content hash of a record (no I/O)."""
    payload = canonical_payload(record)
    digest = content_hash_of(payload)
    values = {
        "kind": record.kind,
        "source_id": record.id,
        "name": record.name[:500],
        "sex": record.sex,
        "age": record.age,
        "date": record.date,
        "state": record.place.state[:100],
        "district": record.place.district[:100],
        "status": record.status,
        "payload": payload,
        "content_hash": digest,
        "indexed_hash": None,
    }
    photos = tuple(zip(record.photos, photo_hashes or [], strict=False))
    return RecordWrite(record.kind, record.id, values, digest, photos)


def insert_for(session: Session):  # type: ignore[no-untyped-def]
    """The session's dialect's ``insert`` (the one with ``on_conflict_do_…``, which SQLite and
    PostgreSQL spell alike)."""
    dialect = session.get_bind().dialect.name
    match dialect:
        case "sqlite":
            from sqlalchemy.dialects.sqlite import insert
        case "postgresql":
            from sqlalchemy.dialects.postgresql import insert
        case _:
            raise NotImplementedError(f"the store supports sqlite and postgresql, not {dialect}")
    return insert


def _upsert_statement(session: Session):  # type: ignore[no-untyped-def]
    """INSERT … ON CONFLICT (kind, source_id) DO UPDATE, in the session's dialect."""
    stmt = insert_for(session)(ChildRecordRow.__table__)  # Core: no ORM bookkeeping per row
    updatable = ["name", "sex", "age", "date", "state", "district", "status", "payload", "content_hash", "indexed_hash", "updated_at"]
    return stmt.on_conflict_do_update(
        index_elements=["kind", "source_id"],
        set_={col: stmt.excluded[col] for col in updatable},
    )


def _existing_hashes(session: Session, keys: Iterable[tuple[str, str]]) -> dict[tuple[str, str], tuple[int, str]]:
    by_kind: dict[str, list[str]] = {}
    for kind, source_id in keys:
        by_kind.setdefault(kind, []).append(source_id)
    found: dict[tuple[str, str], tuple[int, str]] = {}
    for kind, ids in by_kind.items():
        for start in range(0, len(ids), 900):  # stay under SQLite's bound-parameter limit
            chunk = ids[start : start + 900]
            rows = session.execute(
                select(ChildRecordRow.kind, ChildRecordRow.source_id, ChildRecordRow.pk, ChildRecordRow.content_hash).where(
                    ChildRecordRow.kind == kind, ChildRecordRow.source_id.in_(chunk)
                )
            )
            for row in rows:
                found[(row.kind, row.source_id)] = (row.pk, row.content_hash)
    return found


def upsert_records(
    *, session: Session, records: Sequence[ChildRecord], photo_hashes: dict[str, list[str]] | None = None, reopen: bool = False
) -> list[UpsertResult]:
    """Insert new records, update changed ones, leave identical ones untouched.

    Args:
        session: open session; the caller commits.
        records: validated records; photos already stored (their ``photos`` are store paths).
        photo_hashes: record key → sha256 of each photo, in order.

    Returns:
        One result (outcome, content hash) per record, in order. A changed record is
        marked as pending indexing.
    """
    hashes = photo_hashes or {}
    return upsert_writes(session=session, writes=[prepare_write(r, hashes.get(r.key)) for r in records], reopen=reopen)


def _existing_states(session: Session, keys: Iterable[tuple[str, str]], *, lock: bool) -> dict[tuple[str, str], tuple[str, str]]:
    """(kind, source id) → (content hash, status) of stored records; ``lock`` holds the rows
    until commit (PostgreSQL; SQLite's one writer is serialised anyway)."""
    by_kind: dict[str, list[str]] = {}
    for kind, source_id in keys:
        by_kind.setdefault(kind, []).append(source_id)
    found: dict[tuple[str, str], tuple[str, str]] = {}
    for kind, ids in by_kind.items():
        for start in range(0, len(ids), 900):
            stmt = select(ChildRecordRow.kind, ChildRecordRow.source_id, ChildRecordRow.content_hash, ChildRecordRow.status).where(
                ChildRecordRow.kind == kind, ChildRecordRow.source_id.in_(ids[start : start + 900])
            )
            for row in session.execute(stmt.with_for_update() if lock else stmt):
                found[(row.kind, row.source_id)] = (row.content_hash, row.status)
    return found


def _archived_keys(session: Session, keys: Iterable[tuple[str, str]]) -> set[tuple[str, str]]:
    by_kind: dict[str, list[str]] = {}
    for kind, source_id in keys:
        by_kind.setdefault(kind, []).append(source_id)
    found: set[tuple[str, str]] = set()
    for kind, ids in by_kind.items():
        for start in range(0, len(ids), 900):
            rows = session.execute(
                select(ArchivedRecordRow.kind, ArchivedRecordRow.source_id).where(
                    ArchivedRecordRow.kind == kind, ArchivedRecordRow.source_id.in_(ids[start : start + 900])
                )
            )
            found.update((r.kind, r.source_id) for r in rows)
    return found


def _with_status(write: RecordWrite, status: str) -> RecordWrite:
    payload = {**write.values["payload"], "status": status}
    digest = content_hash_of(payload)
    values = {**write.values, "status": status, "payload": payload, "content_hash": digest}
    return RecordWrite(write.kind, write.source_id, values, digest, write.photos)


def upsert_writes(
    *, session: Session, writes: Sequence[RecordWrite], reopen: bool = False, expected: dict[str, str] | None = None
) -> list[UpsertResult]:
    """``upsert_records`` for prepared writes (the bulk ingest path).

    Decisions are not undone by a write: a record in a closed status (traced, restored…) keeps
    it when the write says open (unless ``reopen``: a reviewer reopening the case), and an
    archived child is not revived (outcome ``ARCHIVED``). The result says what was kept.

    Args:
        expected: record key → the content hash the writer read (its version); a record that
            changed since raises ``StaleWrite`` and nothing is written.
    """
    # The last occurrence of a key in one batch wins, as a re-import would.
    latest: dict[tuple[str, str], int] = {(w.kind, w.source_id): i for i, w in enumerate(writes)}
    existing = _existing_states(session, latest.keys(), lock=bool(expected))
    for key, version in (expected or {}).items():
        kind, _, source_id = key.partition(":")
        current = existing.get((kind, source_id))
        if current is None or current[0] != version:
            raise StaleWrite(key, version, current[0] if current else None)
    archived = _archived_keys(session, [k for k in latest if k not in existing])
    now = utcnow()
    outcomes: list[UpsertResult] = []
    to_write: list[dict] = []
    changed: list[RecordWrite] = []
    for i, given in enumerate(writes):
        write = given
        key = (write.kind, write.source_id)
        if key in archived:
            outcomes.append(UpsertResult(UpsertOutcome.ARCHIVED, write.content_hash))
            continue
        prior = existing.get(key)
        kept = None
        if prior is not None and not reopen and prior[1] not in OPEN_STATUSES and write.values["status"] in OPEN_STATUSES:
            kept = prior[1]
            write = _with_status(write, kept)
        if prior is not None and prior[0] == write.content_hash:
            outcomes.append(UpsertResult(UpsertOutcome.UNCHANGED, write.content_hash, kept))
            continue
        outcomes.append(UpsertResult(UpsertOutcome.CREATED if prior is None else UpsertOutcome.UPDATED, write.content_hash, kept))
        if latest[key] == i:
            to_write.append({**write.values, "created_at": now, "updated_at": now})
            changed.append(write)
    if to_write:
        session.execute(_upsert_statement(session), to_write)
    with_photos = [w for w in changed if w.photos or (w.kind, w.source_id) in existing]
    if with_photos:
        _replace_photos(session, with_photos)
    return outcomes


def _replace_photos(session: Session, writes: list[RecordWrite]) -> None:
    pks = {k: v[0] for k, v in _existing_hashes(session, [(w.kind, w.source_id) for w in writes]).items()}
    session.execute(delete(PhotoRow).where(PhotoRow.record_pk.in_(list(pks.values()))))
    rows: list[dict] = []
    now = utcnow()
    for write in writes:
        seen: set[str] = set()
        for position, (relpath, digest) in enumerate(write.photos):
            if digest in seen:
                continue
            seen.add(digest)
            rows.append(
                {
                    "record_pk": pks[(write.kind, write.source_id)],
                    "sha256": digest,
                    "relpath": relpath,
                    "position": position,
                    "created_at": now,
                }
            )
    if rows:
        session.execute(insert(PhotoRow), rows)


def _to_stored(row: ChildRecordRow) -> StoredRecord:
    return StoredRecord(
        record=parse_record(row.payload),
        pk=row.pk,
        content_hash=row.content_hash,
        created_at=row.created_at,
        updated_at=row.updated_at,
    )


def get_record(*, session: Session, kind: RecordKind, record_id: str) -> StoredRecord | None:
    """One record by kind and source id, or None."""
    row = session.scalar(select(ChildRecordRow).where(ChildRecordRow.kind == kind, ChildRecordRow.source_id == record_id))
    return _to_stored(row) if row else None


def get_record_or_raise(*, session: Session, kind: RecordKind, record_id: str) -> StoredRecord:
    """One record by kind and source id; raises ``RecordNotFound``."""
    stored = get_record(session=session, kind=kind, record_id=record_id)
    if stored is None:
        raise RecordNotFound(kind, record_id)
    return stored


def find_records_by_id(*, session: Session, record_id: str) -> list[StoredRecord]:
    """Records of either kind with this source id (ids are unique per kind only)."""
    rows = session.scalars(select(ChildRecordRow).where(ChildRecordRow.source_id == record_id).order_by(ChildRecordRow.kind))
    return [_to_stored(r) for r in rows]


def get_records_by_keys(*, session: Session, keys: Sequence[str]) -> dict[str, StoredRecord]:
    """Records by ``kind:id`` key; absent keys are left out."""
    pairs = []
    for key in keys:
        kind, _, record_id = key.partition(":")
        pairs.append((kind, record_id))
    hits = _existing_hashes(session, pairs)
    if not hits:
        return {}
    rows = session.scalars(select(ChildRecordRow).where(ChildRecordRow.pk.in_([pk for pk, _ in hits.values()])))
    return {record_key(r.kind, r.source_id): _to_stored(r) for r in rows}


def content_hashes(*, session: Session, keys: Sequence[str]) -> dict[str, str]:
    """``kind:id`` → content hash, for checking whether a cached copy is still current."""
    pairs = [(kind, record_id) for kind, _, record_id in (key.partition(":") for key in keys)]
    return {record_key(kind, source_id): digest for (kind, source_id), (_pk, digest) in _existing_hashes(session, pairs).items()}


def _filtered(stmt: Select, *, kind: str | None, status: str | None, state: str | None, district: str | None, sex: str | None) -> Select:
    if kind:
        stmt = stmt.where(ChildRecordRow.kind == kind)
    if status:
        stmt = stmt.where(ChildRecordRow.status == status)
    if state:
        stmt = stmt.where(func.lower(ChildRecordRow.state) == state.lower())
    if district:
        stmt = stmt.where(func.lower(ChildRecordRow.district) == district.lower())
    if sex:
        stmt = stmt.where(or_(ChildRecordRow.sex == sex, ChildRecordRow.sex == ""))
    return stmt


def list_records(
    *,
    session: Session,
    kind: RecordKind | None = None,
    status: str | None = None,
    state: str | None = None,
    district: str | None = None,
    sex: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[StoredRecord]:
    """Records matching the filters, oldest first."""
    stmt = _filtered(select(ChildRecordRow), kind=kind, status=status, state=state, district=district, sex=sex)
    rows = session.scalars(stmt.order_by(ChildRecordRow.pk).limit(limit).offset(offset))
    return [_to_stored(r) for r in rows]


# records the text index does not hold yet, in the words of the partial index ix_child_records_unindexed
PENDING = or_(ChildRecordRow.indexed_hash.is_(None), ChildRecordRow.indexed_hash != ChildRecordRow.content_hash)


def iter_records(
    *, session: Session, batch_size: int = 2000, only_pending: bool = False, kind: RecordKind | None = None
) -> Iterator[StoredRecord]:
    """Every record (of one kind, if given) in insertion order, in batches (keyset pagination, constant memory)."""
    last_pk = 0
    while True:
        stmt = select(ChildRecordRow).where(ChildRecordRow.pk > last_pk)
        if kind:
            stmt = stmt.where(ChildRecordRow.kind == kind)
        if only_pending:
            stmt = stmt.where(PENDING)
        rows = list(session.scalars(stmt.order_by(ChildRecordRow.pk).limit(batch_size)))
        if not rows:
            return
        for row in rows:
            yield _to_stored(row)
        last_pk = rows[-1].pk
        session.expunge_all()  # keep memory flat over a million rows


def mark_indexed(*, session: Session, indexed: Sequence[tuple[str, str, str]]) -> None:
    """Record that the index now holds (kind, source id, content hash)."""
    if not indexed:
        return
    table = ChildRecordRow.__table__
    # Core executemany: one statement, many parameter sets (no ORM identity bookkeeping).
    session.execute(
        update(table)
        .where(table.c.kind == bindparam("k"), table.c.source_id == bindparam("s"), table.c.content_hash == bindparam("h"))
        .values(indexed_hash=bindparam("h")),
        [{"k": k, "s": s, "h": h} for k, s, h in indexed],
    )


def mark_unindexed_since(*, session: Session, since: dt.datetime) -> None:
    """Records written since ``since`` become pending (a rebuild that began then may lack them)."""
    session.execute(update(ChildRecordRow).where(ChildRecordRow.updated_at >= since).values(indexed_hash=None))


def mark_all_unindexed(*, session: Session) -> None:
    """Used before a full rebuild: every record becomes pending."""
    session.execute(update(ChildRecordRow).values(indexed_hash=None))


def count_records(*, session: Session) -> RecordCounts:
    """How many records of each kind, and how many wait for the index."""
    rows = session.execute(select(ChildRecordRow.kind, func.count()).group_by(ChildRecordRow.kind)).all()
    by_kind = {kind: n for kind, n in rows}
    pending = session.scalar(
        select(func.count()).where(or_(ChildRecordRow.indexed_hash.is_(None), ChildRecordRow.indexed_hash != ChildRecordRow.content_hash))
    )
    return RecordCounts(missing=by_kind.get("missing", 0), found=by_kind.get("found", 0), pending_index=pending or 0)


def delete_record(*, session: Session, kind: RecordKind, record_id: str) -> bool:
    """Delete a record and its photo rows; True when something was deleted."""
    result = session.execute(delete(ChildRecordRow).where(ChildRecordRow.kind == kind, ChildRecordRow.source_id == record_id))
    return bool(result.rowcount)


def photo_paths(*, session: Session, kind: RecordKind, record_id: str) -> list[str]:
    """Store paths of a record's photos, in order."""
    stmt = (
        select(PhotoRow.relpath)
        .join(ChildRecordRow, PhotoRow.record_pk == ChildRecordRow.pk)
        .where(ChildRecordRow.kind == kind, ChildRecordRow.source_id == record_id)
        .order_by(PhotoRow.position)
    )
    return list(session.scalars(stmt))


@dataclass(frozen=True)
class StoredPhotoRef:
    """A photo of a record, with what the face index needs to file it."""

    record_key: str
    kind: str
    status: str
    sha256: str
    relpath: str


def iter_photos(*, session: Session) -> Iterator[StoredPhotoRef]:
    """Every photo of every record, in record order."""
    stmt = (
        select(ChildRecordRow.kind, ChildRecordRow.source_id, ChildRecordRow.status, PhotoRow.sha256, PhotoRow.relpath)
        .join(PhotoRow, PhotoRow.record_pk == ChildRecordRow.pk)
        .order_by(ChildRecordRow.pk, PhotoRow.position)
    )
    for kind, source_id, status, sha, relpath in session.execute(stmt):
        yield StoredPhotoRef(record_key(kind, source_id), kind, status, sha, relpath)


def archive_records(*, session: Session, statuses: Sequence[str], updated_before: dt.datetime, limit: int = 10_000) -> list[str]:
    """Move records in ``statuses`` last changed before ``updated_before`` out of the active
    registers into ``archived_records``; returns their keys (the caller drops them from the
    indexes). Their photo files stay in the photo store with the archived payload."""
    rows = list(
        session.scalars(
            select(ChildRecordRow)
            .where(ChildRecordRow.status.in_(list(statuses)), ChildRecordRow.updated_at < updated_before)
            .order_by(ChildRecordRow.pk)
            .limit(limit)
        )
    )
    keys = []
    for row in rows:
        session.execute(delete(ArchivedRecordRow).where(ArchivedRecordRow.kind == row.kind, ArchivedRecordRow.source_id == row.source_id))
        archived = ArchivedRecordRow(kind=row.kind, source_id=row.source_id, status=row.status, payload=row.payload)
        archived.last_updated_at = row.updated_at
        session.add(archived)
        keys.append(record_key(row.kind, row.source_id))
        session.delete(row)  # its photo rows go with it (cascade)
    session.flush()
    return keys


def count_archived(*, session: Session) -> int:
    return int(session.scalar(select(func.count()).select_from(ArchivedRecordRow)) or 0)


def archived_pending_index(*, session: Session, limit: int = 10_000) -> list[str]:
    """Keys of archived records the text index may still hold (the archive's outbox)."""
    rows = session.execute(
        select(ArchivedRecordRow.kind, ArchivedRecordRow.source_id).where(ArchivedRecordRow.index_pending.is_(True)).limit(limit)
    )
    return [record_key(kind, source_id) for kind, source_id in rows]


def mark_archived_dropped(*, session: Session, keys: Sequence[str] | None = None) -> None:
    """The text index no longer holds these archived records (all of them, when ``keys`` is None)."""
    stmt = update(ArchivedRecordRow).values(index_pending=False)
    if keys is None:
        session.execute(stmt)
        return
    for kind, source_id in (key.partition(":")[::2] for key in keys):
        session.execute(stmt.where(ArchivedRecordRow.kind == kind, ArchivedRecordRow.source_id == source_id))


@dataclass(frozen=True)
class RecordPlace:
    """Where and when one child went missing or was found: what maps count (no name, no photo)."""

    key: str
    kind: str
    date: dt.date
    status: str
    state: str
    district: str
    city: str
    address: str
    lat: float | None
    lon: float | None


def iter_record_places(
    *, session: Session, since: dt.date, until: dt.date, states: Sequence[str] | None = None, batch_size: int = 5000
) -> Iterator[RecordPlace]:
    """Active records dated ``since`` ≤ date < ``until`` (stored under one of ``states``, if given),
    their place fields only (keyset pages).

    A record without a date belongs to no period and is left out (``count_undated`` says how many).
    """
    last_pk = 0
    columns = (ChildRecordRow.pk, ChildRecordRow.kind, ChildRecordRow.source_id, ChildRecordRow.date, ChildRecordRow.status,
               ChildRecordRow.state, ChildRecordRow.district, ChildRecordRow.payload)  # fmt: skip
    while True:
        stmt = select(*columns).where(ChildRecordRow.pk > last_pk, ChildRecordRow.date >= since, ChildRecordRow.date < until)
        if states is not None:
            stmt = stmt.where(ChildRecordRow.state.in_(list(states)))
        rows = session.execute(stmt.order_by(ChildRecordRow.pk).limit(batch_size)).all()
        if not rows:
            return
        for pk, kind, source_id, date, status, state, district, payload in rows:
            place = (payload or {}).get("place") or {}
            lat, lon = place.get("lat"), place.get("lon")
            yield RecordPlace(record_key(kind, source_id), kind, date, status, state or "", district or "", place.get("city") or "",
                              place.get("address") or "", lat if lon is not None else None, lon if lat is not None else None)  # fmt: skip
            last_pk = pk


def stored_states(*, session: Session, since: dt.date, until: dt.date) -> list[str]:
    """The state names records dated in [since, until) are stored under, as written ("" included)."""
    stmt = select(ChildRecordRow.state).where(ChildRecordRow.date >= since, ChildRecordRow.date < until).distinct()
    return [state or "" for state in session.scalars(stmt)]


def count_undated(*, session: Session) -> int:
    """Active records with no date (maps cannot put them in a period)."""
    return session.scalar(select(func.count()).select_from(ChildRecordRow).where(ChildRecordRow.date.is_(None))) or 0


def record_dates(*, session: Session, keys: Sequence[str]) -> dict[str, dt.date | None]:
    """``kind:id`` → the record's date (when the child went missing or was found)."""
    wanted: dict[str, list[str]] = {}
    for key in keys:
        kind, _, record_id = key.partition(":")
        wanted.setdefault(kind, []).append(record_id)
    out: dict[str, dt.date | None] = {}
    for kind, ids in wanted.items():
        for start in range(0, len(ids), 500):
            stmt = select(ChildRecordRow.source_id, ChildRecordRow.date).where(
                ChildRecordRow.kind == kind, ChildRecordRow.source_id.in_(ids[start : start + 500])
            )
            out.update({record_key(kind, sid): date for sid, date in session.execute(stmt)})
    return out
