"""Who may do what, where. The one place access rules live; services call it on every id.

Roles follow TrackChild's stakeholders. A user's *jurisdiction* is where they see records
in full; anyone with a search role may search and match nationwide (children cross state
lines), but outside their jurisdiction a record shows only what is needed to decide
whether to look closer (``limited_view``). A full record opens to an outsider only
through the review of a pair that involves one of their own records, and that is audited.

Units are named by identity, never by name: a police station by its CCTNS code, a CCI by
its registration number (``unit_code``), and a district always with its state, so "Kotwali"
of Patna is not "Kotwali" of Lucknow and Aurangabad (Bihar) is not Aurangabad (Maharashtra).
An account of a district-level role without a state (or a police/CCI account without a
unit code) is refused when created, and sees nothing if one exists from an older version.

"Own unit" is the unit code (station/CCI); "its district" is the (state, district) pair.

| role    | full view            | creates / edits              | sends for review       | queue        | decides      | audit | export   |
|---------|----------------------|------------------------------|------------------------|--------------|--------------|-------|----------|
| police  | district, own unit   | missing reports of own unit  | own reports: proposed  | –            | –            | –     | –        |
| cci     | children of own unit | found children of own unit   | own children: proposed | –            | –            | –     | –        |
| cwc     | its district         | found children, its district | its district +override | its district | its district | –     | district |
| jjb     | its district         | –                            | –                      | its district | –            | –     | –        |
| dcpu    | its district         | –                            | its district +override | its district | its district | –     | district |
| state   | its state            | –                            | –                      | its state    | –            | state | state    |
| central | national             | –                            | –                      | national     | –            | all   | national |
| admin   | national             | everything                   | everywhere +override   | national     | everywhere   | all   | national |

Police and CCI staff never set a closing status (traced, restored, closed) themselves: a
case closes through a review decision. "Proposed" means the other record is among the
matcher's candidates for the own record when it is sent; a reviewer may send any other
pair only with a reason, and the override is audited.

Citizen corner (issue 16): reports from the public are read by the police and DCPU of their
(state, district) and moderated by its DCPU (``citizen_queue``, ``citizen_moderate``); the police
of a missing child's district or station and the DCPU of its district record a guardian's
consent to a public notice (``notice_consent``). The public itself sees only the notice fields.
Monitoring (issue 16, part 3): dashboards for police and DCPU (their district), state (its
state) and central; elsewhere aggregate counts only. The police action log of a missing report is
written by its reporting station alone (by unit code) and read by that station, the DCPU of the
report's district, the state's users and central. A state's weekly digest: its users and central.
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
    "review_send": frozenset({"police", "cci", "cwc", "dcpu", "admin"}),
    "review_list": frozenset({"cwc", "jjb", "dcpu", "state", "central", "admin"}),
    "review_decide": frozenset({"cwc", "dcpu", "admin"}),
    "audit_read": frozenset({"state", "central", "admin"}),
    "export": frozenset({"cwc", "dcpu", "state", "central", "admin"}),
    "manage_users": frozenset({"admin"}),
    "retention": frozenset({"admin"}),
    # the district service directory: everyone reads it; the DCPU keeps its own district's entries
    "directory_read": frozenset({"police", "cci", "cwc", "jjb", "dcpu", "state", "central", "admin"}),
    "directory_maintain": frozenset({"dcpu", "admin"}),
    # the citizen corner: the district's DCPU moderates public reports, its police read them;
    # police and the DCPU record a guardian's consent to a public notice
    "citizen_queue": frozenset({"police", "dcpu", "admin"}),
    "citizen_moderate": frozenset({"dcpu", "admin"}),
    "notice_consent": frozenset({"police", "dcpu", "admin"}),
    # monitoring (issue 16, part 3): dashboards for senior officers, district ones for the DCPU and
    # the district police; the reporting station logs what it did; the state's weekly digest
    "monitor": frozenset({"police", "dcpu", "state", "central", "admin"}),
    "police_action_add": frozenset({"police"}),
    "police_action_read": frozenset({"police", "dcpu", "state", "central", "admin"}),
    "digest": frozenset({"state", "central", "admin"}),
    # vulnerable-location maps: aggregates only; exact inside the jurisdiction, small counts hidden outside (maps/service.py)
    "maps_read": frozenset({"police", "cci", "cwc", "jjb", "dcpu", "state", "central", "admin"}),
    # the match worker's jobs across the country and their errors (code locations): whoever runs
    # the service. Not monitoring's roles: their dashboards count one area's cases, this is no area's
    "match_jobs": frozenset({"admin"}),
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
# roles whose identity is a unit with a code, and the record field holding the owning unit's code
UNIT_ROLES: dict[str, str] = {"police": "missing", "cci": "found"}
UNIT_CODE_FIELD: dict[str, str] = {"missing": "police_station_code", "found": "cci_code"}
UNIT_NAME_FIELD: dict[str, str] = {"missing": "police_station", "found": "cci_name"}
# statuses that close a case: set by a review decision (or an admin), never by police or CCI staff
CLOSING_STATUSES = frozenset({"traced", "restored", "closed"})


class PermissionDenied(Exception):
    pass


def authorize(user: UserRow, action: str) -> None:
    if user.role not in POLICY[action]:
        raise PermissionDenied(f"role {user.role!r} may not {action.replace('_', ' ')}")


def may(user: UserRow, action: str) -> bool:
    """Whether to offer an action at all (pages hide what the service would refuse)."""
    return user.role in POLICY[action]


def normal(value: str | None) -> str:
    """How names of places and unit codes compare: trimmed, lower case (as the store compares them)."""
    return (value or "").strip().lower()


def _same(a: str | None, b: str | None) -> bool:
    na = normal(a)
    return bool(na) and na == normal(b)


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
    """A district is its (state, district) pair: both must be known on both sides (old names
    and usual spellings resolve through the gazetteer: Orissa is Odisha, Gurgaon is Gurugram)."""
    return _same_state(user.state, state) and _same_district(user, state, district)


def in_district(user: UserRow, state: str, district: str) -> bool:
    """Whether (state, district) is the user's own district (the directory's DCPU keeps its entries)."""
    return _in_district(user, state, district)


def unit_code_of(record: Any) -> str:
    """The code of the unit that owns a record (the reporting station or the CCI); '' if unknown."""
    return getattr(record, UNIT_CODE_FIELD[record.kind], "") or ""


def _own_unit(user: UserRow, record: Any) -> bool:
    return UNIT_ROLES.get(user.role) == record.kind and _same(getattr(user, "unit_code", ""), unit_code_of(record))


def covers(user: UserRow, record: Any) -> bool:
    """Whether ``record`` (a MissingReport or FoundChild) is in the user's jurisdiction."""
    scope = SCOPE.get(user.role)
    place = record.place
    if scope == "national":
        return True
    if scope == "state":
        return _same_state(user.state, place.state)
    if scope == "district":  # police also see their own station's reports, wherever the child went missing
        return _in_district(user, place.state, place.district) or _own_unit(user, record)
    if scope == "institution":
        return _own_unit(user, record)
    return False


