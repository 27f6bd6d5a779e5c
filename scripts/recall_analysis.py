"""Why true pairs are missed by ``match --all``: blocking (which pass, which cap) or ranking
(which features let the rank-1 impostor win).

    PYTHONPATH=. python scripts/recall_analysis.py --n 30000 --found 20000 --generator classic \
        [--sample 3000] [--work /tmp/recall-analysis]

The register is generated and ingested once per (generator, sizes, seed) under ``--work``
and reused on the next run (blocking and scoring changes need no re-ingest).
"""

from __future__ import annotations

import argparse
import collections
import json
import random
import statistics
import time
from pathlib import Path

import numpy as np

from indexer import get_records_by_keys
from search_api.bench import generate_dataset
from search_api.config import Settings
from search_api.fusion.blocking import BatchBlocker
from search_api.fusion.model import FusionModel
from search_api.fusion.service import Matcher
from search_api.fusion.vectorised import FEATURE_NAMES
from search_api.resources import open_resources

PASSES = ("aged", "any_age", "own_names", "district", "state", "district_window")


def _who(r) -> str:  # type: ignore[no-untyped-def]
    return f"{r.name!r} f={r.father_name!r} m={r.mother_name!r} age={r.age} {r.date} {r.place.district}"


def _store(args: argparse.Namespace) -> tuple[Settings, dict[str, set[str]]]:
    folder = Path(args.work) / f"{args.generator}-{args.n}-{args.found}-{args.seed}"
    settings = Settings.isolated(data_dir=folder / "data")
    truth_path = folder / "input" / "truth.jsonl"
    if not (folder / "ready").exists():
        dataset = generate_dataset(args.generator, seed=args.seed, n_missing=args.n, n_found=args.found)
        records, truth_path = dataset.write(folder / "input")
        with open_resources(settings) as res:
            res.ingestor().ingest_file(records)
        (folder / "ready").write_text("ok")
    truth: dict[str, set[str]] = {}
    for line in truth_path.read_text().splitlines():
        pair = json.loads(line)
        truth.setdefault(pair["found"], set()).add(pair["missing"])
    return settings, truth


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=30000)
    ap.add_argument("--found", type=int, default=20000)
    ap.add_argument("--generator", default="classic")
    ap.add_argument("--seed", type=int, default=2027)
    ap.add_argument("--sample", type=int, default=0, help="found children with a true match to analyse (0: all)")
    ap.add_argument("--work", default="/tmp/recall-analysis")
    ap.add_argument("--examples", type=int, default=8)
    ap.add_argument("--model", default=None)
    ap.add_argument("--dump", default=None, help="write per-pair rows (jsonl) here")
    args = ap.parse_args()
    settings, truth = _store(args)
    model = FusionModel.load(Path(args.model)) if args.model else FusionModel.load()
    started = time.perf_counter()
    with open_resources(settings) as res:
        matcher = Matcher(res, model, check_current=False)
        matcher.preload("missing")
        views = [v for v in matcher._views.values() if v.kind == "missing"]
        blocker = BatchBlocker(views, text_limit=matcher.text_limit, scorer=matcher.scorer)
        row_of = {v.id: i for i, v in enumerate(blocker.targets)}
        found_ids = sorted(truth)
        if args.sample:
            found_ids = random.Random(1).sample(found_ids, min(args.sample, len(found_ids)))
        with res.session_factory() as session:
            stored = get_records_by_keys(session=session, keys=[f"found:{f}" for f in found_ids])
        records = {s.record.id: s.record for s in stored.values()}
        print(f"prepared in {time.perf_counter() - started:.1f}s; analysing {len(found_ids)} found children", flush=True)

        block_reason: collections.Counter[str] = collections.Counter()
        ranks: list[int] = []
        n_blocked: list[int] = []
        feature_loss: collections.Counter[str] = collections.Counter()  # how often the impostor gains on a feature
        feature_gain_bits: dict[str, list[float]] = collections.defaultdict(list)
        level_pairs: collections.Counter[tuple[str, str, str]] = collections.Counter()
        examples: list[str] = []
        dump = open(args.dump, "w") if args.dump else None  # noqa: SIM115
        ties = 0
        for fid in found_ids:
            record = records[f"{fid}"] if fid in records else None
            if record is None:
                continue
            view = matcher.view(record)
            true_rows = {row_of[m] for m in truth[fid] if m in row_of}
            blocker.trace = []
            rows = set(blocker.block(view).tolist())
            trace, blocker.trace = blocker.trace, None
            n_blocked.append(len(rows))
            if not true_rows & rows:
                # where did the true row stand in each pass?
                t = next(iter(true_rows))
                parts = []
                for i, (prow, pscores, limit) in enumerate(trace):
                    hit = np.flatnonzero(prow == t)
                    if len(hit):
                        rank = int((pscores > pscores[hit[0]]).sum()) + 1
                        parts.append(f"p{i}:{rank}/{len(prow)}>{limit}")
                    else:
                        parts.append(f"p{i}:-")
                reason = "no_text_match" if all(p.endswith(":-") for p in parts) else "below_cap"
                if reason == "below_cap":
                    first = next(p for p in parts if not p.endswith(":-"))
                    reason += ":" + first.split(":")[0]
                block_reason[reason] += 1
                if len(examples) < args.examples * 2 and reason == "no_text_match":
                    m = blocker.targets[t].record
                    examples.append(f"BLOCK {reason} {parts}\n   found {_who(record)} sex={record.sex}\n   missing {_who(m)} sex={m.sex}")
                ranks.append(10**6)
                if dump:
                    dump.write(json.dumps({"found": fid, "blocked": False, "parts": parts}) + "\n")
                continue
            others = [blocker.targets[i] for i in rows]
            batch = matcher.scorer.score(view, others, prior=matcher.prior, frequency=matcher.frequency)
            order = sorted(range(len(others)), key=lambda i: (-batch.scores[i], others[i].id))
            true_pos = next(k for k, i in enumerate(order) if row_of[others[i].id] in true_rows)
            ranks.append(true_pos + 1)
            if true_pos == 0:
                continue
            ti, ii = order[true_pos], order[0]
            if batch.totals[ti] == batch.totals[ii]:
                ties += 1
            _, tobs, _, tw = matcher._score(view, others[ti])
            _, iobs, _, iw = matcher._score(view, others[ii])
            for name, a, b, ta, ia in zip(FEATURE_NAMES, tobs, iobs, tw, iw, strict=True):
                diff = ia - ta
                if diff > 1e-9:
                    feature_loss[name] += 1
                feature_gain_bits[name].append(diff)
                if a.level != b.level:
                    level_pairs[(name, a.level, b.level)] += 1
            if dump:
                levels = {"true": [o.level for o in tobs], "imp": [o.level for o in iobs], "tw": tw, "iw": iw}
                dump.write(json.dumps({"found": fid, "blocked": True, "rank": true_pos + 1, **levels}) + "\n")
            if len([e for e in examples if e.startswith("RANK")]) < args.examples:
                t, m = others[ti].record, others[ii].record
                rows_txt = "\n".join(
                    f"     {name:26s} true {a.level:14s} {ta:+6.2f}   imp {b.level:14s} {ia:+6.2f}"
                    for name, a, b, ta, ia in zip(FEATURE_NAMES, tobs, iobs, tw, iw, strict=True)
                    if abs(ia - ta) > 1e-9
                )
                examples.append(f"RANK {true_pos + 1} found {_who(record)}\n   true {_who(t)}\n   imp  {_who(m)}\n{rows_txt}")
        n = len(ranks)
        print(f"analysed {n} in {time.perf_counter() - started:.1f}s; mean blocked {statistics.fmean(n_blocked):.0f}")
        for k in (1, 5, 10):
            print(f"recall@{k} {sum(r <= k for r in ranks) / n:.4f}")
        missed_block = sum(block_reason.values())
        print(f"pairs-kept {1 - missed_block / n:.4f}; blocking misses {missed_block}: {dict(block_reason.most_common())}")
        rank_miss = sum(1 for r in ranks if 1 < r < 10**6)
        print(f"rank misses (blocked, not first) {rank_miss} (exact total ties {ties})")
        print("features where the impostor gains (count, mean gain bits over rank misses):")
        for name, c in feature_loss.most_common():
            print(f"   {name:26s} {c:6d}  mean {statistics.fmean(feature_gain_bits[name]):+.2f}")
        print("level transitions true→impostor (top 25):")
        for (name, a, b), c in level_pairs.most_common(25):
            print(f"   {name:26s} {a:14s} → {b:14s} {c}")
        print("\n".join(examples))


if __name__ == "__main__":
    main()
