from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, ConfigDict


class AuditEntryRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: dt.datetime
    username: str
    role: str
    action: str
    outcome: str
    targets: list
    detail: dict
    source: str
    entry_hash: str


class ChainRead(BaseModel):
    ok: bool
    entries: int
    problems: list[str]
