"""Documents on restoration steps: a CWC order, a social investigation report, a hand-over
receipt, as a PDF or a scanned image.

They are checked like photos before anything is kept: the type comes from the bytes (and
must agree with what the upload claims), the size is bounded, an image is fully decoded
within a pixel limit (a decompression bomb is refused on its header), and a PDF is parsed
with pypdf: encrypted files, JavaScript, launch actions, embedded files, XFA forms and more
pages than allowed are refused. Kept files are named by their sha256, like photos; the API
never takes a path on the server.
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy.orm import Session

from embeddings import ImageRejected, decode_image
from indexer import keep_content

log = logging.getLogger("trackchild.documents")

# the only form a stored document's path takes
STORE_PATH = re.compile(r"documents/([0-9a-f]{2})/(\1[0-9a-f]{62})\.(pdf|jpg|png|webp)")
MEDIA_TYPES = {"pdf": "application/pdf", "jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}
_CLAIMS = {
    ".pdf": "pdf", ".jpg": "jpg", ".jpeg": "jpg", ".png": "png", ".webp": "webp",
    "application/pdf": "pdf", "image/jpeg": "jpg", "image/jpg": "jpg", "image/png": "png", "image/webp": "webp",
}  # fmt: skip
_NAMES = {"pdf": "a PDF", "jpg": "a JPEG image", "png": "a PNG image", "webp": "a WEBP image"}
# names in a PDF that run code, open other programs or carry other files: a viewer must never meet them
_FORBIDDEN = {
    "/JS": "JavaScript",
    "/JavaScript": "JavaScript",
    "/Launch": "a launch action (it starts another program)",
    "/EmbeddedFile": "an embedded file",
    "/EmbeddedFiles": "an embedded file",
    "/FileAttachment": "an attached file",
    "/RichMedia": "embedded media",
    "/XFA": "an XFA form (it can run scripts)",
    "/SubmitForm": "a form that sends data away",
    "/ImportData": "a form action that imports data",
    "/GoToE": "a link into an embedded file",
    "/GoToR": "a link that opens another file",
}
MAX_PDF_OBJECTS = 200_000  # a real scan has hundreds; walking more is a denial of service


class DocumentRejected(ValueError):
    """The upload is not a document we keep; the message says why and what to do."""


@dataclass(frozen=True)
class CheckedDocument:
    kind: str  # pdf, jpg, png, webp
    media_type: str
    pages: int
    size_bytes: int


def sniff(data: bytes) -> str | None:
    """What the bytes are, by their signature: pdf, jpg, png, webp, or None."""
    if data.startswith(b"%PDF-"):
        return "pdf"
    if data.startswith(b"\xff\xd8\xff"):
        return "jpg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    return None


def _claimed(filename: str, content_type: str) -> set[str]:
    claims = {_CLAIMS.get(Path(filename or "").suffix.lower()), _CLAIMS.get((content_type or "").split(";")[0].strip().lower())}
    return {c for c in claims if c}


def check_document(
    data: bytes, *, filename: str = "", content_type: str = "", max_bytes: int, max_pages: int, max_pixels: int
) -> CheckedDocument:
    """Check an uploaded document, or raise ``DocumentRejected`` saying why.

    Example:
        >>> check_document(b"not a pdf", filename="order.pdf", max_bytes=10, max_pages=20, max_pixels=1)  # doctest: +SKIP
        DocumentRejected: the file is larger than ...
    """
    if not data:
        raise DocumentRejected("the file is empty")
    if len(data) > max_bytes:
        raise DocumentRejected(f"the file is {len(data):,} bytes; the limit is {max_bytes:,} ({max_bytes / 1024 / 1024:.0f} MB)")
    kind = sniff(data)
    if kind is None:
        raise DocumentRejected("the file is not a PDF, JPEG, PNG or WEBP (its bytes are none of these); scan the paper as PDF or JPEG")
    claims = _claimed(filename, content_type)
    if claims and claims != {kind}:
        said = " and ".join(sorted(_NAMES[c] for c in claims))
        raise DocumentRejected(f"the file says it is {said} but its bytes are {_NAMES[kind]}: upload the original file")
    if kind == "pdf":
        pages = _check_pdf(data, max_pages=max_pages)
    else:
        if b"%PDF-" in data[:1024]:  # an image that a PDF reader would also open: one of each, please
            raise DocumentRejected("the image also carries a PDF header; upload the image or the PDF on its own")
        try:
            decode_image(data, max_bytes=max_bytes, max_pixels=max_pixels)
        except ImageRejected as exc:
            raise DocumentRejected(f"image: {exc}") from exc
        pages = 1
    return CheckedDocument(kind=kind, media_type=MEDIA_TYPES[kind], pages=pages, size_bytes=len(data))


def _check_pdf(data: bytes, *, max_pages: int) -> int:
    from pypdf import PdfReader
    from pypdf.errors import PyPdfError

    try:
        reader = PdfReader(io.BytesIO(data), strict=False)
        if reader.is_encrypted:
            raise DocumentRejected("the PDF is encrypted or password-protected; save an unprotected copy and upload that")
        pages = len(reader.pages)
        if pages < 1:
            raise DocumentRejected("the PDF has no pages")
        if pages > max_pages:
            raise DocumentRejected(f"the PDF has {pages} pages; the limit is {max_pages}: upload the pages that matter")
        _refuse_active_content(reader.trailer)
    except DocumentRejected:
        raise
    except (PyPdfError, ValueError, KeyError, TypeError, AttributeError, IndexError, RecursionError, OSError) as exc:
        raise DocumentRejected(f"the PDF could not be read ({type(exc).__name__}); save it again as PDF and upload that") from exc
    return pages


def _refuse_active_content(trailer: object) -> None:
    """Walk every object reachable from the trailer (object streams included) and refuse any
    name that runs code, launches a program or carries another file."""
    from pypdf.generic import ArrayObject, DictionaryObject, IndirectObject, NameObject

    seen: set[tuple[int, int]] = set()
    stack: list[object] = [trailer]
    walked = 0
    while stack:
        node = stack.pop()
        walked += 1
        if walked > MAX_PDF_OBJECTS:
            raise DocumentRejected(f"the PDF has more than {MAX_PDF_OBJECTS:,} objects; save it again (print to PDF) and upload that")
        if isinstance(node, IndirectObject):
            ref = (node.idnum, node.generation)
            if ref in seen:
                continue
            seen.add(ref)
            stack.append(node.get_object())
        elif isinstance(node, DictionaryObject):  # streams too: their dictionary is walked, their data is not run
            for key, value in node.items():
                if key in _FORBIDDEN:
                    raise DocumentRejected(f"the PDF contains {_FORBIDDEN[key]}; print it to a plain PDF or scan the paper")
                stack.append(value)
        elif isinstance(node, ArrayObject):
            stack.extend(node)
        elif isinstance(node, NameObject) and node in _FORBIDDEN:
            raise DocumentRejected(f"the PDF contains {_FORBIDDEN[node]}; print it to a plain PDF or scan the paper")


def is_store_path(relpath: str) -> bool:
    return STORE_PATH.fullmatch(relpath or "") is not None


@dataclass(frozen=True)
class StoredDocument:
    sha256: str
    relpath: str


class DocumentStore:
    """Documents under ``<data dir>/documents/<first two hex>/<sha256>.<kind>``."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = Path(data_dir)

    def put(self, data: bytes, *, checked: CheckedDocument, session: Session | None = None) -> StoredDocument:
        """Keep a checked document, named by its sha256. With ``session``, a file this call writes
        is removed again unless that session's transaction (the rows naming it) commits."""
        digest = hashlib.sha256(data).hexdigest()
        relpath = f"documents/{digest[:2]}/{digest}.{checked.kind}"
        keep_content(self.data_dir / relpath, data, session=session)
        return StoredDocument(sha256=digest, relpath=relpath)

    def path_of(self, relpath: str) -> Path:
        if not is_store_path(relpath):
            raise LookupError("not a stored document's path")
        path = self.data_dir / relpath
        if not path.is_file():
            raise LookupError("the document's file is missing from the store")
        return path


def document_response(doc, step: str, path: Path):  # type: ignore[no-untyped-def]
    """The file as an attachment named by ids only (never a child's name), never rendered as a page."""
    from starlette.responses import FileResponse

    return FileResponse(
        path,
        media_type=doc.media_type,
        filename=f"case-{doc.case_pk}-{step or 'step'}-{doc.pk}{path.suffix}",
        content_disposition_type="attachment",
        headers={"Cache-Control": "no-store", "Content-Security-Policy": "sandbox", "X-Content-Type-Options": "nosniff"},
    )
