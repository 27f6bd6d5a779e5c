"""Benchmarks that print measured figures (isolated from the serving code)."""

from __future__ import annotations

import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated, Optional

import typer

from search_api.cli.common import fail, out

app = typer.Typer(help="Benchmarks that print measured figures.", no_args_is_help=True)


class Generator(StrEnum):
    classic = "classic"
    independent = "independent"
    both = "both"


class Blocking(StrEnum):
    batch = "batch"
    index = "index"


@app.command("match")
def bench_match(
    n: Annotated[int, typer.Option(help="Missing reports (found children: --found)")] = 10_000,
    found: Annotated[int, typer.Option(help="Found children")] = 2_000,
    records: Annotated[Optional[Path], typer.Option(help="Use these records (JSONL) instead of generating")] = None,
    truth: Annotated[Optional[Path], typer.Option(help="True pairs (JSONL) for --records")] = None,
    seed: Annotated[int, typer.Option()] = 2027,
    work_dir: Annotated[Path, typer.Option()] = Path("data/bench-match"),
    photos: Annotated[
        Optional[Path], typer.Option(help="Folder of identity folders (e.g. ../shared/faces): weakly named true pairs get photos")
    ] = None,
    workers: Annotated[int, typer.Option(min=1, help="Processes for match --all (default: one per CPU core)")] = os.cpu_count() or 1,
    splink: Annotated[bool, typer.Option("--splink", help="Also link the same data with Splink 4 (DuckDB) in this run")] = False,
    model: Annotated[Optional[Path], typer.Option(help="A fusion model file (default: the shipped cold-start model)")] = None,
    generator: Annotated[
        Generator, typer.Option(help="classic (shares rules with the matcher), independent (does not), or both, one after the other")
    ] = Generator.both,
    blocking: Annotated[
        Blocking, typer.Option(help="batch (one in-memory index of the other register) or index (the text engine, per record)")
    ] = Blocking.batch,
) -> None:
    """Ingest + match --all (found → missing): wall times, recall@1/5/10, MRR, alert rates, peak
    RSS; with --splink, Splink 4's wall time, pairs scored, recall and peak RSS on the same data."""
    from search_api.bench import run_match_bench

    chosen = ["classic", "independent"] if generator is Generator.both and records is None else [generator.value]
    for name in chosen:
        if len(chosen) > 1:
            out.print(f"== {name} generator ==")
        lines = run_match_bench(
            n_missing=n,
            n_found=found,
            records=records,
            truth=truth,
            seed=seed,
            work_dir=work_dir,
            photos=photos,
            generator="classic" if name == "both" else name,
            model_path=model,
            workers=workers,
            splink=splink,
            blocking=blocking.value,
        )
        for line in lines:
            out.print(line)


