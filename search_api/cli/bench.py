"""Benchmarks that print measured figures (isolated from the serving code)."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Annotated, Optional

import typer

from search_api.cli.common import out

app = typer.Typer(help="Benchmarks that print measured figures.", no_args_is_help=True)


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
) -> None:
    """Ingest + match --all (found → missing): wall times, recall@1/5/10, MRR, alert rates, peak
    RSS; with --splink, Splink 4's wall time, pairs scored, recall and peak RSS on the same data."""
    from search_api.bench import run_match_bench

    lines = run_match_bench(
        n_missing=n, n_found=found, records=records, truth=truth, seed=seed, work_dir=work_dir, photos=photos,
        workers=workers, splink=splink,
    )  # fmt: skip
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


@app.command("ingest")
def bench_ingest(
    n: Annotated[int, typer.Option(help="Records to ingest (half missing, half found)")] = 100_000,
    work_dir: Annotated[Path, typer.Option(help="Scratch folder (data is kept for bench search)")] = Path("data/bench"),
) -> None:
    """Ingest throughput (records/s) and peak RSS on generated data."""
    from search_api.bench import run_ingest_bench

    for line in run_ingest_bench(n=n, work_dir=work_dir):
        out.print(line)


@app.command("search")
def bench_search(
    n: Annotated[int, typer.Option(help="Records in the index (reuses bench ingest's data)")] = 100_000,
    queries: Annotated[int, typer.Option(help="Queries to time")] = 2000,
    work_dir: Annotated[Path, typer.Option()] = Path("data/bench"),
) -> None:
    """Name-search latency (p50/p95/p99), hit rate and peak RSS."""
    from search_api.bench import run_search_bench

    for line in run_search_bench(n=n, n_queries=queries, work_dir=work_dir):
        out.print(line)


@app.command("faces")
def bench_faces(
    photos: Annotated[Path, typer.Option(help="Folder of photos for the end-to-end figure")] = Path("tests/fixtures/faces"),
    passes: Annotated[int, typer.Option(help="Passes over the photos; the median is reported")] = 5,
    n: Annotated[int, typer.Option(help="Vectors in the face index")] = 200_000,
    queries: Annotated[int, typer.Option(help="Face searches to time")] = 500,
) -> None:
    """Photos/s end to end, faces/s embedding, face search p50/p99 and the sketch's recall@10, peak RSS."""
    from search_api.bench import run_faces_bench

    for line in run_faces_bench(photos_dir=photos, n_vectors=n, n_queries=queries, passes=passes):
        out.print(line)
