"""Directory work with its audit entries (the API, the pages and the CLI call these)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from search_api.audit.service import Actor, append
from search_api.directory import service
from search_api.directory.models import DirectoryEntryRow
from search_api.policy import authorize
from search_api.users.models import UserRow


def search(*, session: Session, user: UserRow, state: str = "", district: str = "", type_: str = "", q: str = "", limit: int = 200,
           offset: int = 0) -> list[DirectoryEntryRow]:  # fmt: skip
    """A public-service directory: any logged-in role reads it (nationwide); reads are not audited."""
    authorize(user, "directory_read")
    return service.search(session=session, state=state, district=district, type_=type_, q=q, limit=limit, offset=offset)


def get_entry(*, session: Session, user: UserRow, entry_pk: int) -> DirectoryEntryRow:
    authorize(user, "directory_read")
    return service.get_or_raise(session=session, entry_pk=entry_pk)


def save_entry(*, session: Session, user: UserRow, values: dict[str, str], source: str = "") -> tuple[DirectoryEntryRow, list]:
    authorize(user, "directory_maintain")
    row, warnings = service.save_entry(session=session, user=user, values=values)
    append(session=session, actor=Actor.of(user, source), action="directory_save", targets=[f"directory:{row.pk}"],
           detail={"type": row.type, "state": row.state, "district": row.district, "warnings": len(warnings)})  # fmt: skip
    return row, warnings


def delete_entry(*, session: Session, user: UserRow, entry_pk: int, source: str = "") -> None:
    authorize(user, "directory_maintain")
    row = service.delete(session=session, user=user, entry_pk=entry_pk)
    append(session=session, actor=Actor.of(user, source), action="directory_delete", targets=[f"directory:{entry_pk}"],
           detail={"type": row.type, "state": row.state, "district": row.district})  # fmt: skip


def import_csv(*, session: Session, user: UserRow, data: bytes, source: str = "") -> service.ImportReport:
    """Good rows load, bad rows are reported by line and field; one audit entry for the file."""
    authorize(user, "directory_maintain")
    report = service.import_csv(session=session, user=user, data=data)
    append(session=session, actor=Actor.of(user, source), action="directory_import", targets=[f"directory:{k}" for k in report.keys][:200],
           detail={"created": report.created, "updated": report.updated, "errors": len(report.errors),
                   "warnings": len(report.warnings)})  # fmt: skip
    return report


def export_csv(*, session: Session, user: UserRow, state: str = "", district: str = "", type_: str = "", source: str = "") -> str:
    """The directory (or a part of it) as CSV in the import's columns; a bulk copy, so audited."""
    authorize(user, "directory_read")
    rows = service.search(session=session, state=state, district=district, type_=type_, limit=service.MAX_ROWS * 5)
    append(session=session, actor=Actor.of(user, source), action="directory_export", targets=[],
           detail={"state": state, "district": district, "type": type_, "entries": len(rows)})  # fmt: skip
    return service.export_csv(rows)
