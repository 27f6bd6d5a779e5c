from __future__ import annotations

from dataclasses import asdict
from typing import Annotated

from fastapi import APIRouter, File, Form, HTTPException, Query, UploadFile, status
from fastapi.responses import FileResponse

from search_api.deps import CurrentUser, DbSession, ResourcesDep, Source
from search_api.restoration import flows
from search_api.restoration.documents import document_response
from search_api.restoration.schemas import CaseDetailRead, CaseRead, DocumentRead, OverdueRead, StepCreate, StepRead

router = APIRouter(prefix="/restoration", tags=["restoration"])


@router.get("/cases", response_model=list[CaseRead], summary="Restoration cases of your units and districts")
def cases(
    user: CurrentUser,
    session: DbSession,
    source: Source,
    status: Annotated[str | None, Query(pattern="^(traced|restored|followed_up|closed|suspended)$")] = None,
) -> list[CaseRead]:
    return [CaseRead.model_validate(c) for c in flows.list_cases(session=session, user=user, status=status, source=source)]


@router.get("/cases/{case_pk}", response_model=CaseDetailRead, summary="A case with its steps and due dates")
def case(case_pk: int, user: CurrentUser, session: DbSession, source: Source) -> CaseDetailRead:
    detail = flows.case_detail(session=session, case_pk=case_pk, user=user, source=source)
    return CaseDetailRead(
        case=CaseRead.model_validate(detail.case),
        steps=[StepRead.of(s, detail.documents.get(s.pk, [])) for s in detail.steps],
        may_record=detail.may_record,
        may_attach=detail.may_attach,
    )


@router.post("/cases/{case_pk}/steps/{step}", response_model=StepRead, summary="Record a step (CWC order, home verification, hand-over…)")
def record_step(
    case_pk: int, step: str, body: StepCreate, user: CurrentUser, session: DbSession, res: ResourcesDep, source: Source
) -> StepRead:
    row = flows.record_case_step(
        session=session, settings=res.settings, case_pk=case_pk, step=step, fields=body.fields, notes=body.notes, user=user, source=source
    )
    return StepRead.of(row)


@router.post(
    "/cases/{case_pk}/steps/{step}/documents",
    response_model=DocumentRead,
    status_code=status.HTTP_201_CREATED,
    summary="Attach a PDF or image to a step (checked: size, pages, pixels, no scripts or embedded files)",
)
def attach_document(
    case_pk: int,
    step: str,
    file: Annotated[UploadFile, File(description="PDF, JPEG, PNG or WEBP")],
    user: CurrentUser,
    session: DbSession,
    res: ResourcesDep,
    source: Source,
    label: Annotated[str, Form(max_length=120)] = "",
) -> DocumentRead:
    limit = res.settings.max_document_bytes
    data = file.file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(status.HTTP_413_CONTENT_TOO_LARGE, f"the document is larger than the limit of {limit:,} bytes")
    doc = flows.attach_document(session=session, settings=res.settings, case_pk=case_pk, step=step, data=data, user=user,
                                filename=file.filename or "", content_type=file.content_type or "", label=label, source=source)  # fmt: skip
    return DocumentRead.model_validate(doc).model_copy(update={"url": f"/restoration/cases/{case_pk}/documents/{doc.pk}"})


@router.get("/cases/{case_pk}/documents/{document_pk}", summary="Download a step's document (for those who see the case; audited)")
def document(case_pk: int, document_pk: int, user: CurrentUser, session: DbSession, res: ResourcesDep, source: Source) -> FileResponse:
    doc, step, path = flows.open_document(session=session, settings=res.settings, case_pk=case_pk, document_pk=document_pk, user=user,
                                          source=source)  # fmt: skip
    return document_response(doc, step, path)


@router.get("/overdue", response_model=list[OverdueRead], summary="Overdue review and restoration steps in your area, oldest first")
def overdue(user: CurrentUser, session: DbSession, res: ResourcesDep) -> list[OverdueRead]:
    return [OverdueRead(**asdict(i)) for i in flows.list_overdue_for(session=session, settings=res.settings, user=user)]
