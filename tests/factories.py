"""Builders for tests: a valid record with only the fields a test cares about changed, and accounts."""

from __future__ import annotations

import itertools
from collections.abc import Iterable
from typing import Any

_ids = itertools.count(1)


def missing_report(**fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": "missing",
        "id": f"MP-T{next(_ids):05d}",
        "name": "Rahul Kumar",
        "sex": "M",
        "age": 9,
        "date": "2025-01-10",
        "place": {"city": "Patna", "district": "Patna", "state": "Bihar", "lat": 25.59, "lon": 85.13},
        "father_name": "Suresh Kumar",
        "police_station": "Patna Kotwali",
    }
    record.update(fields)
    return record


def found_child(**fields: Any) -> dict[str, Any]:
    record: dict[str, Any] = {
        "kind": "found",
        "id": f"FC-T{next(_ids):05d}",
        "name": "Rahul",
        "sex": "M",
        "age": 10,
        "date": "2025-03-01",
        "place": {"city": "Howrah", "district": "Howrah", "state": "West Bengal", "lat": 22.59, "lon": 88.26},
        "cci_name": "Children Home, Howrah",
    }
    record.update(fields)
    return record


def unit_code_for(unit: str, username: str = "") -> str:
    """A test unit's code, derived from its name (or the username when the unit has none)."""
    return "T-" + "-".join((unit or username).upper().replace(",", " ").split())


def add_users(res: Any, *, password: str, people: Iterable[tuple[str, ...]]) -> None:
    """Accounts, all with one password: (username, role, state, district, unit[, unit_code]) each,
    one commit. Police and CCI accounts without a code get ``unit_code_for(unit, username)``."""
    from search_api.users import service as users
    from search_api.users.schemas import UserCreate

    with res.session_factory() as session:
        for username, role, state, district, unit, *code in people:
            unit_code = code[0] if code else (unit_code_for(unit, username) if role in ("police", "cci") else "")
            user_in = UserCreate(
                username=username, role=role, state=state, district=district, unit=unit, unit_code=unit_code, password=password
            )
            users.create(session=session, user_in=user_in)
        session.commit()


def run_match_jobs(res: Any) -> Any:
    """Run the match jobs filings left (what the server's match worker does after answering)."""
    from search_api.fusion.service import Matcher
    from search_api.records.matching_jobs import run_pending

    return run_pending(res, Matcher(res))
