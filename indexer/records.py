"""The canonical child record: one JSON object per line, shared by import, API and indexes.

Two kinds share one base: a ``MissingReport`` entered at a police station and a
``FoundChild`` entered by CCI staff. ``parse_record`` picks the kind from the ``kind``
field and validates everything at once, so an ingest error can name every bad field.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    TypeAdapter,
    model_validator,
)

RecordKind = Literal["missing", "found"]
Sex = Literal["M", "F", "X", ""]
MissingStatus = Literal["open", "traced", "closed"]
FoundStatus = Literal["in_care", "restored", "transferred"]

_CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

# Spellings of sex seen in registers; anything else is an error, not a silent "unknown".
_SEX_WORDS = {
    "m": "M",
    "male": "M",
    "boy": "M",
    "b": "M",
    "f": "F",
    "female": "F",
    "girl": "F",
    "g": "F",
    "x": "X",
    "other": "X",
    "transgender": "X",
    "t": "X",
    "": "",
    "u": "",
    "unknown": "",
    "na": "",
    "n/a": "",
}


def _clean_text(value: Any) -> Any:
    """Strip whitespace and control characters; None becomes the empty string."""
    if value is None:
        return ""
    if isinstance(value, str):
        return _CONTROL_CHARS.sub("", value).strip()
    return value


def _clean_list(value: Any) -> Any:
    """Accept a list or a ';'-separated string (CSV), drop blanks."""
    if value is None:
        return []
    if isinstance(value, str):
        value = value.split(";")
    if isinstance(value, list):
        return [v for v in (_clean_text(v) for v in value) if v != ""]
    return value


def _id_as_text(value: Any) -> Any:
    """Numeric ids (FIR numbers exported as numbers) are kept as text."""
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


def _parse_sex(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, str):
        key = value.strip().lower()
        if key in _SEX_WORDS:
            return _SEX_WORDS[key]
    return value


# Strings are stripped by pydantic (Rust); blanks and control characters are handled once
# per record in ``_Strict._tidy`` rather than by a Python validator on every field.
Text = Annotated[str, Field(max_length=500)]
LongText = Annotated[str, Field(max_length=4000)]
TextList = Annotated[list[Annotated[str, Field(max_length=200)]], BeforeValidator(_clean_list), Field(max_length=50)]
SexField = Annotated[Sex, BeforeValidator(_parse_sex)]
OptionalFloat = float | None
# a unit's identity: CCTNS police-station code, CCI registration number
UnitCode = Annotated[str, Field(max_length=64, pattern=r"^[A-Za-z0-9_./ -]*$")]
OptionalDate = dt.date | None


class _Strict(BaseModel):
    # Unknown fields are rejected so that a typo ("nmae") is reported, not silently dropped.
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _tidy(cls, data: Any) -> Any:
        """Null and empty values mean "not given" (defaults apply); control characters go."""
        if not isinstance(data, dict):
            return data
        return {
            k: (_CONTROL_CHARS.sub("", v) if _CONTROL_CHARS.search(v) else v) if type(v) is str else v
            for k, v in data.items()
            if v is not None and v != ""
        }


class Place(_Strict):
    """Where the child went missing or was found."""

    city: Text = ""
    district: Text = ""
    state: Text = ""
    lat: Annotated[OptionalFloat, Field(ge=-90, le=90)] = None
    lon: Annotated[OptionalFloat, Field(ge=-180, le=180)] = None
    address: Text = ""

    @model_validator(mode="after")
    def _lat_and_lon_together(self) -> Place:
        if (self.lat is None) != (self.lon is None):
            raise ValueError("give both lat and lon, or neither")
        return self


class ReportedBy(_Strict):
    """The person who reported the child missing (never shown outside the jurisdiction)."""

    name: Text = ""
    phone: Annotated[str, Field(max_length=20, pattern=r"^[0-9+\- ()]*$")] = ""
    relation: Text = ""


class ChildRecordBase(_Strict):
    """Fields both registers share."""

    id: Annotated[str, BeforeValidator(_id_as_text), Field(min_length=1, max_length=64, pattern=r"^[^\s/\\]+$")]
    name: Text = ""
    aliases: TextList = []
    sex: SexField = ""
    age: Annotated[OptionalFloat, Field(ge=0, le=30)] = None
    date: OptionalDate = None
    place: Place = Place()
    father_name: Text = ""
    mother_name: Text = ""
    languages: TextList = []
    height_cm: Annotated[OptionalFloat, Field(ge=30, le=230)] = None
    complexion: Text = ""
    hair: Text = ""
    marks: LongText = ""
    clothing: LongText = ""
    description: LongText = ""
    photos: TextList = []

    @property
    def key(self) -> str:
        """Identity across both registers: ids are unique per kind only."""
        return record_key(self.kind, self.id)  # type: ignore[attr-defined]

    def names(self) -> list[str]:
        """The child's own name and nicknames, non-empty."""
        return [n for n in [self.name, *self.aliases] if n]


class MissingReport(ChildRecordBase):
    """A child reported missing at a police station."""

    kind: Literal["missing"] = "missing"
    age_is_estimate: bool = False
    status: MissingStatus = "open"
    police_station: Text = ""
    # the reporting station's CCTNS code: who may edit the report (the name is for people)
    police_station_code: UnitCode = ""
    fir_number: Text = ""
    reported_by: ReportedBy | None = None


class FoundChild(ChildRecordBase):
    """A child living in a Child Care Institution."""

    kind: Literal["found"] = "found"
    # Found children's ages are estimated by staff unless a document says otherwise.
    age_is_estimate: bool = True
    status: FoundStatus = "in_care"
    cci_name: Text = ""
    # the CCI's registration number: whose child this is (the name is for people)
    cci_code: UnitCode = ""
    cwc: Text = ""


ChildRecord = Annotated[MissingReport | FoundChild, Field(discriminator="kind")]
_record_adapter: TypeAdapter[MissingReport | FoundChild] = TypeAdapter(ChildRecord)


def parse_record(data: dict[str, Any]) -> MissingReport | FoundChild:
    """Validate one raw record (from JSON, CSV or the API).

    Raises:
        pydantic.ValidationError: listing every bad field at once.

    Example:
        >>> parse_record({"kind": "found", "id": "FC-1", "name": "anuz"}).status
        'in_care'
    """
    return _record_adapter.validate_python(data)


def record_key(kind: str, record_id: str) -> str:
    """The key used by the store and every index: ``missing:MP-1``."""
    return f"{kind}:{record_id}"


def split_record_key(key: str) -> tuple[RecordKind, str]:
    """Inverse of ``record_key``."""
    kind, _, record_id = key.partition(":")
    if kind not in ("missing", "found") or not record_id:
        raise ValueError(f"not a record key: {key!r}")
    return kind, record_id  # type: ignore[return-value]
