"""Filing a missing report or a new arrival, the record page, and photos (through the app only)."""

from __future__ import annotations

import datetime as dt
import io
from typing import Annotated, Literal

from fastapi import APIRouter, Form, HTTPException, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from PIL import Image
from starlette.datastructures import UploadFile

from embeddings import ImageRejected
from indexer import PhotoRejected, get_record
from search_api import (
    POLICE_ACTIONS,
    DbSession,
    MatcherDep,
    PermissionDenied,
    RecordInvalid,
    ResourcesDep,
    audit_record_page,
    authorize,
    candidate_views,
    check_photos,
    duplicate_flags_of,
    find_candidates,
    find_duplicates,
    get_stored_for,
    list_pairs_of,
    may_log_police_action,
    may_read_care,
    may_send_for_review,
    open_match_job_of,
    photo_path_for,
    police_actions_for_page,
    save_record,
    send_for_review,
    store_photo,
    view_for,
)
from ui.display import photo_url
from ui.web import Page, redirect

router = APIRouter(prefix="/ui")
Kind = Literal["missing", "found"]

TEXT_FIELDS = (
    "name", "sex", "date", "father_name", "mother_name", "complexion", "hair", "marks", "clothing", "description",
    "place.city", "place.district", "place.state",
)  # fmt: skip
LIST_FIELDS = ("aliases", "languages")
NUMBER_FIELDS = ("age", "height_cm")
KIND_FIELDS = {
    "missing": ("police_station", "police_station_code", "fir_number", "reported_by.name", "reported_by.phone", "reported_by.relation"),
    "found": ("cci_name", "cci_code", "cwc"),
}
MAX_PHOTOS = 5
MAX_TEXT = 2000


def _defaults(page: Page, kind: str) -> dict[str, str]:
    """A new form starts from the user's own unit and area."""
    user = page.user
    values = {"place.state": user.state, "place.district": user.district, "date": dt.date.today().isoformat()}
    values["police_station" if kind == "missing" else "cci_name"] = user.unit
    values["police_station_code" if kind == "missing" else "cci_code"] = user.unit_code
    if kind == "found":
        values["age_is_estimate"] = "on"
    return values


def _form_page(page: Page, kind: str, values: dict, errors: dict[str, str], status_code: int = 200) -> HTMLResponse:
    return page.render("records/new.html", status_code=status_code, kind=kind, values=values, errors=errors, kind_fields=KIND_FIELDS[kind])


@router.get("/records/new/{kind}", response_class=HTMLResponse)
def new_record_form(kind: Kind, page: Page) -> HTMLResponse:
    authorize(page.user, "create_missing" if kind == "missing" else "create_found")
    return _form_page(page, kind, _defaults(page, kind), {})


def record_from_form(kind: str, values: dict[str, str]) -> tuple[dict, dict[str, str]]:
    """The form's strings as a record, and a message for each field that cannot be read."""
    errors: dict[str, str] = {}
    record: dict = {"kind": kind, "id": values.get("id", "").strip()}
    if not record["id"]:
        errors["id"] = "required"
    for name in (*TEXT_FIELDS, *KIND_FIELDS[kind]):
        value = values.get(name, "").strip()
        if len(value) > MAX_TEXT:
            errors[name] = f"at most {MAX_TEXT} characters"
        elif value:
            head, _, tail = name.partition(".")
            if tail:
                record.setdefault(head, {})[tail] = value
            else:
                record[name] = value
    for name in LIST_FIELDS:
        items = [v.strip() for v in values.get(name, "").replace(";", ",").split(",") if v.strip()]
        if items:
            record[name] = items
    for name in NUMBER_FIELDS:
        raw = values.get(name, "").strip()
        if raw:
            try:
                record[name] = float(raw)
            except ValueError:
                errors[name] = "must be a number"
    record["age_is_estimate"] = values.get("age_is_estimate") == "on"
    return record, errors


def _problem_field(field: str) -> str:
    """Map a validation problem's field (e.g. ``place.lat`` or ``age``) to a form field."""
    return field if field else "id"


@router.post("/records/new/{kind}", response_class=HTMLResponse)
async def file_record(kind: Kind, request: Request, page: Page, session: DbSession, res: ResourcesDep, matcher: MatcherDep) -> Response:
    form = await request.form(max_files=MAX_PHOTOS, max_fields=60)
    page.check_csrf(str(form.get("csrf", "")))
    authorize(page.user, "create_missing" if kind == "missing" else "create_found")
    values = {k: str(v) for k, v in form.items() if not isinstance(v, UploadFile)}
    record, errors = record_from_form(kind, values)
    if record["id"] and get_record(session=session, kind=kind, record_id=record["id"]) is not None:
        errors["id"] = "a record with this number exists already; open it to edit"
    photos: list[str] = []
    datas: list[bytes] = []
    for upload in form.getlist("photos"):
        if not isinstance(upload, UploadFile) or not upload.filename:
            continue
        data = await upload.read(res.settings.max_photo_bytes + 1)
        try:
            if len(data) > res.settings.max_photo_bytes:
                raise ValueError(f"{upload.filename}: larger than {res.settings.max_photo_bytes // 1_000_000} MB")
            photos.append(store_photo(res=res, session=session, data=data))
            datas.append(data)
        except (ValueError, ImageRejected, PhotoRejected) as exc:
            errors["photos"] = f"{upload.filename}: {exc}" if upload.filename not in str(exc) else str(exc)

    def refused(problems: dict[str, str], status_code: int) -> Response:
        for relpath in photos:  # no record is made: the photos stored for it are not kept either
            res.photo_store.discard(relpath, session=session)
        return _form_page(page, kind, values, problems, status_code=status_code)

    if errors:
        return refused(errors, 422)
    record["photos"] = photos
    try:
        save_record(res=res, matcher=matcher, session=session, data=record, user=page.user, source=page.source, uploaded=photos)
    except RecordInvalid as exc:
        return refused({_problem_field(p["field"]): p["message"] for p in exc.problems}, 422)
    except PermissionDenied as exc:  # e.g. another station's number: say so next to the unit field
        return refused({"police_station" if kind == "missing" else "cci_name": str(exc)}, 403)
    # said at once on the record page: a face too small, blurred, turned away or among several
    codes = sorted({p.code for advice in check_photos(res=res, datas=datas) for p in advice.problems})
    return redirect(f"/ui/records/{kind}/{record['id']}?saved=1" + (f"&photo={','.join(codes)}" if codes else ""))


