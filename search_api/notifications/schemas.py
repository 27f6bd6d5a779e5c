from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict, Field


class InboxRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    pk: int
    event: str
    text: str
    link: str
    created_at: dt.datetime
    read_at: dt.datetime | None


class ContactUpdate(BaseModel):
    email: str | None = Field(default=None, max_length=200, pattern=r"^$|^[^@\s]+@[^@\s]+$")
    phone: str | None = Field(default=None, max_length=32, pattern=r"^$|^\+?[0-9 -]{6,20}$")
    email_enabled: bool | None = None
    sms_enabled: bool | None = None
    daily_digest: bool | None = None


class ContactRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    email: str
    phone: str
    nodal: bool
    email_enabled: bool
    sms_enabled: bool
    daily_digest: bool


class NodalUpdate(BaseModel):
    nodal: bool
