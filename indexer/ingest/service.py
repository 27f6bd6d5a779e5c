"""Ingestion: validate rows, write the store, then the index.

Order and crash safety: a batch is committed to the store first with its records marked
"pending index"; the index is written and committed next; only then are the records
marked indexed. A crash at any point leaves the store whole and at worst some records
pending, which the next ingest (or ``reindex``) indexes. Re-importing a file is
idempotent: records are keyed by (kind, id) and unchanged records are not rewritten.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import gc
import json
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from sqlalchemy.orm import Session, sessionmaker

from indexer.errors import PhotoRejected, TextIndexError
from indexer.ingest.readers import RawRow, read_rows
from indexer.ingest.tidy import read_fields
from indexer.places import canonical_names
from indexer.records import FoundChild, MissingReport, parse_record
from indexer.search.base import TextIndex
from indexer.search.documents import build_document
from indexer.store import (
    PhotoStore,
    RecordWrite,
    UpsertOutcome,
    archived_pending_index,
    get_records_by_keys,
    iter_records,
    mark_all_unindexed,
    mark_archived_dropped,
    mark_indexed,
    mark_unindexed_since,
    prepare_write,
    upsert_writes,
)
from indexer.store.models import utcnow

ChildRecord = MissingReport | FoundChild
Progress = Callable[[int], None]


@dataclass(frozen=True)
class RowProblem:
    """A rejected row's error or a kept row's warning, naming line, record, field and the value seen."""

    line: int
    record_id: str | None
    field: str | None
    message: str
    value: str | None = None  # the value as given, shortened

    def __str__(self) -> str:
        where = f"line {self.line}"
        if self.record_id:
            where += f", id {self.record_id}"
        if self.field:
            where += f", field {self.field}"
        seen = f" (value seen: {self.value})" if self.value is not None else ""
        return f"{where}: {self.message}{seen}"

    def to_json(self) -> dict:
        return {"line": self.line, "id": self.record_id, "field": self.field, "value": self.value, "message": self.message}


@dataclass
class IngestReport:
    """What an ingest did. ``ok`` is False when any row was rejected."""

    source: str
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    indexed: int = 0
    rejected: list[RowProblem] = field(default_factory=list)
    warnings: list[RowProblem] = field(default_factory=list)
    rejected_file: Path | None = None
    warnings_file: Path | None = None
    seconds: float = 0.0
    changed: list[str] = field(default_factory=list)  # keys of created or updated records
    # what the store kept over the file: closed statuses (a decision is not undone by an
    # import) and archived children (not revived)
    kept: list[RowProblem] = field(default_factory=list)

    @property
    def rejected_rows(self) -> int:
        return len({p.line for p in self.rejected})

    @property
    def ok(self) -> bool:
        return not self.rejected

    @property
    def changed_keys(self) -> int:
        return self.created + self.updated

    def to_json(self) -> dict:
        return {
            "source": self.source,
            "rows": self.rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "indexed": self.indexed,
            "rejected_rows": self.rejected_rows,
            "rejected": [str(p) for p in self.rejected[:100]],
            "warnings": [str(p) for p in self.warnings[:100]],
            "warning_count": len(self.warnings),
            "kept_rows": len(self.kept),
            "kept": [str(p) for p in self.kept[:100]],
            "rejected_file": str(self.rejected_file) if self.rejected_file else None,
            "warnings_file": str(self.warnings_file) if self.warnings_file else None,
            "seconds": round(self.seconds, 3),
        }


def _field_path(loc: tuple) -> str:
    """pydantic loc → ``place.lat`` / ``aliases[2]``; the union tag is dropped."""
    parts: list[str] = []
    for item in loc:
        if item in ("missing", "found") and not parts:
            continue  # discriminated-union branch name
        if isinstance(item, int):
            parts.append(f"[{item}]") if parts else parts.append(str(item))
        else:
            parts.append(("." if parts else "") + str(item))
    return "".join(parts) or "record"


def _shown(value: Any) -> str:
    """A value as seen in the file, short enough for a console line."""
    if isinstance(value, str):
        return repr(value[:60] + "…") if len(value) > 60 else repr(value)
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text[:60] + "…" if len(text) > 60 else text


# Without these a row is not a record: it is rejected, never loaded half-known.
_IDENTITY_FIELDS = ("id", "kind")
_MAX_CLEARING_ROUNDS = 20


def _error_path(error: dict) -> tuple:
    loc = tuple(error["loc"])
    return loc[1:] if loc and loc[0] in ("missing", "found") else loc


def _clear(data: dict[str, Any], path: tuple) -> Any:
    """Remove the value at ``path`` (a list item, a nested key, a field); returns what was there."""
    if path == ("place",) and isinstance(data.get("place"), dict):
        place = dict(data["place"])  # the only model-level rule: lat and lon go together
        seen = {k: place.pop(k) for k in ("lat", "lon") if k in place}
        data["place"] = place
        return seen
    target: Any = data
    for step in path[:-1]:
        if isinstance(target, dict) and step in target and isinstance(target[step], (dict, list)):
            target[step] = copy = (dict if isinstance(target[step], dict) else list)(target[step])
            target = copy
        else:
            return data.pop(path[0], None)
    last = path[-1]
    if isinstance(target, dict):
        return target.pop(last, None)
    if isinstance(target, list) and isinstance(last, int) and last < len(target):
        return target.pop(last)
    return data.pop(path[0], None)


def _parse_leniently(
    row: RawRow, data: dict[str, Any], warnings: list[RowProblem], cleared_fields: set[str]
) -> tuple[ChildRecord | None, list[RowProblem]]:
    """Parse; each bad field is cleared with a warning until the record parses. Only a row
    without a usable id or kind is rejected."""
    record_id = str(data["id"]) if isinstance(data.get("id"), (str, int)) and not isinstance(data.get("id"), bool) else None
    for _ in range(_MAX_CLEARING_ROUNDS):
        try:
            return parse_record(data), []
        except ValidationError as exc:
            errors = exc.errors()
        fatal = [e for e in errors if not _error_path(e) or _error_path(e)[0] in _IDENTITY_FIELDS]
        if fatal:
            return None, [RowProblem(row.line, record_id, _field_path(tuple(e["loc"])), e["msg"]) for e in fatal]
        cleared: set[tuple] = set()
        # deepest and last list items first, so that clearing one does not shift another
        for error in sorted(errors, key=lambda e: [str(p).zfill(6) for p in _error_path(e)], reverse=True):
            path = _error_path(error)
            if any(path[: len(done)] == done for done in cleared):
                continue
            seen = _clear(data, path)
            cleared.add(path)
            if len(path) == 1 and error["type"] != "extra_forbidden":
                cleared_fields.add(str(path[0]))
            what = "unknown field; dropped" if error["type"] == "extra_forbidden" else f"{error['msg']}; cleared"
            warnings.append(RowProblem(row.line, record_id, _field_path(tuple(error["loc"])), what, _shown(seen)))
    return None, [RowProblem(row.line, record_id, None, "too many bad fields to read this row")]


def validate_row(
    row: RawRow, *, today: dt.date | None = None, strict: bool = False, cleared: set[str] | None = None
) -> tuple[ChildRecord | None, list[RowProblem], list[RowProblem]]:
    """Validate one raw row. Returns (record or None, errors, warnings).

    By default a row is rejected only when it cannot be a record (unreadable, no ``kind``,
    no usable ``id``): fields are read as registers write them (``indexer.ingest.tidy``)
    and any field still bad is cleared, with a warning naming line, id, field and value.
    ``strict`` rejects a row for any bad field, and reads fields only in the record's own form.
    ``cleared``, if given, receives the names of the top-level fields that were cleared.
    """
    row = row.parsed()
    if row.data is None:
        return None, [RowProblem(row.line, None, None, row.error or "unreadable row")], []
    today = today or dt.date.today()
    warnings: list[RowProblem] = []
    if strict:
        try:
            record = parse_record(row.data)
        except ValidationError as exc:
            errors = [RowProblem(row.line, row.record_id, _field_path(tuple(e["loc"])), e["msg"]) for e in exc.errors()]
            return None, errors, []
        state, district = canonical_names(record.place.state, record.place.district)  # names, not validation: both modes
        if (state, district) != (record.place.state, record.place.district):
            record = record.model_copy(update={"place": record.place.model_copy(update={"state": state, "district": district})})
    else:
        data, notes = read_fields(row.data, today=today)
        record_id = str(data["id"]) if isinstance(data.get("id"), (str, int)) else row.record_id
        warnings.extend(RowProblem(row.line, record_id, n.field, n.message, _shown(n.value)) for n in notes)
        parsed, errors = _parse_leniently(row, data, warnings, cleared if cleared is not None else set())
        if parsed is None:
            return None, errors, []
        record = parsed
    if record.date and record.date > today + dt.timedelta(days=1):
        warnings.append(RowProblem(row.line, record.id, "date", f"{record.date} is in the future; kept as given"))
    if record.kind == "missing" and record.age is not None and record.age >= 18:
        warnings.append(RowProblem(row.line, record.id, "age", f"{record.age} is not a child's age; kept as given"))
    return record, [], warnings


UPLOADS_ONLY = "photos arrive as uploads (POST /records/{kind}/{id}/photos), never as paths; this photo was not kept"


def _store_photos(
    record: ChildRecord, *, photos_root: Path | None, photo_store: PhotoStore, line: int
) -> tuple[ChildRecord, list[str], list[RowProblem]]:
    """Copy a record's photos into the store; the record then names store paths.

    A photo that cannot be taken is cleared with a warning naming line, id and field; the
    record itself is kept (never lose a child). Paths must resolve inside ``photos_root``
    (the import file's folder unless the operator names another); with no root (records
    from the API) only photos already in the store are accepted, and the messages say
    nothing about the server's files.
    """
    if not record.photos:
        return record, [], []
    relpaths: list[str] = []
    hashes: list[str] = []
    problems: list[RowProblem] = []
    root = photos_root.resolve() if photos_root is not None else None
    for i, given in enumerate(record.photos):
        if photo_store.has(given):
            relpaths.append(given)  # already a store path (re-import of our own export, an upload)
            hashes.append(Path(given).stem)
            continue
        if root is None:
            problems.append(RowProblem(line, record.id, f"photos[{i}]", UPLOADS_ONLY))
            continue
        source = Path(given)
        source = (source if source.is_absolute() else root / source).resolve()
        if root not in source.parents:
            problems.append(
                RowProblem(line, record.id, f"photos[{i}]", f"{given!r} is outside the photos folder {root}; not kept (see --photos-root)")
            )
            continue
        try:
            stored = photo_store.put_file(source)
        except PhotoRejected as exc:
            problems.append(RowProblem(line, record.id, f"photos[{i}]", f"{exc}; not kept"))
            continue
        relpaths.append(stored.relpath)
        hashes.append(stored.sha256)
    return record.model_copy(update={"photos": relpaths}), hashes, problems


@dataclass(frozen=True, slots=True)
class PreparedRow:
    """A row after validation and photo copy: ready to write (or rejected, with errors)."""

    line: int
    raw: str  # kept only for rejected rows (the rejected-rows file)
    record_id: str | None
    record: ChildRecord | None
    write: RecordWrite | None
    errors: list[RowProblem]
    warnings: list[RowProblem]
    cleared: frozenset[str] = frozenset()  # fields cleared as unreadable: a stored value is kept for them
    photo_hashes: tuple[str, ...] = ()


def prepare_rows(
    rows: list[RawRow], photos_root: Path | None, photo_store: PhotoStore, today: dt.date, strict: bool = False
) -> list[PreparedRow]:
    """Everything about a chunk of rows that needs neither the store nor the index."""
    out: list[PreparedRow] = []
    for row in rows:
        cleared: set[str] = set()
        record, errors, warnings = validate_row(row, today=today, strict=strict, cleared=cleared)
        hashes: list[str] = []
        if record is not None:
            record, hashes, photo_problems = _store_photos(record, photos_root=photos_root, photo_store=photo_store, line=row.line)
            # an unusable photo loses the photo, not the child (unless strict)
            (errors if strict else warnings).extend(photo_problems)
        if errors or record is None:
            out.append(PreparedRow(row.line, row.raw, row.record_id if row.data else None, None, None, errors, []))
            continue
        out.append(
            PreparedRow(row.line, "", record.id, record, prepare_write(record, hashes), [], warnings, frozenset(cleared), tuple(hashes))
        )
    return out


@contextlib.contextmanager
def _quiet_gc() -> Iterator[None]:
    """Bulk loading allocates millions of short-lived objects and no cycles worth chasing:
    full collections over the name caches cost more than the work, so collect rarely."""
    before = gc.get_threshold()
    gc.set_threshold(100_000, 50, 1000)
    try:
        yield
    finally:
        gc.set_threshold(*before)


class Ingestor:
    """Writes validated records to the store and the text index, in that order.

    Everything runs in this process: a worker-process pipeline was measured slower here,
    because sending prepared rows between processes cost more than preparing them.
    """

    def __init__(
        self,
        *,
        session_factory: sessionmaker[Session],
        index: TextIndex,
        photo_store: PhotoStore,
        batch_size: int = 2000,
        index_commit_every: int = 50_000,
        strict: bool = False,
    ) -> None:
        self.session_factory = session_factory
        self.index = index
        self.photo_store = photo_store
        self.batch_size = batch_size
        self.index_commit_every = index_commit_every
        self.strict = strict  # reject a row for any bad field, instead of clearing the field with a warning
        self._awaiting_commit: list[tuple[str, str, str]] = []

    def _keep_stored_values(self, prepared: list[PreparedRow]) -> list[PreparedRow]:
        """A field cleared because it could not be read keeps the value already stored:
        a bad cell in a re-import never erases what the store knew."""
        keys = [p.write.key for p in prepared if p.cleared and p.write is not None]
        if not keys:
            return prepared
        with self.session_factory() as session:
            stored = get_records_by_keys(session=session, keys=keys)
        out = []
        for item in prepared:
            before = stored.get(item.write.key) if item.cleared and item.write is not None else None
            if before is None or item.record is None:
                out.append(item)
                continue
            fields = type(item.record).model_fields
            update = {f: getattr(before.record, f) for f in item.cleared if f in fields and f != "photos"}
            record = item.record.model_copy(update=update)
            out.append(dataclasses.replace(item, record=record, write=prepare_write(record, list(item.photo_hashes))))
        return out

    def _stage_batch(
        self, session: Session, prepared: list[PreparedRow], report: IngestReport, *, reopen: bool = False,
        expected: dict[str, str] | None = None,
    ) -> dict[str, tuple[ChildRecord, str]]:  # fmt: skip
        """Write a batch into ``session`` (not committed); returns key → (record as stored, content hash) of what changed."""
        prepared = self._keep_stored_values(prepared)
        writes = [p.write for p in prepared if p.write is not None]
        outcomes = upsert_writes(session=session, writes=writes, reopen=reopen, expected=expected)
        changed: dict[str, tuple[ChildRecord, str]] = {}
        for item, result in zip(prepared, outcomes, strict=True):
            record: ChildRecord = item.record  # type: ignore[assignment]
            if result.kept_status is not None:
                record = record.model_copy(update={"status": result.kept_status})
                report.kept.append(
                    RowProblem(item.line, record.id, "status", f"kept {result.kept_status}: a decision is not undone by an import "
                               f"(the row says {item.record.status}; a reviewer reopens a case)")  # type: ignore[union-attr]
                )  # fmt: skip
            if result.outcome is UpsertOutcome.ARCHIVED:
                report.kept.append(RowProblem(item.line, record.id, None, "archived (case closed): kept in the archive, not revived"))
                report.unchanged += 1
                continue
            if result.outcome is UpsertOutcome.CREATED:
                report.created += 1
            elif result.outcome is UpsertOutcome.UPDATED:
                report.updated += 1
            else:
                report.unchanged += 1
                continue
            changed[item.write.key] = (record, result.content_hash)  # type: ignore[union-attr]  # last occurrence of a key wins
        report.changed.extend(changed)
        return changed

    def _write_batch(self, prepared: list[PreparedRow], report: IngestReport, *, reopen: bool = False) -> None:
        with self.session_factory() as session:
            changed = self._stage_batch(session, prepared, report, reopen=reopen)
            session.commit()
        if changed:
            # documents only for what changed: re-importing a register stays cheap
            self.index.upsert([build_document(record) for record, _ in changed.values()])
            self._awaiting_commit.extend((record.kind, record.id, digest) for record, digest in changed.values())
            report.indexed += len(changed)
        if len(self._awaiting_commit) >= self.index_commit_every:
            self.flush()

    def stage_records(
        self, records: Iterable[dict], *, session: Session, source: str = "api", photos_root: Path | None = None, reopen: bool = False,
        expected: dict[str, str] | None = None, strict: bool | None = None,
    ) -> IngestReport:  # fmt: skip
        """Validate records and write them into the caller's ``session`` without committing or
        indexing, so that the caller commits them in one transaction with what belongs to them
        (the audit entry, a review decision). The records stay *pending index* until
        ``sync_pending`` runs after the commit (or the next ingest or ``reindex``, after a crash).

        Args:
            reopen: a reviewer's write may move a closed case back to open.
            expected: record key → the version (content hash) the writer read; raises ``StaleWrite``.
        """
        started = time.perf_counter()
        report = IngestReport(source=source)
        rows = [RawRow(i, json.dumps(r, ensure_ascii=False, default=str), r) for i, r in enumerate(records, start=1)]
        prepared = prepare_rows(rows, photos_root, self.photo_store, dt.date.today(), self.strict if strict is None else strict)
        report.rows = len(prepared)
        good = []
        for item in prepared:
            if item.errors:
                report.rejected.extend(item.errors)
            else:
                report.warnings.extend(item.warnings)
                good.append(item)
        if good and not report.rejected:
            self._stage_batch(session, good, report, reopen=reopen, expected=expected)
        report.seconds = time.perf_counter() - started
        return report

    def flush(self) -> None:
        """Commit the index, then mark what it now holds as indexed in the store."""
        self.index.commit()
        if self._awaiting_commit:
            with self.session_factory() as session:
                mark_indexed(session=session, indexed=self._awaiting_commit)
                session.commit()
            self._awaiting_commit.clear()

    def _chunks(self, rows: Iterable[RawRow]) -> Iterator[list[RawRow]]:
        chunk: list[RawRow] = []
        for row in rows:
            chunk.append(row)
            if len(chunk) >= self.batch_size:
                yield chunk
                chunk = []
        if chunk:
            yield chunk

    def _prepared_chunks(self, rows: Iterable[RawRow], photos_root: Path | None, strict: bool) -> Iterator[list[PreparedRow]]:
        today = dt.date.today()
        for chunk in self._chunks(rows):
            yield prepare_rows(chunk, photos_root, self.photo_store, today, strict)

    def ingest_rows(
        self, rows: Iterable[RawRow], *, source: str, photos_root: Path | None, progress: Progress | None = None,
        strict: bool | None = None, reopen: bool = False,
    ) -> IngestReport:  # fmt: skip
        """Validate and load rows. A row that cannot be a record is reported and skipped; a bad
        field is cleared with a warning (with ``strict``, the row is rejected instead). Closed
        statuses and archived children are kept over the rows (``report.kept``).

        Photo paths resolve inside ``photos_root``; with none, only stored photos are kept.
        """
        strict = self.strict if strict is None else strict
        started = time.perf_counter()
        report = IngestReport(source=source)
        rejected: list[PreparedRow] = []
        pending: list[PreparedRow] = []
        with _quiet_gc():
            for chunk in self._prepared_chunks(rows, photos_root, strict):
                report.rows += len(chunk)
                for item in chunk:
                    if item.errors:
                        report.rejected.extend(item.errors)
                        rejected.append(item)
                    else:
                        report.warnings.extend(item.warnings)
                        pending.append(item)
                if len(pending) >= self.batch_size:
                    self._write_batch(pending, report, reopen=reopen)
                    pending = []
                if progress:
                    progress(len(chunk))
            if pending:
                self._write_batch(pending, report, reopen=reopen)
            self.flush()
        report.indexed += self.sync_pending()
        report.seconds = time.perf_counter() - started
        stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
        if rejected:
            report.rejected_file = self._write_rejected(source, rejected, stamp)
        if report.warnings:
            report.warnings_file = self._write_warnings(source, report.warnings, stamp)
        return report

    def ingest_file(
        self, path: Path, *, photos_root: Path | None = None, progress: Progress | None = None, strict: bool | None = None
    ) -> IngestReport:
        """Ingest a ``.jsonl`` or ``.csv`` file; photo paths are relative to its folder and must
        stay inside it (or inside ``photos_root`` when the operator names one).

        Example:
            >>> report = ingestor.ingest_file(Path("records.jsonl"))  # doctest: +SKIP
            >>> report.created, report.rejected_rows  # doctest: +SKIP
            (26, 0)
        """
        path = Path(path)
        root = photos_root if photos_root is not None else path.resolve().parent
        return self.ingest_rows(read_rows(path), source=str(path), photos_root=root, progress=progress, strict=strict)

    def ingest_records(
        self, records: Iterable[dict], *, source: str = "api", photos_root: Path | None = None, strict: bool | None = None,
        reopen: bool = False,
    ) -> IngestReport:  # fmt: skip
        """Ingest records given as dicts (API, tests); numbered from 1 like lines. Without a
        ``photos_root`` a photo must already be in the store (the API's uploads)."""
        rows = (RawRow(i, json.dumps(r, ensure_ascii=False, default=str), r) for i, r in enumerate(records, start=1))
        return self.ingest_rows(rows, source=source, photos_root=photos_root, strict=strict, reopen=reopen)

    def _write_rejected(self, source: str, rejected: list[PreparedRow], stamp: str) -> Path:
        folder = self.photo_store.data_dir / "rejected"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{Path(source).stem}-{stamp}.jsonl"
        with target.open("w", encoding="utf-8") as handle:
            for item in rejected:
                entry = {
                    "line": item.line,
                    "id": item.record_id,
                    "errors": [{"field": p.field, "message": p.message} for p in item.errors],
                    "raw": item.raw,
                }
                handle.write(json.dumps(entry, ensure_ascii=False) + "\n")
        return target

    def _write_warnings(self, source: str, warnings: list[RowProblem], stamp: str) -> Path:
        """Warnings beside the rejected rows: one JSON line per cleared or re-read field."""
        folder = self.photo_store.data_dir / "rejected"
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / f"{Path(source).stem}-{stamp}.warnings.jsonl"
        with target.open("w", encoding="utf-8") as handle:
            for problem in warnings:
                handle.write(json.dumps(problem.to_json(), ensure_ascii=False) + "\n")
        return target

    # -- repair and rebuild ------------------------------------------------------
    def _index_stored(self, stored: Iterator, progress: Progress | None) -> int:
        count = 0
        docs = []
        marks: list[tuple[str, str, str]] = []
        for item in stored:
            docs.append(build_document(item.record))
            marks.append((item.record.kind, item.record.id, item.content_hash))
            if len(docs) >= self.batch_size:
                self.index.upsert(docs)
                if progress:
                    progress(len(docs))
                count += len(docs)
                docs = []
        if docs:
            self.index.upsert(docs)
            if progress:
                progress(len(docs))
            count += len(docs)
        self.index.commit()
        for start in range(0, len(marks), 10_000):
            with self.session_factory() as session:
                mark_indexed(session=session, indexed=marks[start : start + 10_000])
                session.commit()
        return count

    def sync_pending(self, progress: Progress | None = None) -> int:
        """Index records the store holds but the index may not, and drop archived records it may
        still hold (after a crash, or a write committed before its index update)."""
        with self.session_factory() as session:
            pending = list(iter_records(session=session, only_pending=True))
        count = self._index_stored(iter(pending), progress) if pending else 0
        self.drop_archived()
        return count

    def drop_archived(self) -> int:
        """The archive's outbox: remove archived records from the index, then clear their flag."""
        with self.session_factory() as session:
            keys = archived_pending_index(session=session)
        if keys:
            self.index.delete(keys)
            self.index.commit()
            with self.session_factory() as session:
                mark_archived_dropped(session=session, keys=keys)
                session.commit()
        return len(keys)

    def reindex(self, progress: Progress | None = None) -> int:
        """Rebuild the whole text index from the store.

        Safe while a server runs: the rebuild fills a new generation that readers switch to at
        the commit; records another process wrote meanwhile (into the old generation) become
        pending again afterwards and are indexed now, or by that process's next sync.
        """
        started = utcnow() - dt.timedelta(seconds=2)  # clocks of SQLite timestamps are coarse
        with self.session_factory() as session:
            mark_all_unindexed(session=session)
            session.commit()
        self.index.clear()
        with self.session_factory() as session:
            count = self._index_stored(iter_records(session=session), progress)
        with self.session_factory() as session:
            mark_archived_dropped(session=session)  # a rebuild from the store holds no archived record
            mark_unindexed_since(session=session, since=started)
            session.commit()
        with contextlib.suppress(TextIndexError):  # another process writes the live generation: its next sync does it
            self.sync_pending()
        return count
