"""Who may do what. A table, enforced in services; jurisdiction rules deepen in issue 6."""

from __future__ import annotations

from search_api.users.models import UserRow

# action → roles allowed
POLICY: dict[str, frozenset[str]] = {
    "create_missing": frozenset({"police", "admin"}),
    "create_found": frozenset({"cci", "cwc", "admin"}),
    "read_record": frozenset({"police", "cci", "cwc", "dcpu", "state", "central", "admin"}),
    "search": frozenset({"police", "cci", "cwc", "dcpu", "state", "central", "admin"}),
    "review_list": frozenset({"cwc", "dcpu", "state", "central", "admin"}),
    "review_decide": frozenset({"cwc", "dcpu", "admin"}),
    "manage_users": frozenset({"admin"}),
}


class PermissionDenied(Exception):
    pass


def authorize(user: UserRow, action: str) -> None:
    if user.role not in POLICY[action]:
        raise PermissionDenied(f"role {user.role!r} may not {action.replace('_', ' ')}")


def may(user: UserRow, action: str) -> bool:
    """Whether to offer an action at all (pages hide what the service would refuse)."""
    return user.role in POLICY[action]
