"""The Elasticsearch backend under the conditions of a deployment, against a real ES-API server.

The server is the noida-db emulator of the Elasticsearch 8 REST API (test ids ``es-emulator``),
or real Elasticsearch when TRACKCHILD_ES_URL is set. Faults (429, 500, timeouts, a server
that goes away) come from a loopback proxy in front of it. Each test fails on the backend as
it was before issue 14.
"""

from __future__ import annotations

import dataclasses
import os
import threading
import time
import tomllib
import uuid
from collections.abc import Iterator
from pathlib import Path

import elasticsearch
import pytest

from indexer import BackendUnavailable, IndexMappingMismatch, TextIndexError, build_document, parse_record
from indexer.search.elastic_index import INDEX_MAPPINGS, INDEX_SETTINGS, MAPPING_VERSION, ElasticTextIndex
from tests.es_server import ES_LABEL, EsServer, FaultProxy, free_port
from tests.factories import missing_report

pytestmark = pytest.mark.parametrize("engine", [ES_LABEL])  # the server's name in every test id

ROOT = Path(__file__).resolve().parents[2]


def _docs(n: int, prefix: str = "MP-E"):  # type: ignore[no-untyped-def]
    return [build_document(parse_record(missing_report(id=f"{prefix}{i:05d}", name=f"Child Number{i}"))) for i in range(n)]


def _open(server: EsServer, alias: str, url: str | None = None, **options: object) -> ElasticTextIndex:
    return ElasticTextIndex(
        url or server.url,
        index=alias,
        username=server.username,
        password=server.password,
        ca_certs=server.ca_certs,
        verify_certs=server.verify_certs,
        **options,  # type: ignore[arg-type]
    )


@pytest.fixture
def alias(es_server: EsServer) -> Iterator[str]:
    name = f"trackchild-test-{uuid.uuid4().hex[:8]}"
    yield name
    cleanup = _open(es_server, name)
    cleanup.delete_all_generations()
    cleanup.close()


@pytest.fixture
def proxy(es_server: EsServer) -> Iterator[FaultProxy]:
    fault_proxy = FaultProxy(es_server.url)
    yield fault_proxy
    fault_proxy.stop()


# -- the client ----------------------------------------------------------------------------------------


def test_client_major_is_pinned_to_the_servers(engine: str) -> None:
    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["optional-dependencies"]
    assert "elasticsearch>=8.13,<9" in extras["elasticsearch"]  # a 9.x client sends compatible-with=9, which ES 8 refuses
    # CI's ES 9 leg installs the 9.x client on purpose and says so
    assert elasticsearch.__versionstr__.split(".")[0] == os.environ.get("TRACKCHILD_EXPECT_ES_CLIENT_MAJOR", "8")


def test_a_server_refusing_the_clients_version_names_the_pin(engine: str, es_server: EsServer, proxy: FaultProxy, alias: str) -> None:
    # what ES 8 answers a 9.x client: 400 media_type_header_exception on the first request
    proxy.fail("/", status=400, error_type="media_type_header_exception")
    with pytest.raises(BackendUnavailable, match=r"elasticsearch>=8\.13,<9"):
        _open(es_server, alias, url=proxy.url)


# -- creating, swapping and deleting generations ---------------------------------------------------------


def test_wildcard_deletes_are_refused_and_teardown_deletes_by_exact_name(engine: str, es_server: EsServer, alias: str) -> None:
    index = _open(es_server, alias)
    index.upsert(_docs(3))
    index.commit()
    index.clear()
    index.upsert(_docs(2))
    index.commit()
    client = index._client
    with pytest.raises(elasticsearch.BadRequestError):  # action.destructive_requires_name defaults to true in ES 8
        client.indices.delete(index=f"{alias}-*")
    assert len(index.generations()) == 2
    index.delete_all_generations()
    assert index.generations() == []
    assert not client.indices.exists_alias(name=alias)
    index.close()


