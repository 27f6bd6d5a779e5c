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
    "Source": ("search_api.deps", "Source"),
    "UserRow": ("search_api.users.models", "UserRow"),
    # users
    "log_in": ("search_api.users.flows", "log_in"),
    "log_out": ("search_api.users.flows", "log_out"),
    "log_out_everywhere": ("search_api.users.flows", "log_out_everywhere"),
    "change_password": ("search_api.users.flows", "change_password"),
    "end_all_sessions": ("search_api.users.service", "revoke_all"),
    "PasswordChangeRefused": ("search_api.users.service", "PasswordChangeRefused"),
    "get_user_by_token": ("search_api.users.service", "get_by_token"),
    "LoginFailed": ("search_api.users.service", "LoginFailed"),
    "RateLimited": ("search_api.limits", "RateLimited"),
    # policy
    "may": ("search_api.policy", "may"),
    "authorize": ("search_api.policy", "authorize"),
    "may_send_for_review": ("search_api.policy", "may_send_for_review"),
    "PermissionDenied": ("search_api.policy", "PermissionDenied"),
    "ROLES": ("search_api.users.schemas", "ROLES"),
    # records
    "save_record": ("search_api.records.flows", "save_record"),
    "store_photo": ("search_api.records.flows", "store_photo"),
    "check_photos": ("search_api.faces.service", "check_photos"),
    "match_and_queue": ("search_api.records.flows", "match_and_queue"),
    "open_match_job_of": ("search_api.records.matching_jobs", "open_job_of"),
    "run_match_jobs": ("search_api.records.matching_jobs", "run_pending"),
    "find_candidates": ("search_api.records.flows", "find_candidates"),
    "find_duplicates": ("search_api.records.flows", "find_duplicates"),
    "candidate_views": ("search_api.records.service", "candidate_views"),
    "audit_record_page": ("search_api.records.service", "audit_record_page"),
    "send_for_review": ("search_api.records.flows", "send_for_review"),
    "NotProposed": ("search_api.records.flows", "NotProposed"),
    "list_entered_by": ("search_api.records.flows", "list_entered_by"),
    "RecordInvalid": ("search_api.records.flows", "RecordInvalid"),
    "get_stored_for": ("search_api.records.service", "get_stored_for"),
    "open_record": ("search_api.records.service", "open_record"),
    "view_for": ("search_api.records.service", "view_for"),
    "show_candidates": ("search_api.records.service", "show_candidates"),
    "photo_path_for": ("search_api.records.service", "photo_path_for"),
    # search
    "search_text": ("search_api.search.service", "search_text"),
    "search_photo": ("search_api.search.service", "search_photo"),
    # review
    "list_queue_for": ("search_api.review.flows", "list_queue_for"),
    "count_open_for": ("search_api.review.flows", "count_open_for"),
    "list_pairs_of": ("search_api.review.service", "list_pairs_of"),
    "get_pair_or_raise": ("search_api.review.service", "get_or_raise"),
    "pair_evidence": ("search_api.review.flows", "pair_evidence"),
    "decide_pair": ("search_api.review.flows", "decide_pair"),
    "ConfirmNeedsReason": ("search_api.review.service", "ConfirmNeedsReason"),
    "CannotReopen": ("search_api.review.service", "CannotReopen"),
    "PairNotFound": ("search_api.review.service", "PairNotFound"),
    # duplicates within one register
    "flag_duplicates": ("search_api.records.flows", "flag_duplicates"),
    "list_duplicates_for": ("search_api.review.flows", "list_duplicates_for"),
    "decide_duplicate": ("search_api.review.flows", "decide_duplicate"),
    "duplicate_flags_of": ("search_api.review.duplicates", "flags_of"),
    # audit
    "read_trail": ("search_api.audit.flows", "read_trail"),
    "verify_chain": ("search_api.audit.flows", "verify_chain"),
    # after the match: restoration cases, notifications (issue 15)
    "list_cases": ("search_api.restoration.flows", "list_cases"),
    "case_detail": ("search_api.restoration.flows", "case_detail"),
    "record_case_step": ("search_api.restoration.flows", "record_case_step"),
    "list_overdue_for": ("search_api.restoration.flows", "list_overdue_for"),
    "RESTORATION_STEPS": ("search_api.restoration.service", "STEPS"),
    "StepRefused": ("search_api.restoration.service", "StepRefused"),
    "attach_document": ("search_api.restoration.flows", "attach_document"),
    "open_document": ("search_api.restoration.flows", "open_document"),
    "document_response": ("search_api.restoration.documents", "document_response"),
    "DocumentRejected": ("search_api.restoration.documents", "DocumentRejected"),
    "list_inbox": ("search_api.notifications.service", "list_inbox"),
    "unread_count": ("search_api.notifications.service", "unread_count"),
    "mark_read": ("search_api.notifications.service", "mark_read"),
    "contact_of": ("search_api.notifications.service", "contact_of"),
    "update_preferences": ("search_api.notifications.service", "update_preferences"),
    "ContactUpdate": ("search_api.notifications.schemas", "ContactUpdate"),
    # children in care: plans, events, rolls, transfers between CCIs (issue 15)
    "care_page": ("search_api.care.flows", "care_page"),
    "add_care_goal": ("search_api.care.flows", "add_goal"),
    "add_care_event": ("search_api.care.flows", "add_event"),
    "read_roll": ("search_api.care.flows", "read_roll"),
    "roll_transfers": ("search_api.care.flows", "roll_transfers"),
    "request_transfer": ("search_api.care.flows", "request_transfer"),
    "answer_transfer": ("search_api.care.flows", "answer_transfer"),
    "list_ccis": ("search_api.care.flows", "list_ccis"),
    "may_read_care": ("search_api.care.service", "may_read"),
    "may_answer_transfer": ("search_api.care.service", "may_answer_transfer"),
    "CareRefused": ("search_api.care.service", "CareRefused"),
    "CARE_DOMAINS": ("search_api.care.service", "DOMAINS"),
    "CARE_SETTINGS": ("search_api.care.service", "SETTINGS"),
    "CARE_EVENT_KINDS": ("search_api.care.service", "EVENT_KINDS"),
    # the district service directory (issue 16)
    "directory_search": ("search_api.directory.flows", "search"),
    "directory_import": ("search_api.directory.flows", "import_csv"),
    "directory_export": ("search_api.directory.flows", "export_csv"),
    "DIRECTORY_TYPES": ("search_api.directory.service", "TYPES"),
    "DirectoryRefused": ("search_api.directory.service", "DirectoryRefused"),
    "DirectoryImportReport": ("search_api.directory.service", "ImportReport"),
    # the citizen corner (issue 16)
    "citizen_challenge": ("search_api.citizen.flows", "challenge"),
    "submit_citizen_report": ("search_api.citizen.flows", "submit_report"),
    "list_citizen_reports": ("search_api.citizen.flows", "list_queue"),
    "open_citizen_report": ("search_api.citizen.flows", "open_report"),
    "citizen_report_photo": ("search_api.citizen.flows", "report_photo"),
    "accept_citizen_report": ("search_api.citizen.flows", "accept_report"),
    "reject_citizen_report": ("search_api.citizen.flows", "reject_report"),
    "may_moderate_report": ("search_api.citizen.service", "may_moderate"),
    "citizen_report_held": ("search_api.citizen.service", "is_held"),
    "publish_notice": ("search_api.citizen.flows", "publish_notice"),
    "withdraw_notice": ("search_api.citizen.flows", "withdraw_notice"),
    "list_notices_for": ("search_api.citizen.flows", "list_notices_for"),
    "list_public_notices": ("search_api.citizen.flows", "list_public_notices"),
    "CitizenRefused": ("search_api.citizen.service", "CitizenRefused"),
    "ProofRefused": ("search_api.citizen.proof", "ProofRefused"),
    "CitizenReportNotFound": ("search_api.citizen.service", "ReportNotFound"),
    "NoticeNotFound": ("search_api.citizen.service", "NoticeNotFound"),
    # monitoring for senior officers (issue 16, part 3)
    "POLICE_ACTIONS": ("search_api.monitoring.service", "ACTIONS"),
    "DAY_BUCKETS": ("search_api.monitoring.service", "DAY_BUCKETS"),
    "MonitoringRefused": ("search_api.monitoring.service", "MonitoringRefused"),
    "iso_week": ("search_api.monitoring.service", "iso_week"),
    "group_area": ("search_api.monitoring.service", "group_area"),
    "add_police_action": ("search_api.monitoring.flows", "add_police_action"),
    "police_actions_for_page": ("search_api.monitoring.flows", "actions_for_page"),
    "may_log_police_action": ("search_api.monitoring.flows", "may_log_action"),
    "monitor_dashboard": ("search_api.monitoring.flows", "dashboard"),
    "monitor_drill_down": ("search_api.monitoring.flows", "drill_down"),
    "monitor_drill_link": ("search_api.monitoring.flows", "drill_link"),
    "may_download_digest": ("search_api.monitoring.flows", "may_download_digest"),
    "weekly_digest": ("search_api.monitoring.flows", "weekly_digest"),
    "digest_response": ("search_api.monitoring.views", "digest_response"),
    # vulnerable-location maps (issue 16, part 2)
    "MAP_LABELS": ("search_api.maps.labels", "MAP_LABELS"),
    "MAP_PLACE_KINDS": ("search_api.maps.places", "KINDS"),
    "MapWindow": ("search_api.maps.service", "Window"),
    "MapRefused": ("search_api.maps.service", "MapRefused"),
    "map_home_area": ("search_api.maps.service", "home_area"),
    "map_state_names": ("search_api.maps.service", "state_names"),
    "map_view": ("search_api.maps.flows", "view_map"),
    "map_export_csv": ("search_api.maps.flows", "export_csv"),
    "map_export_image": ("search_api.maps.flows", "export_image"),
    "map_render_svg": ("search_api.maps.render", "render_svg"),
    "MapPngUnavailable": ("search_api.maps.render", "PngUnavailable"),
}

__all__ = ["Resources", "Settings", "open_resources", *_SERVICES]
