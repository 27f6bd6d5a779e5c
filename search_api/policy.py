"""Who may do what, where. The one place access rules live; services call it on every id.

Roles follow TrackChild's stakeholders. A user's *jurisdiction* is where they see records
in full; anyone with a search role may search and match nationwide (children cross state
lines), but outside their jurisdiction a record shows only what is needed to decide
whether to look closer (``limited_view``). A full record opens to an outsider only
through the review of a pair that involves one of their own records, and that is audited.

| role    | jurisdiction (full view)         | creates / edits                        | review queue   | decides        | audit  | export  |
|---------|----------------------------------|----------------------------------------|----------------|----------------|--------|---------|
| police  | its district                     | missing reports of its own station     | –              | –              | –      | –       |
| cci     | children of its own institution  | found children of its own institution  | –              | –              | –      | –       |
| cwc     | its district                     | found children in its district         | its district   | its district   | –      | district|
| jjb     | its district                     | –                                      | its district   | –              | –      | –       |
| dcpu    | its district                     | –                                      | its district   | its district   | –      | district|
| state   | its state                        | –                                      | its state      | –              | state  | state   |
| central | national                         | –                                      | national       | –              | all    | national|
| admin   | national                         | everything                             | national       | everywhere     | all    | national|
"""

from __future__ import annotations

from typing import Any

from indexer import resolve_district, resolve_state
from search_api.users.models import UserRow

# action → roles allowed (the role column of the table above)
POLICY: dict[str, frozenset[str]] = {
    "create_missing": frozenset({"police", "admin"}),
    "create_found": frozenset({"cci", "cwc", "admin"}),
    "read_record": frozenset({"police", "cci", "cwc", "jjb", "dcpu", "state", "central", "admin"}),
    "search": frozenset({"police", "cci", "cwc", "jjb", "dcpu", "state", "central", "admin"}),
    "review_list": frozenset({"cwc", "jjb", "dcpu", "state", "central", "admin"}),
    "review_decide": frozenset({"cwc", "dcpu", "admin"}),
    "audit_read": frozenset({"state", "central", "admin"}),
    "export": frozenset({"cwc", "dcpu", "state", "central", "admin"}),
    "manage_users": frozenset({"admin"}),
    "retention": frozenset({"admin"}),
}
# how far a role's jurisdiction reaches
SCOPE: dict[str, str] = {
    "police": "district",
    "cci": "institution",
    "cwc": "district",
    "jjb": "district",
    "dcpu": "district",
    "state": "state",
    "central": "national",
    "admin": "national",
}


class PermissionDenied(Exception):
    pass


def authorize(user: UserRow, action: str) -> None:
    if user.role not in POLICY[action]:
        raise PermissionDenied(f"role {user.role!r} may not {action.replace('_', ' ')}")


def may(user: UserRow, action: str) -> bool:
    """Whether to offer an action at all (pages hide what the service would refuse)."""
    return user.role in POLICY[action]


def _same(a: str | None, b: str | None) -> bool:
    return bool(a and b) and a.strip().casefold() == b.strip().casefold()  # type: ignore[union-attr]


def _same_state(a: str | None, b: str | None) -> bool:
    """One state, also under an old name or usual spelling (Orissa is Odisha)."""
    return _same(a, b) or (bool(a and b) and resolve_state(a) is not None and resolve_state(a) == resolve_state(b))  # type: ignore[arg-type]


def _same_district(user: UserRow, state: str, district: str) -> bool:
    """One district, also under an old name (Gurgaon is Gurugram): records are stored by the gazetteer's name."""
    if _same(user.district, district):
        return True
    if not (user.district and district):
        return False
    mine, theirs = resolve_district(user.district, user.state or ""), resolve_district(district, state or "")
    return mine is not None and mine == theirs


def _in_district(user: UserRow, state: str, district: str) -> bool:
    return _same_district(user, state, district) and (not user.state or not state or _same_state(user.state, state))


def covers(user: UserRow, record: Any) -> bool:
    """Whether ``record`` (a MissingReport or FoundChild) is in the user's jurisdiction."""
    scope = SCOPE.get(user.role)
    place = record.place
    if scope == "national":
        return True
    if scope == "state":
        return _same_state(user.state, place.state)
    if scope == "district":
        return _in_district(user, place.state, place.district)
    if scope == "institution":
        return record.kind == "found" and _same(user.unit, record.cci_name)
    return False


def may_edit(user: UserRow, record: Any) -> bool:
    """Police edit their station's missing reports; CCI staff their institution's children;
    a CWC the found children of its district; admin anything."""
    if user.role == "admin":
        return True
    if record.kind == "missing":
        return user.role == "police" and _same(user.unit, record.police_station)
    if user.role == "cci":
        return _same(user.unit, record.cci_name)
    return user.role == "cwc" and _in_district(user, record.place.state, record.place.district)


def authorize_edit(user: UserRow, record: Any) -> None:
    authorize(user, "create_missing" if record.kind == "missing" else "create_found")
    if not may_edit(user, record):
        unit = "police station" if record.kind == "missing" else ("institution" if user.role == "cci" else "district")
        raise PermissionDenied(f"{record.kind} record {record.id} is not of your {unit}")


def may_decide(user: UserRow, missing: Any, found: Any) -> bool:
    """Review decisions belong to the DCPU or CWC of either child's district."""
    if user.role == "admin":
        return True
    if user.role not in POLICY["review_decide"]:
        return False
    return any(r is not None and _in_district(user, r.place.state, r.place.district) for r in (missing, found))


def sees_pair(user: UserRow, missing: Any, found: Any) -> bool:
    """A pair opens to whoever has either child in their jurisdiction."""
    return any(r is not None and covers(user, r) for r in (missing, found))


def review_area(user: UserRow) -> tuple[str, str] | None:
    """The part of the review queue a user sees: None is everywhere."""
    scope = SCOPE.get(user.role)
    if scope == "national":
        return None
    if scope == "state":
        return (user.state, "")
    return (user.state, user.district or "\x00")  # a district role without a district sees nothing


def first_name(name: str) -> str:
    return name.split()[0] if name and name.split() else ""


def limited_view(record: Any) -> dict:
    """What anyone with a search role may see of any record: enough to decide whether to
    look closer and whom to contact; never the reporter, the address or free text."""
    return {
        "id": record.id,
        "kind": record.kind,
        "first_name": first_name(record.name),
        "age": record.age,
        "sex": record.sex,
        "place": {"state": record.place.state, "district": record.place.district},
        "status": record.status,
        "photo_count": len(record.photos),
        "contact_unit": (record.police_station if record.kind == "missing" else record.cci_name) or "",
        "access": "limited",
    }


def limited_explanation(explanation: dict) -> dict:
    """An explanation without either child's values: labels and weights only."""
    return {
        **explanation,
        "features": {
            name: {"level": row.get("level"), "weight_bits": row.get("weight_bits"), "label": row.get("label")}
            for name, row in (explanation.get("features") or {}).items()
        },
    }