@app.command("duplicates")
def bench_duplicates(
    n: Annotated[int, typer.Option(help="Missing reports (found children: n/2)")] = 10_000,
    share: Annotated[float, typer.Option(help="Share of records reported (or admitted) a second time")] = 0.05,
    seed: Annotated[int, typer.Option()] = 2027,
    work_dir: Annotated[Path, typer.Option()] = Path("data/bench"),
) -> None:
    """Within-side duplicate detection on a generated register: recall and false flags."""
    from search_api.bench import run_duplicates_bench

    for line in run_duplicates_bench(n_missing=n, n_found=n // 2, share=share, seed=seed, work_dir=work_dir):
        out.print(line)


@app.command("learn")
def bench_learn(
    n: Annotated[int, typer.Option(help="Missing reports")] = 6_000,
    found: Annotated[int, typer.Option(help="Found children")] = 4_000,
    seed: Annotated[int, typer.Option(help="Seed of the independent generator")] = 4049,
    per_child: Annotated[int, typer.Option(help="Top candidates a simulated reviewer decides per reviewed found child")] = 3,
    workers: Annotated[int, typer.Option(min=1, help="Processes for match --all")] = os.cpu_count() or 1,
    work_dir: Annotated[Path, typer.Option()] = Path("data/bench-learn"),
) -> None:
    """Learning from reviewers: cold start vs EM on the registers vs EM + simulated reviewers'
    decisions, judged on found children nobody reviewed (independent generator)."""
    from search_api.bench_learn import run_learn_bench

    for line in run_learn_bench(n_missing=n, n_found=found, seed=seed, work_dir=work_dir, per_child=per_child, workers=workers):
        out.print(line)


class Backend(StrEnum):
    tantivy = "tantivy"
    elasticsearch = "elasticsearch"


# Benchmarks never read TRACKCHILD_DATABASE_URL, _SEARCH_BACKEND or _ES_INDEX: where they write is
# named here, and by default is their own folder.
BackendOption = Annotated[Backend, typer.Option(help="Text index to measure (default: tantivy in WORK_DIR)")]
DatabaseOption = Annotated[Optional[str], typer.Option("--database-url", help="Store to write (default: SQLite in WORK_DIR)")]
EsUrlOption = Annotated[Optional[str], typer.Option("--es-url", help="Elasticsearch URL, with --backend elasticsearch")]
EsIndexOption = Annotated[str, typer.Option("--es-index", help="Elasticsearch index name for the benchmark")]
ForceOption = Annotated[bool, typer.Option("--force", help="Write into a store or index that already holds records")]


def _target(backend: Backend, database_url: str | None, es_url: str | None, es_index: str, force: bool):  # type: ignore[no-untyped-def]
    from search_api.bench import BenchTarget

    return BenchTarget(backend=backend.value, database_url=database_url, es_url=es_url, es_index=es_index, force=force)


def _print(lines) -> None:  # type: ignore[no-untyped-def]
    from search_api.bench import BenchRefused

    try:
        for line in lines:
            out.print(line)
    except BenchRefused as exc:
        raise fail(str(exc)) from exc


@app.command("ingest")
def bench_ingest(
    n: Annotated[int, typer.Option(help="Records to ingest (half missing, half found)")] = 100_000,
    work_dir: Annotated[Path, typer.Option(help="Scratch folder (data is kept for bench search)")] = Path("data/bench"),
    backend: BackendOption = Backend.tantivy,
    database_url: DatabaseOption = None,
    es_url: EsUrlOption = None,
    es_index: EsIndexOption = "trackchild-bench",
    force: ForceOption = False,
) -> None:
    """Ingest throughput (records/s) and peak RSS on generated data, in an isolated store."""
    from search_api.bench import run_ingest_bench

    _print(run_ingest_bench(n=n, work_dir=work_dir, target=_target(backend, database_url, es_url, es_index, force)))


@app.command("search")
def bench_search(
    n: Annotated[int, typer.Option(help="Records in the index (reuses bench ingest's data)")] = 100_000,
    queries: Annotated[int, typer.Option(help="Queries to time")] = 2000,
    work_dir: Annotated[Path, typer.Option()] = Path("data/bench"),
    backend: BackendOption = Backend.tantivy,
    database_url: DatabaseOption = None,
    es_url: EsUrlOption = None,
    es_index: EsIndexOption = "trackchild-bench",
    force: ForceOption = False,
) -> None:
    """Name-search latency (p50/p95/p99), hit rate and peak RSS, in an isolated store."""
    from search_api.bench import run_search_bench

    _print(run_search_bench(n=n, n_queries=queries, work_dir=work_dir, target=_target(backend, database_url, es_url, es_index, force)))


@app.command("faces")
def bench_faces(
    photos: Annotated[Path, typer.Option(help="Folder of photos for the end-to-end figure")] = Path("tests/fixtures/faces"),
    passes: Annotated[int, typer.Option(help="Passes over the photos; the median is reported")] = 5,
    n: Annotated[int, typer.Option(help="Vectors in the face index")] = 200_000,
    queries: Annotated[int, typer.Option(help="Face searches to time")] = 500,
    lag: Annotated[
        Optional[Path], typer.Option(help="Also search REAL vectors: the Large Age-Gap dev split's, with jittered copies up to N")
    ] = None,
    cache: Annotated[Path, typer.Option(help="bench faces-age's vector cache")] = Path("data/bench-faces-age"),
    synthetic: Annotated[bool, typer.Option("--synthetic/--no-synthetic", help="Also search synthetic clustered vectors")] = True,
) -> None:
    """Photos/s end to end (into the face index), faces/s embedding, face search p50/p95/p99, recall@10 and memory, peak RSS."""
    from search_api.bench import run_faces_bench

    for line in run_faces_bench(
        photos_dir=photos, n_vectors=n, n_queries=queries, passes=passes, lag=lag, cache=cache, synthetic=synthetic
    ):
        out.print(line)


@app.command("faces-age")
def bench_faces_age(
    lag: Annotated[Path, typer.Option(help="The Large Age-Gap set's Pic folder: <identity>/*.png adults, <identity>/y/*.png children")],
    cache: Annotated[Path, typer.Option(help="Per-photo vectors, one file per embedder and split (keep it outside the repository)")] = Path(
        "data/bench-faces-age"
    ),
    held_out: Annotated[bool, typer.Option("--held-out", help="Evaluate the held-out quarter (acceptance only) instead of dev")] = False,
    fit: Annotated[bool, typer.Option("--fit", help="Fit the embedders' fusion weights on this split, with a two-fold check")] = False,
    weights: Annotated[Optional[list[str]], typer.Option("--weights", help="Also score these fusion weights, e.g. 0.4,0.6")] = None,
    write_levels: Annotated[
        Optional[Path], typer.Option(help="Write the face levels fitted on this split into this fusion model file (model.json)")
    ] = None,
    setting: Annotated[
        Optional[list[str]], typer.Option("--set", help="Override a face setting for a variant, e.g. facenet_crop=box, box_margin=0.3")
    ] = None,
) -> None:
    """Child photo → adult photos (Large Age-Gap): rank-1/10, AUC, TAR at FAR 1 % and 0.1 %, per embedder and fused."""
    import json

    from search_api.bench_faces_age import run_faces_age_bench
    from search_api.config import Settings

    cfg = Settings().face_config()
    overrides = {}
    for item in setting or []:
        key, _, value = item.partition("=")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    if overrides:
        cfg = cfg.model_validate({**cfg.model_dump(), **overrides})
    extra = [tuple(float(v) for v in w.split(",")) for w in weights or []]
    for line in run_faces_age_bench(
        lag=lag, cfg=cfg, cache=cache, held_out=held_out, fit=fit, extra_weights=extra, write_levels=write_levels
    ):
        out.print(line)


class Store(StrEnum):
    sqlite = "sqlite"
    postgres = "postgres"


class MatchOnFiling(StrEnum):
    background = "background"
    inline = "inline"


class MatchWorker(StrEnum):
    serve = "serve"
    process = "process"


@app.command("load")
def bench_load(
    per_side: Annotated[int, typer.Option("--per-side", "--n", help="Records per side (missing reports and found children)")] = 10_000,
    store: Annotated[Store, typer.Option(help="sqlite (in WORK_DIR) or postgres (a schema of its own in --database-url)")] = Store.sqlite,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Server worker processes")] = 2,
    duration: Annotated[float, typer.Option(min=1, help="Seconds of load (after a short warm-up)")] = 60.0,
    users: Annotated[int, typer.Option(min=1, help="Concurrent users")] = 50,
    database_url: Annotated[
        Optional[str], typer.Option("--database-url", help="PostgreSQL for --store postgres (never read from the environment)")
    ] = None,
    work_dir: Annotated[Path, typer.Option()] = Path("data/bench"),
    fresh: Annotated[bool, typer.Option("--fresh", help="Seed again even if WORK_DIR holds this size's data")] = False,
    drop: Annotated[bool, typer.Option("--drop", help="Remove the bench data (and its PostgreSQL schema) after the run")] = False,
    think: Annotated[
        float, typer.Option(min=0, help="Mean think time (s, exponential) between a user's requests; 0: the next at once (closed loop)")
    ] = 0.0,
    match_on_filing: Annotated[
        MatchOnFiling, typer.Option(help="The server's setting: background (a match job after the answer) or inline")
    ] = MatchOnFiling.background,
    match_worker: Annotated[
        MatchWorker, typer.Option(help="Where the match jobs run: serve (a serving worker) or process (match --pending --loop beside it)")
    ] = MatchWorker.serve,
    server_setting: Annotated[
        Optional[list[str]],
        typer.Option("--server-setting", help="NAME=VALUE of a server setting (TRACKCHILD_NAME), repeated; e.g. REQUESTS_AT_WORK=4"),
    ] = None,
) -> None:
    """A real server (serve --workers N) under concurrent users from this process, a mix by role
    (searches, record opens, new records, candidates, the review queue, pairs, decisions, photo
    search): req/s, p50/p95/p99 and errors per route, the match jobs' lag (queued → done) and
    backlog, peak RSS per process, load average, audit entries written, "database is locked"
    count. Run it under flock (CPU-heavy)."""
    from search_api.bench_load import DEFAULT_PG, run_load_bench

    if store is Store.postgres:
        database_url = database_url or DEFAULT_PG
    elif database_url:
        raise fail("--database-url goes with --store postgres")
    extra: dict[str, str] = {}
    for item in server_setting or []:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise fail(f"--server-setting {item!r}: expected NAME=VALUE")
        extra["TRACKCHILD_" + name.strip().upper().removeprefix("TRACKCHILD_")] = value
    lines = run_load_bench(
        n=per_side, users=users, duration=duration, workers=workers, work_dir=work_dir, store=store.value,
        database_url=database_url, fresh=fresh, drop=drop, think=think, match_on_filing=match_on_filing.value,
        server_settings=extra, match_worker=match_worker.value,
    )  # fmt: skip
    for line in lines:
        out.print(line)