@router.get("/records/{kind}/{record_id}", response_class=HTMLResponse)
def record_page(
    kind: Kind, record_id: str, page: Page, session: DbSession, matcher: MatcherDep, saved: int = 0, photo: str = "", action_saved: int = 0
) -> HTMLResponse:
    # a GET: matching is computed and shown, never queued (queueing is the matcher's job or a POST)
    stored = get_stored_for(session=session, user=page.user, kind=kind, record_id=record_id)
    view = view_for(page.user, stored)
    found = find_candidates(matcher=matcher, stored=stored)
    candidates = candidate_views(session=session, user=page.user, stored=stored, candidates=found)
    pairs = list_pairs_of(session=session, record_key=stored.key)
    pair_of = {(p.found_key if kind == "missing" else p.missing_key): p for p in pairs}
    same_side = find_duplicates(matcher=matcher, stored=stored)
    flags = {(f.key_b if f.key_a == stored.key else f.key_a): f for f in duplicate_flags_of(session=session, record_key=stored.key)}
    flagged = [c for c in same_side if c.key in flags]
    shown = candidate_views(session=session, user=page.user, stored=stored, candidates=flagged)
    audit_record_page(session=session, user=page.user, stored=stored, view=view, shown=candidates + shown, source=page.source)
    return page.render(
        "records/show.html",
        record=view,
        stored=stored,
        candidates=[(c, pair_of.get(c["key"])) for c in candidates],
        duplicates=[(d, flags[d["key"]]) for d in shown],
        pairs=pairs if view["access"] == "full" else [],
        saved=bool(saved),
        # filed a moment ago: its match job ranks it for the review queue after the answer
        matching_queued=open_match_job_of(session=session, record_key=stored.key) is not None and view["access"] == "full",
        photo_problems=[code for code in photo.split(",") if code in PHOTO_PROBLEMS][: len(PHOTO_PROBLEMS)],
        photo_url=photo_url,
        inside=view["access"] == "full",
        can_send=may_send_for_review(page.user, stored.record),
        care_link=stored.record.kind == "found" and may_read_care(page.user, stored, session=session),
        # the police action log (issue 16, part 3): the station, its DCPU, state and central users read it; the station adds
        police_actions=police_actions_for_page(session=session, user=page.user, stored=stored) if kind == "missing" else None,
        can_log_action=kind == "missing" and may_log_police_action(page.user, stored),
        police_action_kinds=POLICE_ACTIONS,
        action_saved=bool(action_saved),
    )


@router.post("/records/{kind}/{record_id}/review")
def send_candidate_for_review(
    kind: Kind,
    record_id: str,
    page: Page,
    session: DbSession,
    matcher: MatcherDep,
    other_key: Annotated[str, Form(max_length=100)],
    reason: Annotated[str, Form(max_length=2000)] = "",
    csrf: Annotated[str, Form()] = "",
) -> RedirectResponse:
    """Send a candidate the matcher proposes (or, for a reviewer, any pair with a reason)."""
    page.check_csrf(csrf)
    stored = get_stored_for(session=session, user=page.user, kind=kind, record_id=record_id)
    pair = send_for_review(
        matcher=matcher, session=session, stored=stored, other_key=other_key, user=page.user, reason=reason, source=page.source
    )
    return redirect(f"/ui/review/{pair.pk}")


THUMB_SIDE = {"thumb": 160, "large": 640}
# problems an uploaded photo can have (embeddings.advise); each has a label "photo_<code>"
PHOTO_PROBLEMS = ("no_face", "too_small", "blurred", "turned_away", "several_faces", "unreadable")


@router.get("/photos/{kind}/{record_id}/{position}")
def photo(
    kind: Kind,
    record_id: str,
    position: int,
    page: Page,
    session: DbSession,
    res: ResourcesDep,
    size: str = "thumb",
    pair: int | None = None,
) -> Response:
    """A record's photo, resized, to a user the policy allows (never a static file)."""
    if size not in THUMB_SIDE:
        raise HTTPException(404, "no such photo size")
    try:
        path = photo_path_for(
            res=res, session=session, user=page.user, kind=kind, record_id=record_id, position=position, large=size == "large", pair_pk=pair
        )
    except LookupError as exc:
        raise HTTPException(404, "no such photo") from exc
    with Image.open(path) as image:
        image = image.convert("RGB")
        image.thumbnail((THUMB_SIDE[size], THUMB_SIDE[size]))
        out = io.BytesIO()
        image.save(out, "JPEG", quality=85)
    return Response(out.getvalue(), media_type="image/jpeg", headers={"Cache-Control": "private, max-age=300"})
