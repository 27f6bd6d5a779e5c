"""Benchmarks behind ``trackchild bench``: they print figures, they do not assert."""

from __future__ import annotations

import json
import multiprocessing
import random
import resource
import shutil
import statistics
import time
from collections.abc import Iterator
from pathlib import Path

from indexer import RegisterGenerator, render_in_script
from search_api.config import Settings
from search_api.resources import open_resources


def _peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _generate(n: int, target: Path) -> None:
    dataset = RegisterGenerator(seed=11).dataset(n - n // 2, n // 2)
    dataset.write(target)


def bench_input(n: int, work_dir: Path) -> Path:
    """Generated records for a size, cached; made in a child process so its memory is not counted."""
    folder = work_dir / f"n{n}" / "input"
    records = folder / "records.jsonl"
    if not records.exists():
        ctx = multiprocessing.get_context("spawn")
        proc = ctx.Process(target=_generate, args=(n, folder))
        proc.start()
        proc.join()
        if proc.exitcode != 0:
            raise RuntimeError("generating benchmark data failed")
    return records


def _bench_settings(n: int, work_dir: Path) -> Settings:
    return Settings(data_dir=work_dir / f"n{n}" / "data")


def run_ingest_bench(*, n: int, work_dir: Path) -> Iterator[str]:
    records = bench_input(n, work_dir)
    settings = _bench_settings(n, work_dir)
    if settings.data_dir.exists():
        shutil.rmtree(settings.data_dir)
    rss_before = _peak_rss_mib()
    with open_resources(settings) as res:
        ingestor = res.ingestor()
        started = time.perf_counter()
        report = ingestor.ingest_file(records)
        elapsed = time.perf_counter() - started
        yield (
            f"ingest: {report.rows} records ({report.created} created, {report.rejected_rows} rejected) in {elapsed:.1f}s"
            f" = {report.rows / elapsed:,.0f} records/s [{res.text_index.backend}, {res.engine.dialect.name}]"
        )
        started = time.perf_counter()
        again = ingestor.ingest_file(records)
        elapsed = time.perf_counter() - started
        yield f"re-ingest unchanged: {again.unchanged} unchanged in {elapsed:.1f}s = {again.rows / elapsed:,.0f} records/s"
        started = time.perf_counter()
        count = ingestor.reindex()
        elapsed = time.perf_counter() - started
        yield f"reindex from store: {count} records in {elapsed:.1f}s = {count / elapsed:,.0f} records/s"
    yield f"peak RSS: {_peak_rss_mib():.0f} MiB (process at start: {rss_before:.0f} MiB)"


def _query_set(records: Path, n_queries: int, seed: int = 5) -> list[tuple[str, str, str]]:
    """(form, query, target key) drawn from the indexed records, as police would type them."""
    rng = random.Random(seed)
    gen = RegisterGenerator(seed=seed)
    with records.open(encoding="utf-8") as handle:
        rows = [json.loads(line) for line in handle]
    named = [r for r in rows if r["name"] and r["name"].isascii() and len(r["name"].split()) >= 2]
    out: list[tuple[str, str, str]] = []
    forms = ["full", "first", "prefix", "surname_initial", "variant", "devanagari"]
    for i in range(n_queries):
        record = rng.choice(named)
        words = record["name"].lower().split()
        form = forms[i % len(forms)]
        match form:
            case "full":
                query = record["name"]
            case "first":
                query = words[0]
            case "prefix":
                query = words[0][: rng.choice([3, 4])]
            case "surname_initial":
                query = f"{words[-1]} {words[0][0]}"
            case "variant":
                query = " ".join(gen.noisy_word(w) for w in words)
            case _:
                query = render_in_script(" ".join(words), "devanagari")
        out.append((form, query, f"{record['kind']}:{record['id']}"))
    return out


def _percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def run_search_bench(*, n: int, n_queries: int, work_dir: Path) -> Iterator[str]:
    records = bench_input(n, work_dir)
    settings = _bench_settings(n, work_dir)
    if not (settings.data_dir / "text_index").exists():
        yield from run_ingest_bench(n=n, work_dir=work_dir)
    queries = _query_set(records, n_queries)
    with open_resources(settings) as res:
        index = res.text_index
        for _, query, _ in queries[:50]:  # warm caches
            index.search(query, limit=10)
        latencies: list[float] = []
        found_in_top10: dict[str, list[bool]] = {}
        for form, query, target in queries:
            started = time.perf_counter()
            hits = index.search(query, limit=10)
            latencies.append((time.perf_counter() - started) * 1000)
            found_in_top10.setdefault(form, []).append(any(h.key == target for h in hits))
        # Quality, untimed: with common names many records tie; a tie with the best hit is a success.
        top_tied: dict[str, list[bool]] = {}
        for form, query, target in queries:
            hits = index.search(query, limit=1000)
            best = hits[0].score if hits else 0.0
            top_tied.setdefault(form, []).append(any(h.key == target and h.score >= best - 1e-6 for h in hits))
        docs = index.count()
    yield f"search: {len(queries)} queries over {docs} documents [{settings.search_backend}]"
    yield (
        f"latency ms: p50 {_percentile(latencies, 50):.2f}, p95 {_percentile(latencies, 95):.2f}, "
        f"p99 {_percentile(latencies, 99):.2f}, mean {statistics.fmean(latencies):.2f}, max {max(latencies):.1f}"
    )
    yield "by query form: target in top 10 | target scores as high as the best hit (ties count; prefixes are ambiguous by nature)"
    for form, flags in found_in_top10.items():
        tied = top_tied[form]
        yield f"  {form:>16}: {sum(flags) / len(flags):.3f} | {sum(tied) / len(tied):.3f}   (n={len(flags)})"
    yield f"peak RSS: {_peak_rss_mib():.0f} MiB"
