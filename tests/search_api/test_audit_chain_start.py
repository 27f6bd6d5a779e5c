"""The audit chain's first entries on a new store, written by two transactions at once: both
found no head; the second one's plain insert of the head failed (a 500 on a fresh server's first
requests, and `scripts/probe_audit_head.py` on a new data dir)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

from search_api.audit.service import Actor, append, verify
from search_api.config import Settings
from search_api.db import create_service_schema
from search_api.resources import open_resources

ACTOR = Actor(username="probe", role="admin", source="test")


def test_two_first_appends_on_a_new_store_both_land(store_url: str, tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data", database_url=store_url)
    with open_resources(settings) as res:
        create_service_schema(res.engine)
        errors: list[BaseException] = []
        with res.session_factory() as first:
            append(session=first, actor=ACTOR, action="first")  # the head is made, not yet committed

            def second() -> None:
                try:
                    with res.session_factory() as session:
                        append(session=session, actor=ACTOR, action="second")  # finds no head; waits on the first's write
                        session.commit()
                except BaseException as exc:
                    errors.append(exc)

            other = threading.Thread(target=second)
            other.start()
            time.sleep(0.5)  # the second has read "no head" and waits for the first transaction
            first.commit()
        other.join(timeout=60)
        assert not other.is_alive()
        assert errors == [], errors
        with res.session_factory() as session:
            report = verify(session=session)
        assert report.ok and report.entries == 2, report.problems
