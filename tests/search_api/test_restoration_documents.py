"""Documents on restoration steps (issue 15): real PDFs (written with pypdf) and real images,
checked like photos before they are kept, downloaded only by those who see the case, audited."""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from pypdf import PdfWriter
from pypdf.generic import DictionaryObject, NameObject, TextStringObject

from search_api.restoration.documents import DocumentRejected, check_document
from tests.search_api.test_restoration_flow import client, confirmed_pair, login, smtp  # noqa: F401  (fixtures)

LIMITS = {"max_bytes": 10 * 1024 * 1024, "max_pages": 20, "max_pixels": 40_000_000}


def pdf(pages: int = 1, *, js: bool = False, launch: bool = False, attachment: bool = False, password: str = "",
        escaped_js: bool = False) -> bytes:  # fmt: skip
    writer = PdfWriter()
    for _ in range(pages):
        writer.add_blank_page(width=595, height=842)
    if js:
        action = DictionaryObject({NameObject("/S"): NameObject("/JavaScript"), NameObject("/JS"): TextStringObject("app.alert(1);")})
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    if attachment:
        writer.add_attachment("note.txt", b"carried inside")
    if launch:
        action = DictionaryObject({NameObject("/S"): NameObject("/Launch"), NameObject("/F"): TextStringObject("calc.exe")})
        writer._root_object[NameObject("/OpenAction")] = writer._add_object(action)
    if password:
        writer.encrypt(password, algorithm="AES-128")
    out = io.BytesIO()
    writer.write(out)
    data = out.getvalue()
    if escaped_js:  # the same name written with a #-escape, as malware does to dodge byte scans
        data = data.replace(b"/JavaScript", b"/J#61vaScript").replace(b"/JS ", b"/J#53 ")
        assert b"/JavaScript" not in data and b"/JS " not in data
    return data


def image(fmt: str = "PNG", size: tuple[int, int] = (400, 300), mode: str = "RGB") -> bytes:
    out = io.BytesIO()
    Image.new(mode, size, 0 if mode == "1" else (200, 190, 170)).save(out, fmt)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "filename", "content_type", "expect"),
    [
        (pdf(3), "order.pdf", "application/pdf", "pdf:3"),
        (image("PNG"), "receipt.png", "image/png", "png:1"),
        (image("JPEG"), "scan.jpg", "image/jpeg", "jpg:1"),
        (image("WEBP"), "", "", "webp:1"),
        (pdf(21), "long.pdf", "application/pdf", "21 pages; the limit is 20"),
        (pdf(js=True), "order.pdf", "application/pdf", "JavaScript"),
        (pdf(escaped_js=True, js=True), "order.pdf", "application/pdf", "JavaScript"),
        (pdf(launch=True), "order.pdf", "application/pdf", "launch action"),
        (pdf(attachment=True), "order.pdf", "application/pdf", "embedded file"),
        (pdf(password="secret"), "order.pdf", "application/pdf", "encrypted"),
        (image("PNG"), "order.pdf", "application/pdf", "says it is a PDF but its bytes are a PNG image"),
        (pdf(), "photo.jpg", "image/jpeg", "says it is a JPEG image but its bytes are a PDF"),
        (b"<html><script>alert(1)</script></html>", "order.pdf", "application/pdf", "not a PDF, JPEG, PNG or WEBP"),
        (b"%PDF-1.7\n garbage that is no pdf at all", "order.pdf", "", "could not be read"),
        (image("PNG")[:200], "cut.png", "image/png", "truncated or corrupt"),
        (image("PNG", size=(8000, 6000), mode="1"), "huge.png", "image/png", "8000x6000 pixels; the limit is 40,000,000"),
        (image("PNG") + b"%PDF-1.4 polyglot", "x.png", "", "png:1"),  # a PDF header after 1 KB is no PDF to a reader
        (b"", "empty.pdf", "", "empty"),
    ],
)
def test_documents_are_checked_like_photos(data: bytes, filename: str, content_type: str, expect: str) -> None:
    if ":" in expect and expect.split(":")[1].isdigit():
        checked = check_document(data, filename=filename, content_type=content_type, **LIMITS)
        assert f"{checked.kind}:{checked.pages}" == expect
    else:
        with pytest.raises(DocumentRejected, match=expect.replace("(", r"\(").replace(")", r"\)")):
            check_document(data, filename=filename, content_type=content_type, **LIMITS)


def test_size_limit_and_an_image_that_is_also_a_pdf() -> None:
    with pytest.raises(DocumentRejected, match="the limit is 200 "):
        check_document(pdf(), max_bytes=200, max_pages=20, max_pixels=10**6)
    polyglot = image("PNG")[:16] + b"%PDF-1.4\n" + image("PNG")[16:]
    with pytest.raises(DocumentRejected, match="also carries a PDF header"):
        check_document(polyglot, **LIMITS)


