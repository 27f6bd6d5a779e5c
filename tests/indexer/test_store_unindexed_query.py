"""Finding the records the text index does not hold yet must not scan the register: every filing
asks it while holding the one index writer (at 200,000 records a scan took 80–200 ms there)."""

from __future__ import annotations

from sqlalchemy import select, text

from indexer.store.models import ChildRecordRow
from indexer.store.service import PENDING


def test_the_pending_records_query_uses_the_partial_index(session_factory) -> None:  # type: ignore[no-untyped-def]
    with session_factory() as session:
        rows = [ChildRecordRow(kind="missing", source_id=f"MP-{i}", status="open", payload={}, content_hash=f"h{i}", indexed_hash=f"h{i}")
                for i in range(50)]  # fmt: skip
        rows.append(ChildRecordRow(kind="found", source_id="FC-1", status="open", payload={}, content_hash="new", indexed_hash="old"))
        rows.append(ChildRecordRow(kind="found", source_id="FC-2", status="open", payload={}, content_hash="new", indexed_hash=None))
        session.add_all(rows)
        session.commit()
        # the statement iter_records(only_pending=True) sends
        stmt = select(ChildRecordRow.pk).where(ChildRecordRow.pk > 0).where(PENDING).order_by(ChildRecordRow.pk).limit(2000)
        sql = str(stmt.compile(session.bind, compile_kwargs={"literal_binds": True}))
        if session.bind.dialect.name == "sqlite":
            plan = " ".join(str(row) for row in session.execute(text(f"EXPLAIN QUERY PLAN {sql}")))
        else:
            session.execute(text("SET LOCAL enable_seqscan = off"))  # a 52-row table: ask whether the index CAN serve it
            plan = " ".join(str(row) for row in session.execute(text(f"EXPLAIN {sql}")))
        assert "ix_child_records_unindexed" in plan, plan
        pending = session.scalars(select(ChildRecordRow.source_id).where(PENDING).order_by(ChildRecordRow.pk)).all()
        assert pending == ["FC-1", "FC-2"]
