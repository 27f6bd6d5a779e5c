"""Turning stored records and review pairs into what templates show (no scoring here)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class PairSummary:
    """A queue row: each child as the viewer may see it (a full or a limited view, {} if gone)."""

    pk: int
    score: float
    status: str
    missing: dict
    found: dict


def summarise_pairs(*, pairs: list[Any]) -> list[PairSummary]:
    """Rows from ``list_queue_for`` (already limited per side by the service)."""
    return [PairSummary(p.pair.pk, p.pair.score, p.pair.status, p.missing, p.found) for p in pairs]


@dataclass(frozen=True)
class DuplicateSummary:
    pk: int
    score: float
    a: dict
    b: dict


def summarise_duplicates(*, flags: list[Any]) -> list[DuplicateSummary]:
    return [DuplicateSummary(f.flag.pk, f.flag.score, f.a, f.b) for f in flags]


def photo_url(kind: str, record_id: str, position: int, size: str = "thumb", pair: int | None = None) -> str:
    """Photos go through the app; a large photo outside one's jurisdiction needs the pair it is shown in."""
    return f"/ui/photos/{kind}/{record_id}/{position}?size={size}" + (f"&pair={pair}" if pair is not None else "")


# the rows of the side-by-side view, in the order a reviewer reads them
COMPARED_FIELDS: tuple[str, ...] = (
    "name", "aliases", "sex", "age", "date", "place", "father_name", "mother_name",
    "languages", "height_cm", "complexion", "hair", "marks", "clothing", "description",
)  # fmt: skip


def field_text(record: dict, field: str) -> str:
    value = record.get(field)
    if field == "place":
        place = value or {}
        return ", ".join(str(place[k]) for k in ("city", "district", "state") if place.get(k))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if field == "age" and value is not None:
        return f"{value:g}" + (" (est.)" if record.get("age_is_estimate") else "")
    return "" if value is None else str(value)


@dataclass(frozen=True)
class AlignedRow:
    field: str
    missing: str
    found: str
    verdict: str  # "agree", "conflict" or "" (one side unknown, or free text a person must read)


def aligned_rows(missing: dict, found: dict) -> list[AlignedRow]:
    """Fields side by side. Only plain equality is marked here; the evidence weights come from fusion."""
    rows = []
    for field in COMPARED_FIELDS:
        left, right = field_text(missing, field), field_text(found, field)
        if not left and not right:
            continue
        verdict = ""
        if left and right:
            if field == "languages":  # one shared language is agreement
                shared = {v.casefold() for v in missing.get(field) or []} & {v.casefold() for v in found.get(field) or []}
                verdict = "agree" if shared else "conflict"
            elif field in ("sex", "place"):
                verdict = "agree" if left.casefold() == right.casefold() else "conflict"
            elif field in ("name", "father_name", "mother_name") and left.casefold() == right.casefold():
                verdict = "agree"  # names differ in spelling all the time: only sameness is marked
        rows.append(AlignedRow(field, left, right, verdict))
    return rows


def explanation_rows(explanation: dict) -> list[dict]:
    """Fusion's explanation, strongest evidence first, dropping features with nothing to say."""
    rows = [
        {"feature": name, **row}
        for name, row in (explanation.get("features") or {}).items()
        if not (row.get("level") == "missing" and not row.get("weight_bits"))
    ]
    return sorted(rows, key=lambda r: -abs(r.get("weight_bits") or 0))