def test_processes_starting_at_once_share_one_generation(engine: str, es_server: EsServer, alias: str) -> None:
    # each thread is one process's start-up: its own client and connections, released together by a barrier
    starters = 8
    barrier = threading.Barrier(starters)
    failures: list[BaseException] = []

    def start_and_write(number: int) -> None:
        try:
            barrier.wait()
            index = _open(es_server, alias)
            index.upsert(_docs(1, prefix=f"MP-P{number}-"))
            index.commit()
            index.close()
        except BaseException as exc:
            failures.append(exc)

    threads = [threading.Thread(target=start_and_write, args=(n,)) for n in range(starters)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []  # before: each created an index and aliased it, then "no write index is defined for alias"
    index = _open(es_server, alias)
    assert [g.name for g in index.generations()] == [f"{alias}-000001"]
    assert index.count() == starters
    index.close()


def test_the_swap_keeps_the_replaced_generation_until_the_next_rebuild(engine: str, es_server: EsServer, alias: str) -> None:
    server_process = _open(es_server, alias)
    server_process.upsert(_docs(4))
    server_process.commit()
    reindexing = _open(es_server, alias)
    reindexing.clear()
    reindexing.upsert(_docs(5))
    reindexing.commit()
    gens = {g.name: g for g in reindexing.generations()}
    assert set(gens) == {f"{alias}-000001", f"{alias}-000002"}  # before: 000001 deleted while others may write to it
    assert gens[f"{alias}-000002"].live and not gens[f"{alias}-000001"].live
    # the server process keeps writing through the alias: its writes land in the new generation
    server_process.upsert(_docs(1, prefix="MP-LATE"))
    server_process.commit()
    assert server_process.count() == 6
    reindexing.clear()
    reindexing.upsert(_docs(2))
    reindexing.commit()
    assert [g.name for g in reindexing.generations()] == [f"{alias}-000002", f"{alias}-000003"]  # the oldest pruned
    assert reindexing.count() == 2
    server_process.close()
    reindexing.close()


def test_prune_deletes_failed_and_stale_builds_but_not_a_running_one(engine: str, es_server: EsServer, alias: str) -> None:
    index = _open(es_server, alias)
    other = _open(es_server, alias)
    other.clear()  # another process's rebuild, still running
    running = other._rebuild_index
    index._client.indices.create(
        index=f"{alias}-000009",
        settings=INDEX_SETTINGS,
        mappings={**INDEX_MAPPINGS, "_meta": {"trackchild": {"mapping_version": MAPPING_VERSION, "state": "failed", "created_at": 1.0}}},
    )
    index._client.indices.create(
        index=f"{alias}-000010",
        settings=INDEX_SETTINGS,
        mappings={**INDEX_MAPPINGS, "_meta": {"trackchild": {"mapping_version": MAPPING_VERSION, "state": "building", "created_at": 1.0}}},
    )
    index._client.indices.create(  # a rebuild that has marked itself complete and is about to swap the alias
        index=f"{alias}-000011",
        settings=INDEX_SETTINGS,
        mappings={**INDEX_MAPPINGS, "_meta": {"trackchild": {"mapping_version": MAPPING_VERSION, "state": "complete", "created_at": 1.0}}},
    )
    index._client.indices.create(index=f"{alias}-000012")  # a stray index with our name pattern and no _meta
    assert sorted(index.prune_generations(keep_replaced=False)) == [f"{alias}-000009", f"{alias}-000010", f"{alias}-000012"]
    assert {running, f"{alias}-000011"} <= {g.name for g in index.generations()}
    other.close()  # a rebuild never committed is abandoned at close
    assert running not in {g.name for g in index.generations()}
    index.close()


# -- failed rebuilds ------------------------------------------------------------------------------------


def test_a_failed_bulk_during_a_rebuild_is_never_swapped_in(engine: str, es_server: EsServer, proxy: FaultProxy, alias: str) -> None:
    index = _open(es_server, alias, url=proxy.url, max_retries=0)
    index.upsert(_docs(10))
    index.commit()
    index.clear()
    building = index._rebuild_index
    index.upsert(_docs(3, prefix="MP-NEW"))
    proxy.fail("_bulk", status=500, times=100)
    with pytest.raises(TextIndexError, match="rebuild was abandoned"):
        index.commit()
    proxy.heal()
    index.commit()  # before: this swapped the empty, half-built index in
    assert index.count() == 10
    assert building not in {g.name for g in index.generations()}
    index.close()


def test_a_rejected_document_during_a_rebuild_abandons_it(engine: str, es_server: EsServer, alias: str) -> None:
    index = _open(es_server, alias)
    index.upsert(_docs(4))
    index.commit()
    index.clear()
    bad = dataclasses.replace(_docs(1, prefix="MP-BAD")[0], age_min="nine")  # type: ignore[arg-type]
    index.upsert([*_docs(2, prefix="MP-OK"), bad])
    with pytest.raises(TextIndexError, match=r"rejected 1 of 3 actions.*rebuild was abandoned"):
        index.commit()
    index.commit()
    assert index.count() == 4
    assert [g.name for g in index.generations()] == [f"{alias}-000001"]
    index.close()


# -- errors, retries, versions ---------------------------------------------------------------------------


def test_connection_refused_is_wrapped_with_backend_and_operation(engine: str, es_server: EsServer, proxy: FaultProxy, alias: str) -> None:
    with pytest.raises(BackendUnavailable, match=r"elasticsearch: connect on .* cannot reach http://127\.0\.0\.1:\d+ \(ConnectionError"):
        _open(es_server, alias, url=f"http://127.0.0.1:{free_port()}")
    index = _open(es_server, alias, url=proxy.url)
    index.upsert(_docs(2))
    index.commit()
    proxy.stop()  # the server goes away under a running process
    with pytest.raises(BackendUnavailable, match=r"elasticsearch: search on trackchild-test-\w+ failed: cannot reach"):
        index.search("child", limit=5)
    with pytest.raises(BackendUnavailable, match="elasticsearch: count on"):
        index.count()
    index.upsert(_docs(1, prefix="MP-X"))
    with pytest.raises(BackendUnavailable, match="elasticsearch: bulk write to"):
        index.commit()
    index._client.close()


def test_a_timeout_is_wrapped_with_backend_and_operation(engine: str, es_server: EsServer, proxy: FaultProxy, alias: str) -> None:
    index = _open(es_server, alias, url=proxy.url, request_timeout=0.5)
    proxy.fail("_search", status=200, delay=2.0)
    with pytest.raises(BackendUnavailable, match=r"elasticsearch: search on .* \(ConnectionTimeout"):
        index.search("child", limit=5)
    index.close()


def test_429_is_retried_with_backoff(engine: str, es_server: EsServer, proxy: FaultProxy, alias: str) -> None:
    index = _open(es_server, alias, url=proxy.url, initial_backoff=0.2, max_retries=3)
    index.upsert(_docs(5))
    proxy.fail("_bulk", status=429, times=2)
    started = time.monotonic()
    index.commit()
    assert time.monotonic() - started >= 0.2 + 0.4  # waited 0.2 s, then 0.4 s
    assert index.count() == 5
    proxy.fail("_search", status=429, times=2)
    started = time.monotonic()
    assert len(index.search("child", limit=10)) == 5
    assert time.monotonic() - started >= 0.2 + 0.4
    assert sum("_search" in s for s in proxy.seen) == 3
    proxy.fail("_count", status=429, times=10)
    with pytest.raises(TextIndexError, match=r"elasticsearch: count on .*429"):
        index.count()
    index.close()


def test_an_index_of_another_mapping_version_asks_for_reindex(engine: str, es_server: EsServer, alias: str) -> None:
    # what releases before mapping versions left behind: a timestamped index, no _meta, behind the alias
    legacy = f"{alias}-v20260101000000000000"
    client = elasticsearch.Elasticsearch(
        es_server.url, basic_auth=(es_server.username, es_server.password or "") if es_server.username else None
    )
    client.indices.create(index=legacy, settings=INDEX_SETTINGS, mappings=INDEX_MAPPINGS, aliases={alias: {}})
    index = _open(es_server, alias)
    with pytest.raises(
        IndexMappingMismatch, match=rf"{legacy} has version none, this code writes mapping version {MAPPING_VERSION}.*trackchild reindex"
    ):
        index.search("child")
    index.upsert(_docs(1))
    with pytest.raises(IndexMappingMismatch):
        index.commit()
    # reindex: clear() builds a generation of the current version and the swap makes it live
    index.clear()
    index.upsert(_docs(3))
    index.commit()
    assert index.count() == 3
    assert [g.name for g in index.generations()] == [legacy, f"{alias}-000001"]
    # a live generation whose _meta says another version is refused by a freshly started process
    client.indices.put_mapping(index=f"{alias}-000001", meta={"trackchild": {"mapping_version": MAPPING_VERSION + 1, "state": "complete"}})
    with pytest.raises(IndexMappingMismatch, match=f"has version {MAPPING_VERSION + 1}"):
        _open(es_server, alias).count()
    index.close()
    client.close()


# -- memory and threads ----------------------------------------------------------------------------------


def test_a_rebuild_streams_documents_instead_of_holding_them(engine: str, es_server: EsServer, alias: str) -> None:
    index = _open(es_server, alias, flush_actions=50)
    index.clear()
    building = index._rebuild_index
    for start in range(0, 240, 10):
        index.upsert(_docs(10, prefix=f"MP-S{start}-"))
        assert len(index._pending) < 50
    index._client.indices.refresh(index=building)
    assert index._client.count(index=building)["count"] >= 200  # already on the server before commit
    assert index.count() == 0  # and not visible until the swap
    index.commit()
    assert index.count() == 240
    index.close()


def test_writes_from_many_request_threads_are_never_lost(engine: str, es_server: EsServer, alias: str) -> None:
    index = _open(es_server, alias, flush_actions=1_000_000)
    threads_n, per_thread = 8, 150
    stop = threading.Event()
    failures: list[BaseException] = []

    def writer(n: int) -> None:
        try:
            for i in range(per_thread):  # each request builds its document, then queues it
                index.upsert(_docs(1, prefix=f"MP-T{n}-{i}-"))
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    def committer() -> None:
        try:
            while not stop.is_set():
                index.commit()
        except BaseException as exc:  # pragma: no cover - reported below
            failures.append(exc)

    commits = threading.Thread(target=committer)
    commits.start()
    writers = [threading.Thread(target=writer, args=(n,)) for n in range(threads_n)]
    for thread in writers:
        thread.start()
    for thread in writers:
        thread.join()
    stop.set()
    commits.join()
    index.commit()
    assert failures == []
    assert index.count() == threads_n * per_thread  # before: writes queued during a bulk were cleared unsent
    index.close()
