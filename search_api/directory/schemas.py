from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class EntryCreate(BaseModel):
    """One entry as text, like a CSV row: a bad optional field is cleared with a warning."""

    type: str = Field(
        description="police_station, cci, hospital, phc, paediatrician, cwc_member, jjb_member, childline, dcpu, saa or shelter"
    )
    name: str = Field(min_length=1, max_length=200)
    code: str = Field(default="", max_length=64, description="The unit's code (CCTNS code of a station); with the name, what identifies it")
    address: str = Field(default="", max_length=1000)
    phone: str = Field(default="", max_length=60)
    email: str = Field(default="", max_length=200)
    hours: str = Field(default="", max_length=200)
    lat: str = Field(default="", max_length=30)
    lon: str = Field(default="", max_length=30)
    state: str = Field(min_length=1, max_length=100)
    district: str = Field(min_length=1, max_length=100)
    capacity: str = Field(default="", max_length=12, description="CCIs: sanctioned capacity")
    registration_no: str = Field(default="", max_length=64, description="CCIs: registration number under the JJ Act")


class EntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    pk: int
    type: str
    name: str
    code: str
    address: str
    phone: str
    email: str
    hours: str
    lat: float | None
    lon: float | None
    state: str
    district: str
    capacity: int | None
    registration_no: str
    updated_by: str
    updated_at: dt.datetime


class ProblemRead(BaseModel):
    line: int
    field: str
    message: str


class EntrySaved(BaseModel):
    entry: EntryRead
    warnings: list[ProblemRead]


class ImportRead(BaseModel):
    created: int
    updated: int
    errors: list[ProblemRead]
    warnings: list[ProblemRead]
