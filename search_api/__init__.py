"""The matching service: settings, resources, the API, fusion, review, and the services pages call."""

from search_api.config import Settings
from search_api.resources import Resources, open_resources


def __getattr__(name: str):  # type: ignore[no-untyped-def]
    """The service layer, imported on first use (the CLI must not pay for FastAPI at start-up)."""
    if name in _SERVICES:
        import importlib

        module_name, attr = _SERVICES[name]
        return getattr(importlib.import_module(module_name), attr)
    raise AttributeError(f"module 'search_api' has no attribute {name!r}")


_SERVICES: dict[str, tuple[str, str]] = {
    "create_app": ("search_api.app", "create_app"),
    # request dependencies the web pages share with the API
    "DbSession": ("search_api.deps", "DbSession"),
    "ResourcesDep": ("search_api.deps", "ResourcesDep"),
    "MatcherDep": ("search_api.deps", "MatcherDep"),
    "Candidate": ("search_api.fusion.service", "Candidate"),
    "UserRow": ("search_api.users.models", "UserRow"),
    # users
    "authenticate": ("search_api.users.service", "authenticate"),
    "issue_token": ("search_api.users.service", "issue_token"),
    "revoke_token": ("search_api.users.service", "revoke_token"),
    "get_user_by_token": ("search_api.users.service", "get_by_token"),
    # policy
    "may": ("search_api.policy", "may"),
    "authorize": ("search_api.policy", "authorize"),
    "PermissionDenied": ("search_api.policy", "PermissionDenied"),
    "ROLES": ("search_api.users.schemas", "ROLES"),
    # records
    "save_record": ("search_api.records.flows", "save_record"),
    "store_photo": ("search_api.records.flows", "store_photo"),
    "match_and_queue": ("search_api.records.flows", "match_and_queue"),
    "send_for_review": ("search_api.records.flows", "send_for_review"),
    "list_entered_by": ("search_api.records.flows", "list_entered_by"),
    "RecordInvalid": ("search_api.records.flows", "RecordInvalid"),
    # search
    "search_text": ("search_api.search.service", "search_text"),
    "search_photo": ("search_api.search.service", "search_photo"),
    "with_records": ("search_api.search.service", "with_records"),
    # review
    "list_queue": ("search_api.review.service", "list_queue"),
    "list_pairs_of": ("search_api.review.service", "list_pairs_of"),
    "count_open_pairs": ("search_api.review.service", "count_open"),
    "get_pair_or_raise": ("search_api.review.service", "get_or_raise"),
    "pair_evidence": ("search_api.review.flows", "pair_evidence"),
    "decide_pair": ("search_api.review.flows", "decide_pair"),
    "ConfirmNeedsReason": ("search_api.review.service", "ConfirmNeedsReason"),
    "PairNotFound": ("search_api.review.service", "PairNotFound"),
}

__all__ = ["Resources", "Settings", "open_resources", *_SERVICES]
