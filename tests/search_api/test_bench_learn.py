"""The learning bench: simulated reviewers' decisions reach the fit, and every model is judged
only on found children nobody reviewed."""

from __future__ import annotations

import re
from pathlib import Path

from search_api.bench_learn import run_learn_bench, teaching_half


def test_learn_bench_judges_on_the_unreviewed_half(tmp_path: Path) -> None:
    lines = list(run_learn_bench(n_missing=300, n_found=200, seed=11, work_dir=tmp_path, per_child=2, workers=1))
    text = "\n".join(lines)
    recalls = re.findall(r"recall@1 ([0-9.]+), recall@5 ([0-9.]+), recall@10 ([0-9.]+)", text)
    assert len(recalls) == 3, text  # cold start, EM alone, EM + decisions
    decided = re.search(r"decided (\d+) pairs: (\d+) confirmed, (\d+) rejected", text)
    assert decided and int(decided[2]) > 0 and int(decided[3]) > 0, text
    judged = int(re.search(r"over (\d+) records with a true match", text)[1])
    assert 0 < judged < 100  # about half of the ~100 true pairs: the reviewed half is never judged
    assert "supervised m from confirmed decisions" in text or "held-out reviewer decisions" in text, text


def test_the_halves_are_stable_and_balanced() -> None:
    ids = [f"CCI{i:07d}" for i in range(2000)]
    share = sum(map(teaching_half, ids)) / len(ids)
    assert 0.45 < share < 0.55
    assert [teaching_half(i) for i in ids[:50]] == [teaching_half(i) for i in ids[:50]]
