"""One place that turns domain errors into HTTP answers (never a 500 for bad input)."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from embeddings import FaceIndexMismatch, ImageRejected, NoUsableFace
from indexer import PhotoRejected, RecordNotFound, StaleWrite, TextIndexError
from search_api.care.service import CareRefused, TransferNotFound
from search_api.citizen.proof import ProofRefused
from search_api.citizen.service import CitizenRefused, NoticeNotFound, ReportNotFound
from search_api.directory.service import DirectoryRefused, EntryNotFound
from search_api.limits import RateLimited
from search_api.monitoring.service import MonitoringRefused
from search_api.policy import PermissionDenied
from search_api.records.flows import RecordInvalid
from search_api.restoration.documents import DocumentRejected
from search_api.restoration.service import CaseNotFound, StepRefused
from search_api.review.service import CannotReopen, ConfirmNeedsReason, PairNotFound
from search_api.users.service import UsernameTaken


def _answer(status: int, detail: object) -> JSONResponse:
    return JSONResponse(status_code=status, content={"detail": detail})


def install(app: FastAPI) -> None:
    mapping: list[tuple[type[Exception], int]] = [
        (RecordNotFound, 404),
        (PairNotFound, 404),
        (PermissionDenied, 403),
        (ImageRejected, 415),
        (NoUsableFace, 422),
        (ConfirmNeedsReason, 422),
        (CaseNotFound, 404),
        (StepRefused, 422),
        (DocumentRejected, 415),  # like a photo that is not a bounded, readable image
        (CareRefused, 422),
        (TransferNotFound, 404),
        (DirectoryRefused, 422),
        (EntryNotFound, 404),
        (CitizenRefused, 422),
        (ProofRefused, 400),  # the citizen form's proof of work: missing parts, forged, stale or used
        (ReportNotFound, 404),
        (NoticeNotFound, 404),
        (PhotoRejected, 415),
        (MonitoringRefused, 422),
        (CannotReopen, 409),
        (UsernameTaken, 409),
        (StaleWrite, 412),  # If-Match named a version the record has moved on from
        (FaceIndexMismatch, 503),  # the face model changed: photo search waits for 'trackchild reindex'
        # the search server is unreachable, or its index needs 'trackchild reindex' (the message says which)
        (TextIndexError, 503),
    ]
    for exc_type, status in mapping:
        app.add_exception_handler(exc_type, lambda _r, exc, status=status: _answer(status, str(exc)))  # type: ignore[misc]

    async def invalid_record(_request: Request, exc: Exception) -> JSONResponse:
        return _answer(422, {"message": "the record was rejected", "problems": exc.problems})  # type: ignore[attr-defined]

    app.add_exception_handler(RecordInvalid, invalid_record)

    async def rate_limited(_request: Request, exc: Exception) -> JSONResponse:
        answer = _answer(429, str(exc))
        answer.headers["Retry-After"] = str(exc.retry_after)  # type: ignore[attr-defined]
        return answer

    app.add_exception_handler(RateLimited, rate_limited)
