"""Learning from reviewers, measured: does a model fitted on the registers and on reviewers'
decisions rank better than the shipped cold start, on found children nobody reviewed?

A benchmark, not serving code. Simulated reviewers look at the top candidates of half of the
found children (the teaching half, chosen by a hash of the id) and decide each pair by the
generator's truth, as a DCPU would after checking; the other half is never shown to anyone
and is where every model is judged. Decisions are recorded as decisions only: the records'
statuses stay as they were, so the judged half sees the same registers for every model.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Iterator
from pathlib import Path

from search_api.bench import _empty_store, _peak_rss_mib, generate_dataset
from search_api.resources import open_resources


def teaching_half(found_id: str) -> bool:
    return hashlib.sha256(found_id.encode()).digest()[0] % 2 == 0


def _ranked_all(res, model, workers: int) -> dict[str, list[tuple[str, float]]]:  # type: ignore[no-untyped-def]
    from search_api.fusion.service import Matcher

    matcher = Matcher(res, model, use_faces=False, check_current=False)
    return {m.id: [(c.id, c.score) for c in m.candidates] for m in matcher.match_all("found", limit=10, workers=workers)}


def _record_decisions(res, ranked: dict, truth: dict[str, set[str]], per_child: int) -> tuple[int, int]:  # type: ignore[no-untyped-def]
    """The simulated reviewers: the top ``per_child`` candidates of each teaching found child,
    confirmed when they are the child's report, else rejected."""
    from search_api.review import service
    from search_api.users.models import UserRow

    reviewer = UserRow(username="bench-reviewer", role="dcpu", state="", district="")
    confirmed = rejected = 0
    with res.session_factory() as session:
        for found_id, candidates in ranked.items():
            if not teaching_half(found_id):
                continue
            for missing_id, score in candidates[:per_child]:
                row = service.enqueue(session=session, missing_key=f"missing:{missing_id}", found_key=f"found:{found_id}",
                                      score=score, explanation={}, evidence="bench", missing_district="", found_district="")  # fmt: skip
                if row is None:
                    continue
                same = missing_id in truth.get(found_id, set())
                service.decide(session=session, pair=row, decision="confirm" if same else "reject",
                               note="simulated reviewer (bench)", user=reviewer)  # fmt: skip
                confirmed += same
                rejected += not same
                if same:
                    break  # confirming closes the child's other pairs, as in the queue
        session.commit()
    return confirmed, rejected


def run_learn_bench(*, n_missing: int, n_found: int, seed: int, work_dir: Path, per_child: int = 3, workers: int = 1) -> Iterator[str]:
    from search_api.fusion.evaluate import evaluate
    from search_api.fusion.model import FusionModel
    from search_api.training import fit_from_store

    dataset = generate_dataset("independent", seed=seed, n_missing=n_missing, n_found=n_found)
    records, truth_path = dataset.write(work_dir / f"input-learn-{n_missing}-{n_found}-{seed}")
    truth: dict[str, set[str]] = {}
    for line in truth_path.read_text().splitlines():
        pair = json.loads(line)
        truth.setdefault(pair["found"], set()).add(pair["missing"])
    yield f"independent generator, seed {seed}: {len(dataset.missing)} missing, {len(dataset.found)} found, {len(dataset.truth)} true pairs"
    yield f"found children judged: the half never shown to a reviewer (hash of the id); the other half is reviewed, top {per_child} each"

    def judged(ranked: dict, model) -> list[str]:  # type: ignore[no-untyped-def]
        held = {k: v for k, v in ranked.items() if not teaching_half(k)}
        quality = evaluate(held, truth, model.review_threshold)
        return quality.lines()

    cold = FusionModel.load()
    with open_resources(_empty_store(work_dir / "data")) as res:
        report = res.ingestor().ingest_file(records)
        yield f"ingested {report.rows} records: {report.rejected_rows} rejected, {len(report.warnings)} warnings"
        started = time.perf_counter()
        ranked = _ranked_all(res, cold, workers)
        yield f"cold start: {cold.source} (match --all {time.perf_counter() - started:.1f}s)"
        yield from (f"  {line}" for line in judged(ranked, cold))

        unlabelled = fit_from_store(res, start=cold, use_labels=False)
        yield "EM on the registers, no decisions:"
        yield from (f"  {line}" for line in judged(_ranked_all(res, unlabelled.model, workers), unlabelled.model))

        confirmed, rejected = _record_decisions(res, ranked, truth, per_child)
        yield f"simulated reviewers decided {confirmed + rejected} pairs: {confirmed} confirmed, {rejected} rejected"
        labelled = fit_from_store(res, start=cold, use_labels=True)
        yield "EM on the registers + reviewers' decisions:"
        yield from (f"  {line}" for line in labelled.lines if "held-out" in line or "precision" in line or "supervised" in line)
        yield from (f"  {line}" for line in judged(_ranked_all(res, labelled.model, workers), labelled.model))
        yield f"  judged no worse than the cold start on held-out decisions: {labelled.judged_no_worse}"
    yield f"peak RSS: {_peak_rss_mib():.0f} MiB"
