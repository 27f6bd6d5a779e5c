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
from dataclasses import dataclass
from pathlib import Path

from indexer import Dataset, IndependentGenerator, RegisterGenerator, render_in_script
from search_api.config import Settings
from search_api.resources import open_resources

GENERATORS = ("classic", "independent")


def generate_dataset(generator: str, *, seed: int, n_missing: int, n_found: int) -> Dataset:
    """A labelled register from one of the two generators.

    ``classic`` was written beside the matcher and shares its rules (spelling variants, age
    errors, railway hubs, growth rate): its figures are partly circular. ``independent``
    writes its noise from how registers go wrong and shares no rule with the matcher.
    """
    match generator:
        case "classic":
            return RegisterGenerator(seed=seed).dataset(n_missing, n_found)
        case "independent":
            return IndependentGenerator(seed=seed).dataset(n_missing, n_found)
        case _:
            raise ValueError(f"unknown generator {generator!r}; use one of {', '.join(GENERATORS)}")


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


class BenchRefused(RuntimeError):
    """A benchmark was pointed at a store or index that holds data, without ``--force``."""


@dataclass(frozen=True)
class BenchTarget:
    """Where a benchmark writes. Never read from the environment: by default a SQLite store and a
    tantivy index in the benchmark's own folder; anything else is named on the command line."""

    backend: str = "tantivy"
    database_url: str | None = None
    es_url: str | None = None
    es_index: str = "trackchild-bench"
    force: bool = False  # allow a store or index that already holds records


def _bench_settings(n: int, work_dir: Path, target: BenchTarget | None = None) -> Settings:
    target = target or BenchTarget()
    return Settings.isolated(
        data_dir=work_dir / f"n{n}" / "data",
        database_url=target.database_url,
        search_backend=target.backend,
        es_url=target.es_url,
        es_index=target.es_index,
    )


def _check_target(settings: Settings, target: BenchTarget) -> None:
    """Refuse a store or Elasticsearch index given on the command line that holds records."""
    if target.force:
        return
    if settings.database_url:
        from sqlalchemy import inspect, text

        from indexer import make_engine

        engine = make_engine(settings.database_url)
        try:
            with engine.connect() as conn:
                has_records = "child_records" in inspect(conn).get_table_names()
                held = conn.execute(text("SELECT count(*) FROM child_records")).scalar() if has_records else 0
        finally:
            engine.dispose()
        if held:
            raise BenchRefused(f"the store at --database-url holds {held} records; a benchmark writes synthetic children into it: "
                               "give an empty store, or --force")  # fmt: skip
    if settings.search_backend == "elasticsearch":
        from indexer import open_text_index

        index = open_text_index(settings.text_index_config())
        try:
            held = index.count()
        finally:
            index.close()
        if held:
            raise BenchRefused(f"the Elasticsearch index {settings.es_index!r} holds {held} documents: give another --es-index, or --force")


def _empty_store(data_dir: Path, settings: Settings | None = None) -> Settings:
    """Settings on a data dir emptied first: each run measures a fresh store."""
    if data_dir.exists():
        shutil.rmtree(data_dir)
    return settings or Settings.isolated(data_dir=data_dir)


