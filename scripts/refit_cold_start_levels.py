"""Re-count m and u of some features of the shipped cold-start model, keeping the rest.

    PYTHONPATH=. python scripts/refit_cold_start_levels.py found_after_missing_days parents_phonetic

Same register as ``trackchild model fit-generated`` (classic generator, seed 101, 8,000
missing reports and 4,000 found children) and the same counting (``fusion.fit``); the face
levels (fitted on photo pairs), the calibration and the review threshold are kept. For a
change of one feature's levels that must not refit the whole model.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

from indexer import RegisterGenerator
from search_api.config import Settings
from search_api.fusion.features import ALL_FEATURES
from search_api.fusion.fit import refit_levels
from search_api.fusion.model import DEFAULT_MODEL_PATH, FusionModel, LevelParams
from search_api.resources import open_resources


def _shipped_with_new_levels() -> FusionModel:
    """The shipped model, read leniently: a feature whose levels changed gets placeholders."""
    data = json.loads(DEFAULT_MODEL_PATH.read_text())
    for c in ALL_FEATURES:
        given = data["features"].get(c.name, {})
        if set(given) != set(c.feature.level_names()):
            data["features"][c.name] = {lvl: {"m": 0.5, "u": 0.5} for lvl in c.feature.level_names()}
    return FusionModel.from_json(data)


def main(features: list[str]) -> None:
    known = {c.name for c in ALL_FEATURES}
    if not features or set(features) - known:
        raise SystemExit(f"name features to refit among: {', '.join(sorted(known))}")
    model = _shipped_with_new_levels()
    dataset = RegisterGenerator(seed=101).dataset(8000, 4000)
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings.isolated(data_dir=Path(tmp) / "data")
        with open_resources(settings) as res:
            res.ingestor().ingest_records(dataset.records())
            truth = [(t["missing"], t["found"]) for t in dataset.truth]
            refitted = refit_levels(res, truth, model, features)
    refitted.save(DEFAULT_MODEL_PATH)
    for name in features:
        levels: dict[str, LevelParams] = refitted.levels[name]
        print(f"{name}: " + ", ".join(f"{lvl} m={p.m:.4f} u={p.u:.4f} {p.weight:+.2f}" for lvl, p in levels.items()))


if __name__ == "__main__":
    main(sys.argv[1:])