def test_a_step_document_is_kept_shown_to_the_case_only_and_audited(client: TestClient) -> None:  # noqa: F811
    res = client.app.state.resources  # type: ignore[attr-defined]
    confirmed_pair(client)
    cwc, patna, gaya, cci = (login(client, u) for u in ("cwc_howrah", "dcpu_patna", "dcpu_gaya", "caseworker"))
    case = client.get("/restoration/cases", headers=cwc).json()[0]["pk"]
    order = pdf(2)
    url = f"/restoration/cases/{case}/steps/cwc_order/documents"
    files = {"file": ("CWC order Yadavi.pdf", order, "application/pdf")}
    assert client.post(url, files=files, data={"label": "CWC order"}, headers=patna).status_code == 403  # the CWC's paper
    assert client.post(url, files=files, headers=gaya).status_code == 403  # not their case
    bad = client.post(url, files={"file": ("order.pdf", pdf(js=True), "application/pdf")}, headers=cwc)
    assert bad.status_code == 415 and "JavaScript" in bad.json()["detail"]
    big = client.post(url, files={"file": ("big.pdf", b"%PDF-" + b"0" * res.settings.max_document_bytes, "application/pdf")}, headers=cwc)
    assert big.status_code == 413
    done = client.post(url, files=files, data={"label": "CWC order"}, headers=cwc)
    assert done.status_code == 201, done.text
    body = done.json()
    assert body["media_type"] == "application/pdf" and body["pages"] == 2 and body["size_bytes"] == len(order)
    assert "relpath" not in body and body["sha256"][:2] + "/" not in done.text  # ids and links, never where it is kept
    # a path on the server is no upload: only bytes are taken
    assert client.post(url, data={"file": "/etc/passwd"}, headers=cwc).status_code == 422
    # the case shows it; the file comes back byte for byte to those who see the case
    steps = client.get(f"/restoration/cases/{case}", headers=patna).json()["steps"]
    docs = next(s for s in steps if s["step"] == "cwc_order")["documents"]
    assert [d["pk"] for d in docs] == [body["pk"]] and docs[0]["url"] == body["url"]
    got = client.get(body["url"], headers=patna)
    assert got.status_code == 200 and got.content == order and got.headers["content-type"] == "application/pdf"
    disposition = got.headers["content-disposition"]
    assert disposition.startswith("attachment") and "Yadavi" not in disposition and f"case-{case}-cwc_order" in disposition
    assert client.get(body["url"], headers=gaya).status_code == 403
    assert client.get(f"/restoration/cases/{case}/documents/999", headers=patna).status_code == 404
    # an image of the hand-over receipt waits for its step to open
    receipt = {"file": ("receipt.jpg", image("JPEG"), "image/jpeg")}
    assert client.post(f"/restoration/cases/{case}/steps/handover/documents", files=receipt, headers=cci).status_code == 422
    # audited: the upload and the download, with ids only
    audit = client.get("/audit", params={"action": "step_document"}, headers=login(client, "registrar")).json()
    assert len(audit) == 1 and audit[0]["detail"]["pages"] == 2 and "Yadavi" not in str(audit[0])
    views = client.get("/audit", params={"action": "document_view"}, headers=login(client, "registrar")).json()
    assert len(views) == 1 and f"document:{body['pk']}" in views[0]["targets"]
    kept = list((Path(res.settings.data_dir) / "documents").rglob("*.pdf"))
    assert [p.read_bytes() for p in kept] == [order]  # the refused files were never kept