def run_ingest_bench(*, n: int, work_dir: Path, target: BenchTarget | None = None) -> Iterator[str]:
    target = target or BenchTarget()
    records = bench_input(n, work_dir)
    settings = _bench_settings(n, work_dir, target)
    _check_target(settings, target)
    settings = _empty_store(settings.data_dir, settings)
    rss_before = _peak_rss_mib()
    with open_resources(settings) as res:
        ingestor = res.ingestor()
        started = time.perf_counter()
        report = ingestor.ingest_file(records)
        elapsed = time.perf_counter() - started
        yield (
            f"ingest: {report.rows} records ({report.created} created, {report.rejected_rows} rejected) in {elapsed:.1f}s"
            f" = {report.rows / elapsed:,.0f} records/s on {res.text_index.backend} + {res.engine.dialect.name}"
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


def run_search_bench(*, n: int, n_queries: int, work_dir: Path, target: BenchTarget | None = None) -> Iterator[str]:
    target = target or BenchTarget()
    records = bench_input(n, work_dir)
    settings = _bench_settings(n, work_dir, target)
    if target.backend != "tantivy" or target.database_url:
        indexed = 0  # an outside store or index: measured only on what this run loads into it
    else:
        with open_resources(settings) as res:
            indexed = res.text_index.count()
    if indexed < n:
        yield from run_ingest_bench(n=n, work_dir=work_dir, target=target)
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
    yield f"search: {len(queries)} queries over {docs} documents on {settings.search_backend}"
    yield (
        f"latency ms: p50 {_percentile(latencies, 50):.2f}, p95 {_percentile(latencies, 95):.2f}, "
        f"p99 {_percentile(latencies, 99):.2f}, mean {statistics.fmean(latencies):.2f}, max {max(latencies):.1f}"
    )
    yield "by query form: target in top 10 | target scores as high as the best hit (ties count; prefixes are ambiguous by nature)"
    for form, flags in found_in_top10.items():
        tied = top_tied[form]
        yield f"  {form:>16}: {sum(flags) / len(flags):.3f} | {sum(tied) / len(tied):.3f}   (n={len(flags)})"
    yield f"peak RSS: {_peak_rss_mib():.0f} MiB"


def _clustered_unit_vectors(rng, n: int, identities: int, noise: float = 0.04):  # type: ignore[no-untyped-def]
    """Face-like data: identities are random unit centres, photos noisy members of them.

    With noise 0.04 in 512 dimensions two photos of one identity score about 0.55 and
    unrelated photos about 0 ± 0.05, roughly as FaceNet scores real faces.
    """
    import numpy as np

    centres = rng.standard_normal((identities, 512)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    out = np.empty((n, 512), dtype=np.float32)
    for start in range(0, n, 100_000):
        stop = min(n, start + 100_000)
        block = centres[rng.integers(0, identities, stop - start)] + noise * rng.standard_normal((stop - start, 512)).astype(np.float32)
        out[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    return out


def _rss_mib() -> float:
    """Resident memory now (not the peak), from /proc."""
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[1])
    except (OSError, ValueError, IndexError):  # pragma: no cover - not Linux
        return float("nan")
    return pages * resource.getpagesize() / 2**20


def run_faces_bench(
    *,
    photos_dir: Path,
    n_vectors: int,
    n_queries: int,
    passes: int = 5,
    lag: Path | None = None,
    cache: Path | None = None,
    synthetic: bool = True,
) -> Iterator[str]:
    import os

    import numpy as np

    from embeddings import FaceIndex, FacePipeline

    settings = Settings()
    pipeline = FacePipeline(settings.face_config())
    started = time.perf_counter()
    pipeline.load()
    yield f"model load: {time.perf_counter() - started:.1f}s ({pipeline.model_id}, {settings.face_threads} workers)"
    files = sorted(p for p in photos_dir.rglob("*") if p.suffix.lower() in (".jpg", ".jpeg", ".png"))
    datas = [p.read_bytes() for p in files]
    outcomes = []
    if datas:
        pipeline.embed_images(datas[:4])  # warm up
        rates, cpu = [], []
        for _ in range(passes):  # a shared 2-core VM is noisy: several passes, the median reported
            index = FaceIndex(model_id=pipeline.model_id, dimension=pipeline.dimension, flat_max=settings.face_flat_max)
            started, cpu_started = time.perf_counter(), time.process_time()
            # 16 photos per call, as ingestion does; each photo's primary face filed in the face index
            outcomes = []
            for start in range(0, len(datas), 16):
                chunk = pipeline.embed_images(datas[start : start + 16])
                filed = [(n, o.primary) for n, o in enumerate(chunk, start) if o.primary is not None]
                if filed:
                    items = [(f"found:{n}", str(n), "found", True) for n, _ in filed]
                    index.add_batch(items, np.stack([face.embedding for _, face in filed]))
                outcomes.extend(chunk)
            rates.append(len(datas) / (time.perf_counter() - started))
            cpu.append((time.process_time() - cpu_started) / len(datas))
        faces = sum(len(o.faces) for o in outcomes)
        size_mb = sum(map(len, datas)) / 1e6
        yield (
            f"end to end (decode, detect, crop and align, both embedders, face index add): {len(datas)} photos "
            f"({size_mb:.1f} MB, {faces} faces), {settings.face_threads} workers: "
            f"median {statistics.median(rates):.1f} photos/s over {passes} passes ({', '.join(f'{r:.1f}' for r in rates)}); "
            f"load average {', '.join(f'{v:.1f}' for v in os.getloadavg())} on {os.cpu_count()} cores"
        )
        # CPU seconds per photo do not depend on how busy the machine is: what free cores would give
        per_photo = statistics.median(cpu)
        yield (
            f"CPU per photo: median {per_photo * 1000:.0f} ms (all threads); on {settings.face_threads} free cores at most "
            f"{settings.face_threads / per_photo:.1f} photos/s (perfect sharing assumed)"
        )
        for encoder in pipeline.encoders:
            side = 112 if encoder.dimension == 128 else 160
            crops = np.random.default_rng(0).integers(0, 255, (32, side, side, 3), dtype=np.uint8)
            encoder.embed_batch(crops[:4])
            started = time.perf_counter()
            encoder.embed_batch(crops)
            yield f"embedding only, one worker, {encoder.model_id}: {32 / (time.perf_counter() - started):.1f} faces/s"
        yield f"peak RSS after the photos: {_peak_rss_mib():.0f} MiB"
    # two cluster strengths: two photos of one identity score about 0.55 (adult faces, as
    # FaceNet scores them) or about 0.4 (weaker: a child photographed years apart)
    for noise in (0.04, 0.06) if synthetic else ():
        yield from _face_search_bench(n_vectors, n_queries, noise)
    if lag is not None:
        # real embeddings: the dev split's and these photos' fused vectors, and jittered copies of them
        noise = 0.04  # a copy scores about 0.7 with its original, as two adult photos of one person do
        photo_faces = [(f.parent.name, o.primary.embedding) for f, o in zip(files, outcomes, strict=False) if o.primary is not None]
        data, queries, copy_cosine = real_face_vectors(
            lag=lag, cache=cache or Path("data/bench-faces-age"), n_vectors=n_vectors, noise=noise, photos=photo_faces
        )
        label = (
            f"real vectors (LAG dev adults and {photos_dir.name}) + copies jittered by {noise} (copy↔original cosine "
            f"{copy_cosine:.2f}); queries: held-aside real photos of the same people (LAG child photos, one photo per person of "
            f"{photos_dir.name}), never their copies"
        )
        yield from _search_bench(data, queries[:n_queries], label)
    yield f"peak RSS: {_peak_rss_mib():.0f} MiB"


def _face_search_bench(n_vectors: int, n_queries: int, noise: float) -> Iterator[str]:
    """Exact against inverted-file search on clustered face-like vectors: latency and recall@10."""
    import numpy as np

    rng = np.random.default_rng(7)
    # 20 photos per identity, so the true top 10 of a query photo are photos of the same identity
    identities = max(10, n_vectors // 20)
    data = _clustered_unit_vectors(rng, n_vectors, identities=identities, noise=noise)
    # queries: new photos of indexed identities (same centres: same generator seed, fresh noise)
    centre_rng = np.random.default_rng(7)
    centres = centre_rng.standard_normal((identities, 512)).astype(np.float32)
    centres /= np.linalg.norm(centres, axis=1, keepdims=True)
    noise_rng = np.random.default_rng(8)
    queries = centres[noise_rng.integers(0, identities, n_queries)] + noise * noise_rng.standard_normal((n_queries, 512)).astype(np.float32)
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    yield from _search_bench(data, queries, f"clusters with noise {noise}")


def _search_bench(data, queries, label: str) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Exact against the product's large-index search of ``queries`` in ``data`` (unit vectors):
    build time, latency, recall@10 of the records found, memory the index holds."""
    from embeddings import FaceIndex

    n_vectors, dimension = data.shape
    items = [(f"found:{i}", "p", "found", True) for i in range(n_vectors)]
    results = {}
    for name, flat_max in (("exact (IDMap2,Flat)", 10**9), ("product index", 0)):
        before = _rss_mib()
        index = FaceIndex(model_id="bench", dimension=dimension, flat_max=flat_max)
        started = time.perf_counter()
        for start in range(0, n_vectors, 100_000):
            index.add_batch(items[start : start + 100_000], data[start : start + 100_000])
        build = time.perf_counter() - started
        memory = _rss_mib() - before
        index.search(queries[0], k=10)
        latencies, hits = [], []
        for q in queries:
            t0 = time.perf_counter()
            found = index.search(q, k=10)
            latencies.append((time.perf_counter() - t0) * 1000)
            hits.append({h.record_key for h in found})
        results[name] = hits
        p50, p95, p99 = (_percentile(latencies, pct) for pct in (50, 95, 99))
        yield (
            f"face search {name} [{index.factory}]: {n_vectors:,} vectors of {dimension} dims, build {build:.1f}s, "
            f"p50 {p50:.2f} ms, p95 {p95:.2f} ms, p99 {p99:.2f} ms, memory +{memory:.0f} MiB"
        )
        del index
    exact, approx = results.values()
    recall = statistics.fmean(len(a & e) / max(1, len(e)) for a, e in zip(approx, exact, strict=True))
    yield f"recall@10 against exact search: {recall:.3f} ({label}; {len(queries)} queries)"


def real_face_vectors(*, lag: Path, cache: Path, n_vectors: int, noise: float, photos=(), seed: int = 11):  # type: ignore[no-untyped-def]
    """Index and queries from REAL embeddings: the fused vectors of the Large Age-Gap dev split's
    adult photos and of ``photos`` ((person, vector) pairs), then noise-jittered copies of them
    (re-normalised) up to ``n_vectors``. The queries are held aside, never indexed: the split's
    child photos and one photo of each person of ``photos`` with two or more. Returns (data,
    queries, typical copy-to-original cosine)."""
    import numpy as np

    from search_api.bench_faces_age import embed_parts, fuse, lag_photos

    cfg = Settings().face_config()
    lag_list = lag_photos(lag, split="dev")
    fused = fuse(list(embed_parts(cfg, lag, lag_list, split="dev", cache=cache).values()), cfg.weights)
    indexed = [fused.vectors[i] for i, p in enumerate(lag_list) if not p.child and fused.ok[i]]
    children = [fused.vectors[i] for i, p in enumerate(lag_list) if p.child and fused.ok[i]]
    # in a fixed shuffled order, so that a shorter query list still mixes people
    held = [children[i] for i in np.random.default_rng(seed + 1).permutation(len(children))]
    per_person: dict[str, list] = {}
    for person, vector in photos:
        per_person.setdefault(person, []).append(vector)
    for vectors in per_person.values():
        if len(vectors) > 1:
            held.insert(0, vectors[0])  # first, so that a short query list still holds them
        indexed.extend(vectors[1:] if len(vectors) > 1 else vectors)
    originals = np.stack(indexed).astype(np.float32)
    rng = np.random.default_rng(seed)
    data = np.empty((n_vectors, originals.shape[1]), np.float32)
    data[: len(originals)] = originals
    for start in range(len(originals), n_vectors, 100_000):
        stop = min(n_vectors, start + 100_000)
        block = originals[rng.integers(0, len(originals), stop - start)]
        block = block + noise * rng.standard_normal(block.shape).astype(np.float32)
        data[start:stop] = block / np.linalg.norm(block, axis=1, keepdims=True)
    sample = originals[:1000] + noise * rng.standard_normal((min(1000, len(originals)), originals.shape[1])).astype(np.float32)
    sample /= np.linalg.norm(sample, axis=1, keepdims=True)
    copy_cosine = float(np.median(np.sum(sample * originals[: len(sample)], axis=1)))
    return data, np.stack(held).astype(np.float32), copy_cosine


PHOTO_SUFFIXES = (".jpg", ".jpeg", ".png")


def _attach_photos(dataset, photos_dir: Path) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    """Give true pairs whose found child is weakly named (no name, or one word) two different
    photos of one real identity: one on the report, one on the found child. One identity per
    pair, so no two pairs share a face. Returns the (found id, missing id) pairs with photos."""
    identities = sorted(d for d in photos_dir.iterdir() if d.is_dir() and d.name not in ("hard", "multi"))
    by_id = {r["id"]: r for r in dataset.records()}
    weak = [p for p in dataset.truth if len(by_id[p["found"]]["name"].split()) <= 1]
    chosen = []
    for identity, pair in zip(identities, weak, strict=False):
        files = sorted(f for f in identity.iterdir() if f.suffix.lower() in PHOTO_SUFFIXES)
        if len(files) < 2:
            continue
        by_id[pair["missing"]]["photos"] = [str(files[0].resolve())]
        by_id[pair["found"]]["photos"] = [str(files[1].resolve())]
        chosen.append((pair["found"], pair["missing"]))
    return chosen


def _children_peak_rss_mib() -> float:
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def run_match_bench(
    *,
    n_missing: int,
    n_found: int,
    records: Path | None,
    truth: Path | None,
    seed: int,
    work_dir: Path,
    photos: Path | None = None,
    workers: int = 1,
    splink: bool = False,
    model_path: Path | None = None,
    generator: str = "classic",
    blocking: str = "batch",
) -> Iterator[str]:
    """Ingest plus ``match --all`` (found → missing) timed end to end, its quality, and with
    ``splink`` the same data linked by Splink 4 (DuckDB) in a separate process, in the same run."""
    from search_api.faces.flows import sync_faces
    from search_api.fusion.evaluate import evaluate
    from search_api.fusion.model import FusionModel
    from search_api.fusion.service import Matcher

    model = FusionModel.load(model_path) if model_path else FusionModel.load()
    yield f"fusion model: {model.source}"

    with_photos: list[tuple[str, str]] = []
    if records is None:
        dataset = generate_dataset(generator, seed=seed, n_missing=n_missing, n_found=n_found)
        if photos is not None:
            with_photos = _attach_photos(dataset, photos)
        suffix = "" if generator == "classic" else f"-{generator}"
        records, truth = dataset.write(work_dir / f"input-{n_missing}-{n_found}-{seed}{suffix}{'-photos' if photos else ''}")
        yield f"generator: {generator} ({len(dataset.missing)} missing, {len(dataset.found)} found, {len(dataset.truth)} true pairs)"
    pairs = [json.loads(line) for line in truth.read_text().splitlines()] if truth else []
    true_ids: dict[str, set[str]] = {}
    for pair in pairs:
        true_ids.setdefault(pair["found"], set()).add(pair["missing"])
    run_started = time.perf_counter()
    with open_resources(_empty_store(work_dir / "data")) as res:
        # the photos live in their own folder, not beside the generated records: name it as the root
        report = res.ingestor().ingest_file(records, photos_root=photos.resolve() if photos else None)
        ingest_seconds = time.perf_counter() - run_started
        yield (
            f"ingested {report.rows} records in {ingest_seconds:.1f}s: {report.rejected_rows} rejected, "
            f"{len(report.warnings)} warnings on {len({w.line for w in report.warnings})} rows"
        )
        if with_photos:
            faces = sync_faces(res)
            yield f"photos: {faces.photos} on {len(with_photos)} true pairs, {faces.filed} faces filed"
        matcher = Matcher(res, model, check_current=False)  # a batch run: nobody else writes
        started = time.perf_counter()
        results: dict[str, list[tuple[str, float]]] = {}
        compared = 0
        for matched in matcher.match_all("found", limit=10, workers=workers, blocking=blocking):
            results[matched.id] = [(c.id, c.score) for c in matched.candidates]
            compared += matched.compared
        match_seconds = time.perf_counter() - started
        total_seconds = time.perf_counter() - run_started
        blocked: dict[str, set[str]] | None = None
        if blocking == "batch" and true_ids:  # which true pairs survived blocking (untimed)
            from indexer import get_records_by_keys

            blocker = matcher.batch_blocker("missing")
            with res.session_factory() as session:
                stored = get_records_by_keys(session=session, keys=[f"found:{f}" for f in true_ids])
            blocked = {
                s.record.id: {blocker.targets[i].id for i in blocker.block(matcher.view(s.record)).tolist()} for s in stored.values()
            }
        if with_photos:  # the same pairs without their faces: what the photo adds
            from indexer import get_records_by_keys

            text_only = Matcher(res, model, use_faces=False, check_current=False)
            with res.session_factory() as session:
                stored = get_records_by_keys(session=session, keys=[f"found:{f}" for f, _ in with_photos])
                by_found = {s.record.id: s.record for s in stored.values()}
            for found_id, missing_id in with_photos:

                def rank_of(ranked: list, missing_id: str = missing_id) -> str:
                    ids = [c.id for c in ranked]
                    return str(ids.index(missing_id) + 1) if missing_id in ids else ">10"

                without = text_only.rank(by_found[found_id], limit=10)
                with_face = [c for c in matcher.rank(by_found[found_id], limit=10)]
                true_with = next((c.score for c in with_face if c.id == missing_id), 0.0)
                true_without = next((c.score for c in without if c.id == missing_id), 0.0)
                yield (
                    f"  {found_id} ({by_found[found_id].name or 'no name'!r}): true report ranked {rank_of(without)} "
                    f"(score {true_without:.3f}) on text alone, {rank_of(with_face)} (score {true_with:.3f}) with the photo"
                )
    quality = evaluate(results, true_ids, matcher.model.review_threshold)
    yield (
        f"match --all found→missing ({blocking} blocking): {len(results)} found records in {match_seconds:.1f}s "
        f"with {workers} worker(s); {compared:,} pairs scored"
    )
    yield f"ingest + match: {total_seconds:.1f}s wall"
    kept = sum(1 for found, truths in true_ids.items() if truths & blocked.get(found, set())) if blocked is not None else None
    if kept is not None:
        yield f"pairs-kept recall (true pairs among the blocked candidates, untimed): {kept / max(1, len(true_ids)):.3f}"
    yield from quality.lines()
    yield f"peak RSS: {_peak_rss_mib():.0f} MiB (main process), {_children_peak_rss_mib():.0f} MiB (largest worker)"
    if splink:
        yield from run_splink_bench(records=records, true_ids=true_ids)


def run_splink_bench(*, records: Path, true_ids: dict[str, set[str]]) -> Iterator[str]:
    """Splink 4 (DuckDB backend, every core) on the same records, in its own process so that
    its wall time and peak RSS are its own: data preparation, training and prediction."""
    ctx = multiprocessing.get_context("spawn")
    queue = ctx.Queue()
    started = time.perf_counter()
    proc = ctx.Process(target=_splink_process, args=(str(records), queue))
    proc.start()
    outcome = queue.get()
    proc.join()
    wall = time.perf_counter() - started
    if "error" in outcome:
        yield f"splink failed: {outcome['error']}"
        return
    results = {found: [(m, p) for m, p in ranked] for found, ranked in outcome["ranked"].items()}
    hits = {k: 0 for k in (1, 5, 10)}
    for found, truths in true_ids.items():
        ids = [m for m, _ in results.get(found, [])]
        for k in hits:
            hits[k] += any(t in ids[:k] for t in truths)
    n = max(1, len(true_ids))
    yield (
        f"splink {outcome['version']} (duckdb, {outcome['threads']} threads): {outcome['pairs']:,} pairs scored; "
        f"wall {wall:.1f}s (prepare {outcome['prepare']:.1f}s, train {outcome['train']:.1f}s, predict + top 10 {outcome['predict']:.1f}s)"
    )
    yield f"splink recall@1 {hits[1] / n:.3f}, recall@5 {hits[5] / n:.3f}, recall@10 {hits[10] / n:.3f} (n={len(true_ids)})"
    yield f"splink peak RSS: {outcome['peak_rss_mib']:.0f} MiB"


def _splink_frame(path: str):  # type: ignore[no-untyped-def]
    """One row per record with the columns Splink compares and blocks on. Keys are the strict
    phonetic keys of our normaliser, so both linkers block on the same evidence."""
    import pandas as pd

    from indexer import normalise_name

    def key(text: str, last: bool = False) -> str | None:
        tokens = normalise_name(text or "").tokens
        return (tokens[-1] if last else tokens[0]).strict if tokens else None

    rows = []
    with open(path, encoding="utf-8") as handle:
        for line in handle:
            r = json.loads(line)
            place = r.get("place") or {}
            tokens = normalise_name(r.get("name") or "").tokens
            father = normalise_name(r.get("father_name") or "").tokens
            age = r.get("age")
            rows.append(
                {
                    "unique_id": r["id"],
                    "kind": r["kind"],
                    "first_name": tokens[0].text if tokens else None,
                    "surname": tokens[-1].text if len(tokens) > 1 else None,
                    "first_key": key(r.get("name")),
                    "surname_key": key(r.get("name"), last=True) if len(tokens) > 1 else None,
                    "father_first": father[0].text if father else None,
                    "father_key": key(r.get("father_name")),
                    "sex": r.get("sex") or None,
                    "age": float(age) if isinstance(age, (int, float)) and age > 0 else None,
                    "age_band": int(age // 4) if isinstance(age, (int, float)) else None,
                    "date": r.get("date") or None,
                    "lat": place.get("lat"),
                    "lon": place.get("lon"),
                    "district": (place.get("district") or "").strip().lower() or None,
                    "state": (place.get("state") or "").strip().lower() or None,
                }
            )
    frame = pd.DataFrame(rows)
    return frame[frame.kind == "missing"].drop(columns="kind"), frame[frame.kind == "found"].drop(columns="kind")


def _splink_process(records: str, queue) -> None:  # type: ignore[no-untyped-def]
    try:
        queue.put(_splink_link(records))
    except Exception as exc:  # reported as a figure, not raised in the parent
        queue.put({"error": f"{type(exc).__name__}: {exc}"})


def _splink_link(records: str) -> dict:
    import logging

    import splink
    import splink.comparison_library as cl
    from splink import DuckDBAPI, Linker, SettingsCreator, block_on

    logging.getLogger("splink").setLevel(logging.WARNING)
    started = time.perf_counter()
    missing, found = _splink_frame(records)
    prepare = time.perf_counter() - started
    started = time.perf_counter()
    # Blocking comparable to ours: a name's phonetic key (child's first name, surname, father's
    # first name) with sex, plus the district for children known by one word or none.
    settings = SettingsCreator(
        link_type="link_only",
        comparisons=[
            cl.NameComparison("first_name"),
            cl.NameComparison("surname"),
            cl.NameComparison("father_first"),
            cl.ExactMatch("sex"),
            cl.CustomComparison(
                comparison_description="age",
                comparison_levels=[
                    {"sql_condition": '"age_l" IS NULL OR "age_r" IS NULL', "label_for_charts": "null", "is_null_level": True},
                    {"sql_condition": 'abs("age_l" - "age_r") <= 1', "label_for_charts": "within 1 year"},
                    {"sql_condition": 'abs("age_l" - "age_r") <= 3', "label_for_charts": "within 3 years"},
                    {"sql_condition": "ELSE", "label_for_charts": "else"},
                ],
            ),
            cl.AbsoluteDateDifferenceAtThresholds("date", input_is_string=True, metrics=["day", "day"], thresholds=[365, 1095]),
            cl.DistanceInKMAtThresholds("lat", "lon", [30, 150, 700]),
        ],
        blocking_rules_to_generate_predictions=[
            block_on("first_key", "sex"),
            block_on("surname_key", "father_key"),
            block_on("district", "sex", "age_band"),
        ],
        retain_intermediate_calculation_columns=False,
        retain_matching_columns=False,
    )
    db_api = DuckDBAPI()  # in memory, every core
    linker = Linker([missing, found], settings, db_api=db_api, input_table_aliases=["missing", "found"])
    linker.training.estimate_probability_two_random_records_match([block_on("first_name", "surname", "father_first")], recall=0.7)
    linker.training.estimate_u_using_random_sampling(max_pairs=2e6, seed=1)
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("first_key", "sex"))
    linker.training.estimate_parameters_using_expectation_maximisation(block_on("district", "age_band"))
    train = time.perf_counter() - started
    started = time.perf_counter()
    predictions = linker.inference.predict()
    table = predictions.physical_name
    pairs = int(linker.misc.query_sql(f"select count(*) as n from {table}", output_type="pandas")["n"][0])
    top = linker.misc.query_sql(
        f"""select found_id, missing_id, match_probability from (
              select case when source_dataset_l = 'found' then unique_id_l else unique_id_r end as found_id,
                     case when source_dataset_l = 'found' then unique_id_r else unique_id_l end as missing_id,
                     match_probability,
                     row_number() over (partition by case when source_dataset_l = 'found' then unique_id_l else unique_id_r end
                                        order by match_probability desc) as rk
              from {table}) where rk <= 10 order by found_id, rk""",
        output_type="pandas",
    )
    predict = time.perf_counter() - started
    ranked: dict[str, list[tuple[str, float]]] = {}
    for found_id, missing_id, probability in top.itertuples(index=False):
        ranked.setdefault(found_id, []).append((missing_id, float(probability)))
    threads = int(linker.misc.query_sql("select current_setting('threads') as t", output_type="pandas")["t"][0])
    return {
        "version": splink.__version__,
        "threads": threads,
        "pairs": pairs,
        "prepare": prepare,
        "train": train,
        "predict": predict,
        "ranked": ranked,
        "peak_rss_mib": _peak_rss_mib(),
    }


def run_duplicates_bench(*, n_missing: int, n_found: int, share: float, seed: int, work_dir: Path) -> Iterator[str]:
    """Within-side duplicates: the same child reported twice, or admitted to two homes."""
    from indexer import iter_records
    from search_api.fusion.evaluate import evaluate
    from search_api.fusion.service import DUPLICATE_THRESHOLDS, Matcher

    dataset = RegisterGenerator(seed=seed).dataset(n_missing, n_found, duplicate_share=share)
    records, _ = dataset.write(work_dir / f"dup-input-{n_missing}-{n_found}-{seed}")
    truth: dict[str, set[str]] = {}
    for pair in dataset.duplicates:
        truth.setdefault(pair["a"], set()).add(pair["b"])
        truth.setdefault(pair["b"], set()).add(pair["a"])
    with open_resources(_empty_store(work_dir / "dup-data")) as res:
        report = res.ingestor().ingest_file(records)
        yield f"ingested {report.rows} records ({len(dataset.duplicates)} duplicate pairs) in {report.seconds:.1f}s"
        matcher = Matcher(res, check_current=False)  # a batch run: nobody else writes
        for kind in ("missing", "found"):
            matcher.preload(kind)
            with res.session_factory() as session:
                side = [s.record for s in iter_records(session=session, kind=kind)]
            results: dict[str, list[tuple[str, float]]] = {}
            latencies: list[float] = []
            for record in side:
                t0 = time.perf_counter()
                results[record.id] = [(c.id, c.score) for c in matcher.rank(record, limit=5, same_side=True)]
                latencies.append((time.perf_counter() - t0) * 1000)
            quality = evaluate(results, truth, DUPLICATE_THRESHOLDS[kind])
            yield f"{kind}: {len(side)} records, per record p50 {_percentile(latencies, 50):.1f} ms"
            yield from (f"  {line}" for line in quality.lines())
            sweep = [(t, evaluate(results, truth, t)) for t in (0.3, 0.4, 0.5, 0.7, 0.9, 0.95, 0.97, 0.99)]
            yield "  threshold sweep (flagged true / false): " + ", ".join(
                f"{t:.2f}: {q.alerted_true:.2f}/{q.false_alert_rate:.3f}" for t, q in sweep
            )
            # where a threshold would sit: the best-scoring non-duplicate of records without one
            tops = sorted((r[0][1] for q, r in results.items() if r and q not in truth), reverse=True)
            if tops:
                yield f"  non-duplicates' best scores: p99 {tops[len(tops) // 100]:.3f}, p98 {tops[len(tops) // 50]:.3f}"
