"""A pinned tantivy index (batch runs) answers unexplained searches exactly as an unpinned one,
from memory after a hit's first read, and a commit ends the pin."""

from __future__ import annotations

from indexer import SearchFilters, build_document, parse_record
from tests.factories import found_child, missing_report


def _load(index, records) -> None:  # type: ignore[no-untyped-def]
    index.upsert([build_document(parse_record(r)) for r in records])
    index.commit()


def test_pinned_search_equals_unpinned_and_commit_unpins(tantivy_index) -> None:  # type: ignore[no-untyped-def]
    names = ["Rahul Kumar", "Raahul Kumaar", "Rohit Kumar", "Pooja Devi", "Puja Devi", "Amit Yadav", "Rahul Yadav"]
    _load(tantivy_index, [missing_report(id=f"MP-{i}", name=n, age=8 + i % 5) for i, n in enumerate(names)])
    queries = [("rahul kumar", None), ("puja", None), ("yadav", SearchFilters(kind="missing", age_min=9, age_max=12))]
    before = [[(h.key, h.id, h.kind, h.score) for h in tantivy_index.search(q, filters=f, limit=20, explain=False)] for q, f in queries]
    tantivy_index.pin()
    for _ in range(2):  # the second time from memory
        pinned = [[(h.key, h.id, h.kind, h.score) for h in tantivy_index.search(q, filters=f, limit=20, explain=False)] for q, f in queries]
        assert pinned == before and all(pinned)
    assert tantivy_index.search("rahul", limit=5)[0].matched  # an explained search still reads the documents
    _load(tantivy_index, [found_child(id="FC-9", name="Rahul Kumar")])  # a write ends the pin: the new child is seen
    assert "found:FC-9" in {h.key for h in tantivy_index.search("rahul kumar", limit=20, explain=False)}
