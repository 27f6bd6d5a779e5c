"""Quality figures of a match run against ground truth (used by ``bench match``)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class MatchQuality:
    queries_with_truth: int
    recall_at: dict[int, float]
    mrr: float
    alerted_true: float  # share of true pairs whose score reaches the review threshold
    false_alert_rate: float  # share of found children without a true match whose best candidate alerts
    threshold: float

    def lines(self) -> list[str]:
        recall = ", ".join(f"recall@{k} {v:.3f}" for k, v in self.recall_at.items())
        return [
            f"{recall}, MRR {self.mrr:.3f} over {self.queries_with_truth} records with a true match",
            f"at review threshold {self.threshold:.2f}: {self.alerted_true:.3f} of true pairs alerted, "
            f"{self.false_alert_rate:.3f} of records without a match falsely alerted",
        ]


def evaluate(results: dict[str, list[tuple[str, float]]], truth: dict[str, set[str]], threshold: float) -> MatchQuality:
    """``results``: query id → [(candidate id, score)] best first; ``truth``: query id → true ids."""
    ks = (1, 5, 10)
    hits = dict.fromkeys(ks, 0)
    reciprocal = 0.0
    alerted = total_true = 0
    false_alerts = no_truth = 0
    for query, ranked in results.items():
        true_ids = truth.get(query, set())
        ids = [c for c, _ in ranked]
        if true_ids:
            total_true += 1
            rank = next((i + 1 for i, c in enumerate(ids) if c in true_ids), None)
            for k in ks:
                hits[k] += bool(rank and rank <= k)
            reciprocal += 1 / rank if rank else 0.0
            alerted += any(c in true_ids and s >= threshold for c, s in ranked)
        else:
            no_truth += 1
            false_alerts += bool(ranked and ranked[0][1] >= threshold)
    n = max(1, total_true)
    return MatchQuality(total_true, {k: hits[k] / n for k in ks}, reciprocal / n, alerted / n, false_alerts / max(1, no_truth), threshold)
