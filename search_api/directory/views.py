from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, File, HTTPException, Query, Response, UploadFile, status

from search_api.deps import CurrentUser, DbSession, Source
from search_api.directory import flows
from search_api.directory.schemas import EntryCreate, EntryRead, EntrySaved, ImportRead, ProblemRead
from search_api.directory.service import TYPES

router = APIRouter(prefix="/directory", tags=["directory"])
MAX_CSV_BYTES = 10_000_000
Text = Annotated[str, Query(max_length=100)]


def _type(value: str) -> str:
    if value and value not in TYPES:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_CONTENT, f"type must be one of {', '.join(TYPES)}")
    return value


@router.get("/entries", response_model=list[EntryRead], summary="Search the service directory by state, district, type and name")
def search(user: CurrentUser, session: DbSession, state: Text = "", district: Text = "", type: Text = "", q: Text = "",
           limit: Annotated[int, Query(ge=1, le=1000)] = 200,
           offset: Annotated[int, Query(ge=0, le=1_000_000)] = 0) -> list[EntryRead]:  # fmt: skip
    rows = flows.search(session=session, user=user, state=state, district=district, type_=_type(type), q=q, limit=limit, offset=offset)
    return [EntryRead.model_validate(r) for r in rows]


@router.get("/entries/{entry_pk}", response_model=EntryRead, summary="One directory entry")
def entry(entry_pk: int, user: CurrentUser, session: DbSession) -> EntryRead:
    return EntryRead.model_validate(flows.get_entry(session=session, user=user, entry_pk=entry_pk))


@router.post("/entries", response_model=EntrySaved, status_code=status.HTTP_201_CREATED,
             summary="Add or update an entry of your district (by state, district, type and code or name)")  # fmt: skip
def save(body: EntryCreate, user: CurrentUser, session: DbSession, source: Source) -> EntrySaved:
    row, warnings = flows.save_entry(session=session, user=user, values=body.model_dump(), source=source)
    return EntrySaved(entry=EntryRead.model_validate(row), warnings=[ProblemRead(**vars(w)) for w in warnings])


@router.delete("/entries/{entry_pk}", status_code=status.HTTP_204_NO_CONTENT, summary="Remove an entry of your district")
def delete(entry_pk: int, user: CurrentUser, session: DbSession, source: Source) -> Response:
    flows.delete_entry(session=session, user=user, entry_pk=entry_pk, source=source)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/import", response_model=ImportRead, summary="Load a CSV of entries: good rows load, bad rows are named by line and field")
def import_csv(file: Annotated[UploadFile, File()], user: CurrentUser, session: DbSession, source: Source) -> ImportRead:
    data = file.file.read(MAX_CSV_BYTES + 1)
    if len(data) > MAX_CSV_BYTES:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the file is larger than {MAX_CSV_BYTES:,} bytes; split it")
    report = flows.import_csv(session=session, user=user, data=data, source=source)
    return ImportRead(created=report.created, updated=report.updated, errors=[ProblemRead(**vars(p)) for p in report.errors],
                      warnings=[ProblemRead(**vars(p)) for p in report.warnings])  # fmt: skip


@router.get("/export.csv", summary="The directory as CSV in the import's columns (audited)")
def export_csv(user: CurrentUser, session: DbSession, source: Source, state: Text = "", district: Text = "", type: Text = "") -> Response:
    body = flows.export_csv(session=session, user=user, state=state, district=district, type_=_type(type), source=source)
    return Response(body, media_type="text/csv; charset=utf-8", headers={"Content-Disposition": 'attachment; filename="directory.csv"'})
