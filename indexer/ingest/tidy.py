"""Reading fields as real registers export them, before the record is validated.

Registers are typed by hand and exported from spreadsheets: dates as 12/03/2024, ages as
"5 yrs" or "6 months", heights as "4 ft 2 in", sex as लड़की, "not known" for a blank, 0
for "not measured", and districts by names changed years ago. ``read_fields`` turns each
into the record's own form and returns a note for every reading worth telling (an
ambiguous date, a dropped out-of-range value); sentinels ("NA", 0 cm) silently mean
"not given". It is pure: no I/O.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import re
from dataclasses import dataclass
from typing import Any

from indexer.places import canonical_names


@dataclass(frozen=True, slots=True)
class FieldNote:
    """How a field was read, or why it was cleared: the field, the value seen, what happened."""

    field: str
    value: Any
    message: str


# Text that means "not given", in English and Hindi, as registers write it.
TEXT_SENTINELS = frozenset(
    {
        "na", "n/a", "n.a", "n.a.", "nil", "none", "null", "-", "--", "---", ".", "?", "??", "x", "xx", "xxx",
        "unknown", "not known", "notknown", "unk", "not available", "not given", "not applicable", "no data",
        "not mentioned", "not traced", "dont know", "don't know", "nk", "0",
        "नहीं पता", "पता नहीं", "अज्ञात", "ज्ञात नहीं", "नहीं मालूम", "उपलब्ध नहीं",
    }
)  # fmt: skip
# Numbers that mean "not measured" in a measurement.
NUMBER_SENTINELS = frozenset({0.0, -1.0, -9.0, -99.0, -999.0, 999.0, 9999.0, 99999.0})
# An age of 0 is an infant: only these mean "not given" for an age.
AGE_SENTINELS = frozenset({-1.0, -9.0, -99.0, -999.0, 99.0, 999.0, 9999.0})

TEXT_FIELDS = (
    "name", "father_name", "mother_name", "complexion", "hair", "marks", "clothing", "description",
    "police_station", "fir_number", "cci_name", "cwc",
)  # fmt: skip
PLACE_TEXT = ("city", "district", "state", "address")
LIST_FIELDS = ("aliases", "languages")

SEX_WORDS = {
    "m": "M", "male": "M", "boy": "M", "b": "M", "man": "M", "boy child": "M", "male child": "M",
    "लड़का": "M", "लडका": "M", "बालक": "M", "पुरुष": "M", "पु": "M",
    "f": "F", "female": "F", "girl": "F", "g": "F", "woman": "F", "girl child": "F", "female child": "F",
    "लड़की": "F", "लडकी": "F", "बालिका": "F", "महिला": "F", "स्त्री": "F", "म": "F",
    "x": "X", "t": "X", "tg": "X", "transgender": "X", "trans": "X", "third gender": "X", "other": "X", "others": "X",
    "किन्नर": "X", "ट्रांसजेंडर": "X",
    "u": "", "unknown": "", "na": "", "n/a": "", "not known": "", "-": "", "नहीं पता": "",
}  # fmt: skip

MONTHS = {
    m: i
    for i, names in enumerate(
        [
            ("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"), ("may",), ("jun", "june"),
            ("jul", "july"), ("aug", "august"), ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for m in names
}  # fmt: skip
DATE_SENTINELS = frozenset({"00/00/0000", "0000-00-00", "00-00-0000", "01/01/1900", "1900-01-01", "01-01-1900", "01/01/1970", "1970-01-01"})

_NUMERIC_DATE = re.compile(r"^(\d{1,4})[/\-.](\d{1,2})[/\-.](\d{2,4})$")
_WORD_DATE = re.compile(r"^(\d{1,2})(?:st|nd|rd|th)?[\s\-/.]*([a-z]+)[\s\-/.,]*(\d{2,4})$")
_WORD_DATE_US = re.compile(r"^([a-z]+)[\s\-/.]*(\d{1,2})(?:st|nd|rd|th)?[\s,]+(\d{2,4})$")
_NUMBER = r"(\d+(?:\.\d+)?)"
_AGE_RANGE = re.compile(rf"^{_NUMBER}\s*(?:-|to|–)\s*{_NUMBER}\s*(years?|yrs?\.?|y|months?|mths?|mos?|m)?$")
_AGE_UNIT = re.compile(rf"^{_NUMBER}\s*(years?|yrs?\.?|y\.?o?|months?|mths?|mos?\.?|m|weeks?|wks?|days?|d)?(?:\s*old)?$")
_AGE_YM = re.compile(rf"^{_NUMBER}\s*(?:years?|yrs?|y)\.?\s*,?\s*(?:and\s*)?{_NUMBER}\s*(?:months?|mths?|m)\.?$")
_APPROX = re.compile(r"^(approx\.?|approximately|about|around|abt\.?|appx\.?|aprox\.?|circa|ca\.?|~|लगभग|करीब|अंदाज़न|अंदाजन)\s*")
_APPROX_TAIL = re.compile(r"\s*(\(approx\.?\)|approx\.?|\(est\.?\)|est\.?|\+|\?)$")
_FEET = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:ft\.?|feet|foot|'|’)\s*(?:(\d+(?:\.\d+)?)\s*(?:in\.?|inch(?:es)?|\"|”|'')?)?$")
_INCHES = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:in\.?|inch(?:es)?|\"|”)$")
_CM = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:cm\.?|cms\.?|centimet(?:er|re)s?)$")
_METRES = re.compile(r"^(\d+(?:\.\d+)?)\s*(?:m|mtr|mtrs|metres?|meters?)\.?$")


KIND_WORDS = {
    "missing child": "missing", "missing person": "missing", "missing report": "missing", "mp": "missing", "lost": "missing",
    "found child": "found", "rescued": "found", "rescued child": "found", "in care": "found", "fc": "found", "traced": "found",
}  # fmt: skip


def _column(key: Any) -> Any:
    """'Father Name', ' Height_CM ' → 'father_name', 'height_cm': headers as spreadsheets write them."""
    return "_".join(key.strip().lower().split()) if isinstance(key, str) else key


def is_text_sentinel(value: Any) -> bool:
    if not isinstance(value, str) or len(value) > 24:  # the longest sentinel is shorter
        return False
    key = value.strip().lower()
    return key in TEXT_SENTINELS or (" " in key and " ".join(key.split()) in TEXT_SENTINELS)


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().replace(",", "."))
        except ValueError:
            return None
    return None


def _two_digit_year(year: int, today: dt.date) -> int:
    """'24' is 2024 and '98' is 1998: the century that puts the year in the past."""
    return 2000 + year if 2000 + year <= today.year + 1 else 1900 + year


def read_date(value: Any, *, today: dt.date) -> tuple[dt.date | None, str | None]:
    """A date as registers write it; day first, as in India. Returns (date, note).

    Raises:
        ValueError: the text is not a date (the caller clears the field and warns).
    """
    if isinstance(value, dt.datetime):
        return value.date(), None
    if isinstance(value, dt.date):
        return value, None
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":  # ISO, the common case
        try:
            return dt.date.fromisoformat(value), None
        except ValueError:
            pass
    text = " ".join(str(value).strip().lower().split())
    if not text or is_text_sentinel(text) or text in DATE_SENTINELS:
        return None, None
    text = text.split("t")[0] if re.match(r"^\d{4}-\d{2}-\d{2}t", text) else text
    if m := _NUMERIC_DATE.match(text):
        a, b, c = (int(x) for x in m.groups())
        if len(m.group(1)) == 4:  # ISO: yyyy-mm-dd
            return dt.date(a, b, c), None
        year = _two_digit_year(c, today) if len(m.group(3)) == 2 else c
        if a > 12 or a == b:
            return dt.date(year, b, a), None
        if b > 12:  # only month-first can be a date: 03/25/2024
            return dt.date(year, a, b), f"read month first as {dt.date(year, a, b):%d %b %Y} ({b} is not a month)"
        day_first = dt.date(year, b, a)
        return day_first, f"ambiguous: read day first as {day_first:%d %b %Y} (month first it would be {dt.date(year, a, b):%d %b %Y})"
    if (m := _WORD_DATE.match(text)) and m.group(2) in MONTHS:
        year = int(m.group(3))
        year = _two_digit_year(year, today) if len(m.group(3)) == 2 else year
        return dt.date(year, MONTHS[m.group(2)], int(m.group(1))), None
    if (m := _WORD_DATE_US.match(text)) and m.group(1) in MONTHS:
        year = int(m.group(3))
        year = _two_digit_year(year, today) if len(m.group(3)) == 2 else year
        return dt.date(year, MONTHS[m.group(1)], int(m.group(2))), None
    raise ValueError("not a date (give dd/mm/yyyy, yyyy-mm-dd or '12 Jan 2024')")


def _in_months(unit: str | None) -> bool:
    return bool(unit) and (unit.startswith(("mo", "mth")) or unit == "m")  # type: ignore[union-attr]


def read_age(value: Any) -> tuple[float | None, bool, str | None]:
    """An age in years from "5 yrs", "6 months", "approx 10", "8-10", "3 y 6 m". Returns
    (years, is an estimate, note). Age 0 is an infant, not a blank.

    Raises:
        ValueError: the text is not an age.
    """
    number = _number(value)
    if number is not None:
        return (None, False, None) if number in AGE_SENTINELS else (number, False, None)
    text = " ".join(str(value).strip().lower().split())
    if not text or (is_text_sentinel(text) and text != "0"):
        return None, False, None
    estimate = False
    if _APPROX.match(text) or _APPROX_TAIL.search(text):
        estimate = True
        text = _APPROX_TAIL.sub("", _APPROX.sub("", text)).strip()
    if m := _AGE_YM.match(text):
        return round(float(m.group(1)) + float(m.group(2)) / 12, 2), estimate, None
    if m := _AGE_RANGE.match(text):
        low, high = float(m.group(1)), float(m.group(2))
        years = round((low + high) / 2 * (1 / 12 if _in_months(m.group(3)) else 1), 2)
        return years, True, f"a range; read as {years:g} years, an estimate"
    if m := _AGE_UNIT.match(text):
        amount, unit = float(m.group(1)), (m.group(2) or "y")
        if _in_months(unit):
            return round(amount / 12, 2), estimate, None
        if unit.startswith(("w",)):
            return round(amount / 52, 2), estimate, None
        if unit.startswith("d"):
            return round(amount / 365, 2), estimate, None
        return amount, estimate, None
    raise ValueError("not an age (give years, e.g. 5, '5 yrs', '6 months', '8-10')")


def read_height_cm(value: Any) -> float | None:
    """A height in cm from 127, "127 cm", "4 ft 2 in", 4'2", "1.27 m", "50 in"; 0, -1, 999 are blanks.

    Raises:
        ValueError: the text is not a height.
    """
    number = _number(value)
    if number is not None:
        if number in NUMBER_SENTINELS:
            return None
        return round(number * 100, 1) if 0.3 <= number <= 2.3 else number  # metres given as a bare number
    text = " ".join(str(value).strip().lower().split())
    if not text or is_text_sentinel(text):
        return None
    if m := _CM.match(text):
        cm = float(m.group(1))
        return None if cm in NUMBER_SENTINELS else cm
    if m := _FEET.match(text):
        feet, inches = float(m.group(1)), float(m.group(2) or 0)
        return round((feet * 12 + inches) * 2.54, 1) or None
    if m := _INCHES.match(text):
        return round(float(m.group(1)) * 2.54, 1) or None
    if m := _METRES.match(text):
        return round(float(m.group(1)) * 100, 1) or None
    raise ValueError("not a height (give cm, e.g. 127, '127 cm' or '4 ft 2 in')")


def read_sex(value: Any) -> str:
    """M, F, X or "" (not given) from the words registers use, in English and Hindi.

    Raises:
        ValueError: the word is not a sex.
    """
    text = " ".join(str(value).strip().lower().rstrip(".").split())
    if text in SEX_WORDS:
        return SEX_WORDS[text]
    if is_text_sentinel(text):
        return ""
    raise ValueError("not a sex (give M, F or X; Male/Female/Boy/Girl/लड़का/लड़की/Transgender are read too)")


def _tidy_text(value: Any) -> Any:
    return "" if value is None or is_text_sentinel(value) else value


def _tidy_list(value: Any) -> Any:
    if isinstance(value, str):
        value = [v.strip() for v in re.split(r"[;,]", value)]
    if isinstance(value, list):
        return [v for v in value if not (v is None or is_text_sentinel(v) or (isinstance(v, str) and not v.strip()))]
    return value


def _tidy_place(place: dict[str, Any], notes: list[FieldNote]) -> dict[str, Any]:
    place = {k: (_tidy_text(v) if k in PLACE_TEXT else v) for k, v in place.items()}
    lat, lon = _number(place.get("lat")), _number(place.get("lon"))
    blank = lambda v: v is None or v == "" or is_text_sentinel(v)  # noqa: E731
    if (lat == 0 and lon == 0) or (blank(place.get("lat")) and blank(place.get("lon"))):
        place.pop("lat", None)
        place.pop("lon", None)
    elif blank(place.get("lat")) != blank(place.get("lon")):
        given = "lat" if not blank(place.get("lat")) else "lon"
        notes.append(FieldNote(f"place.{given}", place.get(given), "given without its pair (lat and lon go together); cleared"))
        place.pop("lat", None)
        place.pop("lon", None)
    state_text = place.get("state") if isinstance(place.get("state"), str) else ""
    district_text = place.get("district") if isinstance(place.get("district"), str) else ""
    state, district = canonical_names(state_text, district_text)
    if state:
        place["state"] = state
    if district:
        place["district"] = district
    return place


def read_fields(data: dict[str, Any], *, today: dt.date) -> tuple[dict[str, Any], list[FieldNote]]:
    """A raw record's fields in the record's own form, and notes on how some were read.

    A value that cannot be read is left as it was: validation then names it, and the
    lenient ingest clears it with a warning.

    Example:
        >>> data, notes = read_fields({"kind": "Found", "id": "F1", "height_cm": 0, "age": "6 months"}, today=dt.date(2025, 1, 1))
        >>> data["kind"], data.get("height_cm"), data["age"]
        ('found', None, 0.5)
    """
    data = {_column(k): v for k, v in data.items()}
    if isinstance(data.get("place"), dict):
        data["place"] = {_column(k): v for k, v in data["place"].items()}
    notes: list[FieldNote] = []
    if isinstance(data.get("kind"), str):
        data["kind"] = KIND_WORDS.get(" ".join(data["kind"].strip().lower().split()), data["kind"].strip().lower())
    if isinstance(data.get("id"), str):
        data["id"] = data["id"].strip()
    for name in TEXT_FIELDS:
        if name in data:
            data[name] = _tidy_text(data[name])
    for name in LIST_FIELDS:
        if name in data:
            data[name] = _tidy_list(data[name])
    if "sex" in data and data["sex"] is not None:
        with contextlib.suppress(ValueError):
            data["sex"] = read_sex(data["sex"])
    if "age" in data and data["age"] is not None:
        try:
            age, estimate, note = read_age(data["age"])
        except ValueError:
            pass
        else:
            if note:
                notes.append(FieldNote("age", data["age"], note))
            data["age"] = age
            if estimate and "age_is_estimate" not in data:
                data["age_is_estimate"] = True
    if "height_cm" in data and data["height_cm"] is not None:
        with contextlib.suppress(ValueError):
            data["height_cm"] = read_height_cm(data["height_cm"])
    if "date" in data and data["date"] is not None:
        try:
            date, note = read_date(data["date"], today=today)
        except (ValueError, OverflowError):
            pass
        else:
            if note:
                notes.append(FieldNote("date", data["date"], note))
            data["date"] = date.isoformat() if date else None
    if isinstance(data.get("place"), dict):
        data["place"] = _tidy_place(data["place"], notes)
    return data, notes
