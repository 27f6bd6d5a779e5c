"""Directory entries: validation, upsert by natural key, search, CSV import and export.
Plain functions; they never commit.

An entry belongs to a district, always with its state. The DCPU of that (state, district) and
admin maintain it; every logged-in role reads it. A CSV row is refused only when it cannot be an
entry (no type, name, state or district, or a district that is not the importer's); a bad field
(a coordinate off the map, a capacity that is not a number) is cleared with a warning, and the
row still loads. Every problem names its line and field.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from indexer import resolve_district, resolve_state
from search_api.db import utcnow
from search_api.directory.models import DirectoryEntryRow
from search_api.policy import PermissionDenied, in_district, normal
from search_api.users.models import UserRow

TYPES = ("police_station", "cci", "hospital", "phc", "paediatrician", "cwc_member", "jjb_member", "childline", "dcpu", "saa", "shelter")
COLUMNS = ("type", "name", "code", "address", "phone", "email", "hours", "lat", "lon", "state", "district", "capacity", "registration_no")
REQUIRED = ("type", "name", "state", "district")
TEXT_LIMITS = {"name": 200, "code": 64, "address": 1000, "phone": 60, "email": 200, "hours": 200, "state": 100, "district": 100,
               "registration_no": 64}  # fmt: skip
MAX_ROWS = 20_000
# India's extent (with its islands): a coordinate outside is a typo or swapped lat/lon
LAT_RANGE, LON_RANGE = (6.0, 37.5), (68.0, 97.5)
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
PHONE = re.compile(r"^[0-9+()\-\s/,]{3,60}$")  # several numbers may share the field ("1098, 0612-2200000")
FORMULA = ("=", "+", "-", "@")  # cells a spreadsheet would run: exported with a leading ' (read back without it)


class DirectoryRefused(ValueError):
    """An entry or a file that cannot be taken; says which line and field, and why."""


class EntryNotFound(LookupError):
    pass


@dataclass(frozen=True)
class Problem:
    line: int
    field: str
    message: str

    def __str__(self) -> str:
        return f"line {self.line}, {self.field}: {self.message}"


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    errors: list[Problem] = field(default_factory=list)  # rows refused
    warnings: list[Problem] = field(default_factory=list)  # fields cleared, rows loaded
    keys: list[int] = field(default_factory=list)  # entries written (pks)

    @property
    def ok(self) -> bool:
        return not self.errors


def may_maintain(user: UserRow, state: str, district: str) -> bool:
    """The DCPU of the entry's (state, district), and admin."""
    return user.role == "admin" or (user.role == "dcpu" and in_district(user, state, district))


def canonical_place(state: str, district: str) -> tuple[str, str]:
    """The gazetteer's names when known (Orissa is Odisha, Gurgaon is Gurugram), else as given."""
    state = " ".join((state or "").split())
    district = " ".join((district or "").split())
    state = (resolve_state(state) or state) if state else ""
    place = resolve_district(district, state) if district and state else None
    return state, (place.name if place is not None else district)


def entry_key(state: str, district: str, type_: str, code: str, name: str) -> str:
    return "|".join((normal(state), normal(district), type_, normal(code) or "name:" + normal(name)))[:420]


def _unformula(value: str) -> str:
    return value[1:] if value.startswith("'") and value[1:2] in FORMULA else value