def test_the_cli_attaches_a_document_to_a_step(client: TestClient, tmp_path: Path) -> None:  # noqa: F811
    res = client.app.state.resources  # type: ignore[attr-defined]
    confirmed_pair(client)
    case = client.get("/restoration/cases", headers=login(client, "cwc_howrah")).json()[0]["pk"]
    scan = tmp_path / "order.pdf"
    scan.write_bytes(pdf(1))
    bad = tmp_path / "order-js.pdf"
    bad.write_bytes(pdf(js=True))
    env = {"TRACKCHILD_DATA_DIR": str(res.settings.data_dir), "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "PATH": "/usr/bin"}
    cli = [sys.executable, "-m", "search_api.cli", "case"]
    refused = subprocess.run([*cli, "attach", str(case), "cwc_order", str(bad), "--as", "cwc_howrah"], env=env, capture_output=True,
                             text=True, timeout=120)  # fmt: skip
    assert refused.returncode != 0 and "JavaScript" in refused.stdout + refused.stderr
    fields = ["--field", "order_type=restoration", "--field", "order_no=CWC/1", "--field", "order_date=2025-06-02"]
    done = subprocess.run([*cli, "step", str(case), "cwc_order", *fields, "--document", str(scan), "--as", "cwc_howrah"], env=env,
                          capture_output=True, text=True, timeout=120)  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "with 1 document" in done.stdout
    shown = subprocess.run([*cli, "show", str(case), "--as", "dcpu_patna"], env=env, capture_output=True, text=True, timeout=120)
    assert "[1 document(s)" in shown.stdout, shown.stdout + shown.stderr
    steps = client.get(f"/restoration/cases/{case}", headers=login(client, "cwc_howrah")).json()["steps"]
    order = next(s for s in steps if s["step"] == "cwc_order")
    assert order["done_at"] and [d["pages"] for d in order["documents"]] == [1]


def test_a_refused_cli_step_keeps_no_document_file_and_writes_nothing(client: TestClient, tmp_path: Path) -> None:  # noqa: F811
    """Issue 11: a step refused after its papers were checked (a missing field, the wrong order, a
    second paper refused, the wrong district) leaves no file in the document store and no row."""
    res = client.app.state.resources  # type: ignore[attr-defined]
    confirmed_pair(client)
    case = client.get("/restoration/cases", headers=login(client, "cwc_howrah")).json()[0]["pk"]
    scan, receipt, bad = tmp_path / "order.pdf", tmp_path / "receipt.png", tmp_path / "order-js.pdf"
    scan.write_bytes(pdf(1))
    receipt.write_bytes(image("PNG"))
    bad.write_bytes(pdf(js=True))
    env = {"TRACKCHILD_DATA_DIR": str(res.settings.data_dir), "PYTHONPATH": str(Path(__file__).resolve().parents[2]), "PATH": "/usr/bin"}
    documents = Path(res.settings.data_dir) / "documents"
    registrar = login(client, "registrar")
    order = ["--field", "order_type=restoration", "--field", "order_no=CWC/1", "--field", "order_date=2025-06-02"]
    handover = ["--field", "date=2025-06-10", "--field", "escorting_unit=DCPU Howrah", "--field", "receiving_person=mother",
                "--field", "relation=mother", "--field", "id_document=Aadhaar"]  # fmt: skip

    def step(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "search_api.cli", "case", "step", str(case), *args], env=env, capture_output=True,
                              text=True, timeout=120)  # fmt: skip

    def kept() -> dict[str, int]:
        files = sorted(p for p in documents.rglob("*") if p.is_file()) if documents.exists() else []
        audit = client.get("/audit", params={"action": "step_document"}, headers=registrar).json()
        steps = client.get(f"/restoration/cases/{case}", headers=registrar).json()["steps"]
        return {"files": len(files), "audited": len(audit), "documents": sum(len(s["documents"]) for s in steps),
                "done": sum(1 for s in steps if s["done_at"])}  # fmt: skip

    refusals = [
        (["cwc_order", "--field", "order_type=restoration", "--document", str(scan), "--as", "cwc_howrah"], "give order_no"),
        (["cwc_order", *order, "--document", str(scan), "--document", str(bad), "--as", "cwc_howrah"], "JavaScript"),
        (["cwc_order", *order, "--document", str(scan), "--as", "dcpu_gaya"], "not one of your units"),
        (["cwc_order", *order, "--document", str(scan), "--as", "dcpu_patna"], "added by cwc"),
    ]
    before = kept()
    assert before == {"files": 0, "audited": 0, "documents": 0, "done": 0}
    for args, why in refusals:
        refused = step(*args)
        assert refused.returncode != 0 and why in refused.stdout + refused.stderr, refused.stdout + refused.stderr
        assert kept() == before, args
    # the order is recorded without papers; the hand-over comes before a home verification: refused, nothing kept
    assert step("cwc_order", *order, "--as", "cwc_howrah").returncode == 0
    before = kept()
    refused = step("handover", *handover, "--document", str(receipt), "--as", "caseworker")
    assert refused.returncode != 0 and "favourable home verification" in refused.stdout + refused.stderr
    assert kept() == before
    # the same order already recorded: refused, its papers are not kept either
    assert step("cwc_order", *order, "--document", str(scan), "--as", "cwc_howrah").returncode != 0
    assert kept() == before
    # a file another step keeps is not taken away when a later step with the same paper is refused
    attached = subprocess.run([sys.executable, "-m", "search_api.cli", "case", "attach", str(case), "cwc_order", str(scan), "--as",
                               "cwc_howrah"], env=env, capture_output=True, text=True, timeout=120)  # fmt: skip
    assert attached.returncode == 0, attached.stdout + attached.stderr
    before = kept()
    assert before["files"] == 1
    assert step("cwc_order", *order, "--document", str(scan), "--as", "cwc_howrah").returncode != 0
    assert kept() == before and next(documents.rglob("*.pdf")).read_bytes() == scan.read_bytes()
