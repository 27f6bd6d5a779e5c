"""One conformance suite for every text engine: same records in, same top hits out.

The tantivy half always runs. The Elasticsearch half runs against the noida-db emulator of
the Elasticsearch 8 REST API (started by the ``es_server`` fixture; test ids say
``es-emulator``), or against the real server at TRACKCHILD_ES_URL (CI's Elasticsearch 8 and 9
service containers; test ids say ``elasticsearch``). Scores are compared within one engine only.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from indexer import SearchFilters, TextIndex, TextIndexConfig, build_document, open_text_index, parse_record
from tests.conftest import SAMPLE_RECORDS
from tests.es_server import ES_LABEL, EsServer
from tests.factories import found_child, missing_report

EXTRA = [
    missing_report(id="MP-R1", name="Rakesh Sharma", sex="M", age=8),
    missing_report(id="MP-K1", name="Sunil Kumar", sex="M", age=12, father_name="Mahesh Kumar"),
    found_child(id="FC-U1", name="Baby", sex="", age=3, date="2024-11-02"),
]


def _records() -> list:
    raw = [json.loads(line) for line in SAMPLE_RECORDS.read_text().splitlines()]
    return [parse_record(r) for r in [*raw, *EXTRA]]


def es_config(server: EsServer, **overrides: object) -> TextIndexConfig:
    """A config on a fresh, uniquely named alias of the test server."""
    values: dict = {
        "backend": "elasticsearch",
        "es_url": server.url,
        "es_index": f"trackchild-test-{uuid.uuid4().hex[:8]}",
        "es_username": server.username,
        "es_password": server.password,
        "es_ca_certs": server.ca_certs,
        "es_verify_certs": server.verify_certs,
    }
    return TextIndexConfig(**{**values, **overrides})


@pytest.fixture(params=["tantivy", "elasticsearch"], ids=["tantivy", ES_LABEL])
def index(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[TextIndex]:
    if request.param == "tantivy":
        cfg = TextIndexConfig(backend="tantivy", tantivy_path=tmp_path / "text_index")
    else:
        cfg = es_config(request.getfixturevalue("es_server"))
    text_index = open_text_index(cfg)
    text_index.upsert([build_document(r) for r in _records()])
    text_index.commit()
    yield text_index
    if request.param == "elasticsearch":
        text_index.delete_all_generations()  # type: ignore[attr-defined]  # exact names: ES 8 refuses wildcard deletes
    text_index.close()


def ids(hits) -> list[str]:  # type: ignore[no-untyped-def]
    return [h.id for h in hits]


# (query, filters, expected top hits as a set, how many of the top hits that set fills)
QUERIES = [
    ("Hamsini Chad", {}, {"MP-000000", "FC-000001"}),  # swapped order + vowel length on one side
    ("yuvraj vohra", {"kind": "found"}, {"FC-000002"}),
    ("anuz pillai", {}, {"MP-000006", "FC-000003"}),  # surname found via father's name
    ("आदि आनंद", {}, {"MP-000013"}),  # Devanagari query, Latin record
    ("রাকেশ", {}, {"MP-R1"}),  # Bengali query
    ("Rak", {}, {"MP-R1"}),  # police type the start of a name
    ("Kumar S", {}, {"MP-K1"}),  # surname + initial
    ("scar on chin", {}, {"MP-000008", "MP-000001"}),  # description words
    ("Mahatm Kaul", {"kind": "found"}, {"FC-000000"}),  # typo + swapped order
    ("Samarth", {"kind": "missing"}, {"MP-000000"}),  # father's name
    ("Vohra", {"kind": "missing"}, {"MP-000007"}),
]


@pytest.mark.parametrize(("query", "filters", "expected"), QUERIES, ids=[q for q, _, _ in QUERIES])
def test_fixed_queries_give_the_same_top_hits(index: TextIndex, query: str, filters: dict, expected: set[str]) -> None:
    hits = index.search(query, filters=SearchFilters(**filters), limit=10)
    assert set(ids(hits)[: len(expected)]) == expected, [(h.id, round(h.score, 2)) for h in hits[:5]]


def test_hits_say_which_fields_matched_and_how(index: TextIndex) -> None:
    hits = {h.id: h for h in index.search("Hamsini Chad", limit=5)}
    found = hits["FC-000001"]
    assert {(m.field, m.how) for m in found.matched} == {("name", "phonetic"), ("name", "exact")}
    father = index.search("Samarth", filters=SearchFilters(kind="found"), limit=1)[0]
    assert father.matched_fields == ["father_name"]
    assert index.search("scar on chin", limit=1)[0].matched_fields == ["marks"]


def test_filters_unknown_sex_matches_both_and_estimated_ages_widen(index: TextIndex) -> None:
    hits = index.search("", filters=SearchFilters(kind="found", sex="M", age_min=2, age_max=4), limit=50)
    # FC-000004 is an estimated 5 (2-7 years is compatible); FC-U1 has unknown sex.
    assert set(ids(hits)) == {"FC-000000", "FC-000002", "FC-000004", "FC-U1"}


def test_place_date_and_status_filters(index: TextIndex) -> None:
    in_howrah = index.search("", filters=SearchFilters(district="HOWRAH"), limit=50)
    assert set(ids(in_howrah)) == {"FC-000005", "FC-000003", "FC-000008", "MP-000013", "FC-U1"}
    dated = index.search("", filters=SearchFilters(kind="missing", date_from=dt.date(2025, 1, 1), date_to=dt.date(2025, 12, 31)), limit=50)
    assert set(ids(dated)) == {"MP-000001", "MP-000006", "MP-R1", "MP-K1"}
    assert index.search("", filters=SearchFilters(status="traced"), limit=50) == []


def test_upsert_replaces_and_delete_removes(index: TextIndex) -> None:
    before = index.count()
    renamed = parse_record(missing_report(id="MP-R1", name="Mukesh Sharma"))
    index.upsert([build_document(renamed)])
    index.commit()
    assert index.count() == before
    old_name = [h for h in index.search("Rakesh", limit=10) if h.id == "MP-R1"]
    assert all(m.how == "fuzzy" for h in old_name for m in h.matched)  # rakesh~mukesh only, nothing exact
    assert ids(index.search("Mukesh", limit=1)) == ["MP-R1"]
    index.delete(["missing:MP-R1"])
    index.commit()
    assert index.count() == before - 1
    assert "MP-R1" not in ids(index.search("Mukesh Sharma", limit=10))


def test_clear_empties_the_index(index: TextIndex) -> None:
    index.clear()
    index.commit()
    assert index.count() == 0


def test_document_frequency_counts_how_common_evidence_is(index: TextIndex) -> None:
    assert index.document_frequency("name_tokens", "kumar") == 2  # Jackson Kumar, Sunil Kumar
    assert index.document_frequency("name_tokens", "hamsini") == 1


def test_rare_names_outweigh_common_ones(index: TextIndex) -> None:
    # "kumar" is in two records, "jackson" in one: the rare word decides
    hits = index.search("Jackson Kumar", limit=3)
    assert hits[0].id == "MP-000014"
    assert hits[0].score > 1.5 * hits[1].score


@pytest.mark.parametrize("query", ["x" * 10_000, "\x00\x01\x1f", "राकेश Rakesh রাকেশ ராகேஷ் 🙂", "((( OR AND NOT *:* ~2 ^3 \\", ""])
def test_hostile_queries_do_not_crash(index: TextIndex, query: str) -> None:
    assert isinstance(index.search(query, limit=5), list)


def test_limit_is_respected(index: TextIndex) -> None:
    assert len(index.search("", limit=3)) == 3


def test_names_only_search_never_matches_hidden_fields(index: TextIndex) -> None:
    """Outside a user's jurisdiction the service searches names only (issue 11, item 8):
    parents' names and description words must neither find a record nor be named."""
    assert "FC-000001" in ids(index.search("Samarth", filters=SearchFilters(kind="found"), limit=10))  # through the father's name
    by_father = index.search("Samarth", filters=SearchFilters(kind="found"), limit=10, fields="names")
    assert "FC-000001" not in ids(by_father)
    by_marks = index.search("scar on chin", limit=10, fields="names")
    assert not {"MP-000008", "MP-000001"} & set(ids(by_marks))
    for hit in [*by_father, *by_marks, *index.search("Hamsini Chad", limit=10, fields="names")]:
        assert set(hit.matched_fields) <= {"name", "aliases"}, (hit.id, hit.matched_fields)
    assert {"MP-000000", "FC-000001"} <= set(ids(index.search("Hamsini Chad", limit=10, fields="names")))  # names still match