def clean_entry(values: dict[str, str], *, line: int = 0) -> tuple[dict, list[Problem], list[Problem]]:
    """One entry's fields from text: (fields, errors that refuse it, warnings for cleared fields)."""
    errors: list[Problem] = []
    warnings: list[Problem] = []
    text = {name: " ".join(_unformula(str(values.get(name) or "")).split()) for name in COLUMNS}
    text["address"] = _unformula(str(values.get("address") or "")).strip()
    for name in REQUIRED:
        if not text[name]:
            errors.append(Problem(line, name, "required"))
    if text["type"] and text["type"].lower() not in TYPES:
        errors.append(Problem(line, "type", f"{text['type']!r} is not one of {', '.join(TYPES)}"))
    for name, limit in TEXT_LIMITS.items():
        if len(text[name]) > limit:
            if name in REQUIRED:
                errors.append(Problem(line, name, f"longer than {limit} characters"))
            else:
                warnings.append(Problem(line, name, f"longer than {limit} characters: cut"))
                text[name] = text[name][:limit]
    if text["email"] and not EMAIL.match(text["email"]):
        warnings.append(Problem(line, "email", f"{text['email']!r} is not an email address: cleared"))
        text["email"] = ""
    if text["phone"] and not PHONE.match(text["phone"]):
        warnings.append(Problem(line, "phone", f"{text['phone']!r} is not a phone number: cleared"))
        text["phone"] = ""
    coords: dict[str, float | None] = {"lat": None, "lon": None}
    for name, (low, high) in (("lat", LAT_RANGE), ("lon", LON_RANGE)):
        if not text[name]:
            continue
        try:
            number = float(text[name])
        except ValueError:
            warnings.append(Problem(line, name, f"{text[name]!r} is not a number: cleared"))
            continue
        if not low <= number <= high:
            warnings.append(Problem(line, name, f"{number} is outside India ({low} to {high}): cleared"))
            continue
        coords[name] = number
    if (coords["lat"] is None) != (coords["lon"] is None):  # half a position is no position
        missing = "lon" if coords["lon"] is None else "lat"
        if text[missing] == "":
            warnings.append(Problem(line, missing, "lat and lon go together: both cleared"))
        coords = {"lat": None, "lon": None}
    capacity = None
    if text["capacity"]:
        try:
            capacity = int(text["capacity"])
            if capacity < 0:
                raise ValueError
        except ValueError:
            warnings.append(Problem(line, "capacity", f"{text['capacity']!r} is not a whole number of places: cleared"))
            capacity = None
    type_ = text["type"].lower()
    if type_ != "cci" and (capacity is not None or text["registration_no"]):
        field_name = "capacity" if capacity is not None else "registration_no"
        warnings.append(Problem(line, field_name, "capacity and registration number are for CCIs only: cleared"))
        capacity, text["registration_no"] = None, ""
    state, district = canonical_place(text["state"], text["district"])
    fields = {**{k: text[k] for k in ("name", "code", "address", "phone", "email", "hours", "registration_no")},
              "type": type_, "state": state, "district": district, "capacity": capacity, **coords}  # fmt: skip
    return fields, errors, warnings


def upsert(*, session: Session, user: UserRow, fields: dict) -> tuple[DirectoryEntryRow, bool]:
    """Write one clean entry (from ``clean_entry``); returns (row, created)."""
    if not may_maintain(user, fields["state"], fields["district"]):
        raise PermissionDenied(f"entries of {fields['district']}, {fields['state']} are kept by that district's DCPU")
    key = entry_key(fields["state"], fields["district"], fields["type"], fields["code"], fields["name"])
    row = session.scalar(select(DirectoryEntryRow).where(DirectoryEntryRow.entry_key == key))
    created = row is None
    if row is None:
        row = DirectoryEntryRow(entry_key=key)
        session.add(row)
    for name, value in fields.items():
        setattr(row, name, value)
    row.updated_by, row.updated_at = user.username, utcnow()
    session.flush()
    return row, created


def save_entry(*, session: Session, user: UserRow, values: dict[str, str]) -> tuple[DirectoryEntryRow, list[Problem]]:
    """One entry from a form or the API: refused with its errors, else written (warnings returned)."""
    fields, errors, warnings = clean_entry(values)
    if errors:
        raise DirectoryRefused("; ".join(f"{p.field}: {p.message}" for p in errors))
    row, _created = upsert(session=session, user=user, fields=fields)
    return row, warnings


def get_or_raise(*, session: Session, entry_pk: int) -> DirectoryEntryRow:
    row = session.get(DirectoryEntryRow, entry_pk)
    if row is None:
        raise EntryNotFound(f"no directory entry {entry_pk}")
    return row