def may_edit(user: UserRow, record: Any) -> bool:
    """Police edit their station's missing reports and CCI staff their institution's children
    (by unit code); a CWC the found children of its (state, district); admin anything."""
    if user.role == "admin":
        return True
    if user.role in UNIT_ROLES:
        return _own_unit(user, record)
    return record.kind == "found" and user.role == "cwc" and _in_district(user, record.place.state, record.place.district)


def authorize_edit(user: UserRow, record: Any, *, previous_status: str | None = None) -> None:
    """May this user write ``record``; ``previous_status`` is the stored record's (None if new)."""
    authorize(user, "create_missing" if record.kind == "missing" else "create_found")
    if not may_edit(user, record):
        unit = {"police": "police station (by its code)", "cci": "institution (by its code)"}.get(user.role, "district")
        raise PermissionDenied(f"{record.kind} record {record.id} is not of your {unit}")
    if user.role in UNIT_ROLES and record.status in CLOSING_STATUSES and record.status != previous_status:
        raise PermissionDenied(
            f"{record.kind} record {record.id}: status {record.status!r} closes the case; it is set by a review decision, not directly"
        )


def may_add_police_action(user: UserRow, record: Any) -> bool:
    """Only the reporting station (by its code) logs what it did to trace its own missing child."""
    return record.kind == "missing" and user.role in POLICY["police_action_add"] and _own_unit(user, record)


def may_read_police_actions(user: UserRow, record: Any) -> bool:
    """The reporting station, the DCPU of the child's district, the state's and central users (and admin)."""
    if record.kind != "missing" or user.role not in POLICY["police_action_read"]:
        return False
    if user.role == "police":
        return _own_unit(user, record)
    return covers(user, record)  # dcpu: its (state, district); state: its state; central, admin: all


def may_decide(user: UserRow, missing: Any, found: Any) -> bool:
    """Review decisions belong to the DCPU or CWC of either child's (state, district)."""
    if user.role == "admin":
        return True
    if user.role not in POLICY["review_decide"]:
        return False
    return any(r is not None and _in_district(user, r.place.state, r.place.district) for r in (missing, found))


def may_send_for_review(user: UserRow, record: Any) -> bool:
    """Who may ask for review of a candidate of ``record``: its own unit (police, CCI), or a
    reviewer whose jurisdiction holds it."""
    if not may(user, "review_send"):
        return False
    if user.role in UNIT_ROLES:
        return _own_unit(user, record)
    return covers(user, record)


def may_override_proposal(user: UserRow, record: Any) -> bool:
    """A reviewer (CWC, DCPU, admin) whose jurisdiction holds ``record`` may send a pair the
    matcher did not propose, with a reason."""
    return may(user, "review_decide") and covers(user, record)


def sees_pair(user: UserRow, missing: Any, found: Any) -> bool:
    """A pair opens to whoever has either child in their jurisdiction."""
    return any(r is not None and covers(user, r) for r in (missing, found))


NOWHERE = "\u2205 nowhere"  # matches no stored state or district (not NUL: PostgreSQL refuses NUL in text)


def review_area(user: UserRow) -> tuple[str, str] | None:
    """The part of the review queue a user sees as normalised (state, district): None is
    everywhere, (state, "") a whole state. A missing state or district sees nothing."""
    scope = SCOPE.get(user.role)
    if scope == "national":
        return None
    if scope == "state":
        return (normal(user.state) or NOWHERE, "")
    return (normal(user.state) or NOWHERE, normal(user.district) or NOWHERE)


# search filters on fields the limited view hides: outside the jurisdiction they are not applied,
# so the outside part of the results is the same whatever they say (a filter narrowed around a
# record would otherwise confirm its hidden date)
OUTSIDER_HIDDEN_FILTERS = ("date_from", "date_to")


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
        "contact_unit": getattr(record, UNIT_NAME_FIELD[record.kind], "") or "",
        "contact_unit_code": unit_code_of(record),
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
