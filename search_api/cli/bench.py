"""Benchmarks that print measured figures (isolated from the serving code)."""

from __future__ import annotations

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
) -> None:
    """recall@1/5/10, MRR, alert and false-alert rates and speed of match --all (found → missing)."""
    from search_api.bench import run_match_bench

    lines = run_match_bench(n_missing=n, n_found=found, records=records, truth=truth, seed=seed, work_dir=work_dir, photos=photos)
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
    lag: Annotated[
        Optional[Path], typer.Option(help="Also search REAL vectors: the Large Age-Gap dev split's, with jittered copies up to N")
    ] = None,
    cache: Annotated[Path, typer.Option(help="bench faces-age's vector cache")] = Path("data/bench-faces-age"),
    synthetic: Annotated[bool, typer.Option("--synthetic/--no-synthetic", help="Also search synthetic clustered vectors")] = True,
) -> None:
    """Photos/s end to end, faces/s embedding, face search p50/p99 and the sketch's recall@10, peak RSS."""
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