def delete(*, session: Session, user: UserRow, entry_pk: int) -> DirectoryEntryRow:
    row = get_or_raise(session=session, entry_pk=entry_pk)
    if not may_maintain(user, row.state, row.district):
        raise PermissionDenied(f"entries of {row.district}, {row.state} are kept by that district's DCPU")
    session.delete(row)
    session.flush()
    return row


def search(*, session: Session, state: str = "", district: str = "", type_: str = "", q: str = "", limit: int = 200,
           offset: int = 0) -> list[DirectoryEntryRow]:  # fmt: skip
    """Entries by state, district, type and a word of the name (or code), ordered by place, type, name."""
    if state:
        state, district = canonical_place(state, district)
    elif district.strip():  # a district name unique across India resolves without its state
        place = resolve_district(" ".join(district.split()))
        district = place.name if place is not None else " ".join(district.split())
    query = select(DirectoryEntryRow)
    if state:
        query = query.where(func.lower(DirectoryEntryRow.state) == normal(state))
    if district:
        query = query.where(func.lower(DirectoryEntryRow.district) == normal(district))
    if type_:
        query = query.where(DirectoryEntryRow.type == type_)
    for word in q.split()[:8]:
        like = f"%{word.lower().replace('%', '').replace('_', '')}%"
        query = query.where(or_(func.lower(DirectoryEntryRow.name).like(like), func.lower(DirectoryEntryRow.code).like(like)))
    order = (DirectoryEntryRow.state, DirectoryEntryRow.district, DirectoryEntryRow.type, DirectoryEntryRow.name, DirectoryEntryRow.pk)
    return list(session.scalars(query.order_by(*order).offset(offset).limit(limit)))


def _cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(FORMULA) else text


def export_csv(rows: list[DirectoryEntryRow]) -> str:
    """Entries as CSV in the import's columns (what export writes, import reads back unchanged)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow([_cell(getattr(row, name)) if name not in ("lat", "lon", "capacity") else
                         ("" if getattr(row, name) is None else getattr(row, name)) for name in COLUMNS])  # fmt: skip
    return out.getvalue()


def import_csv(*, session: Session, user: UserRow, data: bytes) -> ImportReport:
    """Load a CSV of entries: good rows are written, bad rows reported by line and field.

    Raises:
        DirectoryRefused: the file itself cannot be read (encoding, header, too many rows).
    """
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise DirectoryRefused(f"the file is not UTF-8 text (byte {exc.start}); save it as 'CSV UTF-8'") from exc
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [h.strip().lower() for h in next(reader)]
    except StopIteration:
        raise DirectoryRefused("line 1: the file is empty; the first line names the columns") from None
    except csv.Error as exc:
        raise DirectoryRefused(f"line 1: {exc}") from exc
    missing = [name for name in REQUIRED if name not in header]
    if missing:
        raise DirectoryRefused(f"line 1: the header lacks the column(s) {', '.join(missing)} (columns: {', '.join(COLUMNS)})")
    report = ImportReport()
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        report.warnings.append(Problem(1, ", ".join(unknown), "unknown column(s): ignored"))
    seen = 0
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            report.errors.append(Problem(reader.line_num, "-", str(exc)))
            continue
        line = reader.line_num
        if not any(c.strip() for c in cells):
            continue
        seen += 1
        if seen > MAX_ROWS:
            raise DirectoryRefused(f"line {line}: more than {MAX_ROWS} rows; split the file")
        if len(cells) > len(header):
            report.errors.append(Problem(line, "-", f"{len(cells)} cells but the header names {len(header)} columns"))
            continue
        fields, errors, warnings = clean_entry(dict(zip(header, cells, strict=False)), line=line)
        report.warnings += warnings
        if not errors and not may_maintain(user, fields["state"], fields["district"]):
            errors.append(Problem(line, "district", f"{fields['district']}, {fields['state']} is not your district"))
        if errors:
            report.errors += errors
            continue
        row, created = upsert(session=session, user=user, fields=fields)
        report.created += created
        report.updated += not created
        report.keys.append(row.pk)
    return report
