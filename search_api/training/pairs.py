"""What fitting reads from the live store: blocked pairs, random pairs, value frequencies.

Everything is observed with the serving code's own features (``ALL_FEATURES``) and blocking
(``candidate_keys``), so the parameters are fitted on exactly the evidence that is scored.
Faces are not observed here (their levels are fitted on photo pairs elsewhere).
"""

from __future__ import annotations

import hashlib
import subprocess
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from indexer import iter_records
from search_api.fusion.candidates import candidate_keys
from search_api.fusion.features import ALL_FEATURES
from search_api.fusion.levels import Observed
from search_api.fusion.service import Matcher
from search_api.fusion.views import ChildView, Pair

FEATURE_NAMES = [c.name for c in ALL_FEATURES]
LEVEL_NAMES = {c.name: c.feature.level_names() for c in ALL_FEATURES}
LEVEL_INDEX = {f: {lvl: i for i, lvl in enumerate(names)} for f, names in LEVEL_NAMES.items()}
TF_MIN_COUNT = 2  # values held by fewer records are not listed (the floor covers them)
TF_MAX_VALUES = 5000  # per table: the most common values, where adjustment matters most


def observe(matcher: Matcher, pair: Pair) -> list[Observed]:
    return [c.compare(pair, matcher.frequency) for c in ALL_FEATURES]


def level_row(observations: list[Observed]) -> list[int]:
    return [LEVEL_INDEX[o.feature][o.level] for o in observations]


@dataclass
class StoreSnapshot:
    """Views of every record, and what identifies the store they came from."""

    missing: list[ChildView]
    found: list[ChildView]
    fingerprint: str  # sha256 over (key, content hash) of every record, in key order

    @property
    def views(self) -> dict[str, ChildView]:
        return {v.key: v for v in (*self.missing, *self.found)}


def snapshot(matcher: Matcher) -> StoreSnapshot:
    digest = hashlib.sha256()
    hashes: list[tuple[str, str]] = []
    missing: list[ChildView] = []
    found: list[ChildView] = []
    with matcher.res.session_factory() as session:
        for stored in iter_records(session=session):
            hashes.append((stored.key, stored.content_hash))
            (missing if stored.record.kind == "missing" else found).append(matcher.view(stored.record))
    for key, content in sorted(hashes):
        digest.update(f"{key}\t{content}\n".encode())
    return StoreSnapshot(missing, found, digest.hexdigest())


def blocked_pairs(matcher: Matcher, snap: StoreSnapshot, *, text_limit: int, max_found: int | None, seed: int = 0) -> list[Pair]:
    """The pairs serving would score: each found child's text-blocked candidates (a sample of
    found children when ``max_found`` is below their number)."""
    found = snap.found
    if max_found is not None and len(found) > max_found:
        rng = np.random.default_rng(seed)
        found = [found[i] for i in sorted(rng.choice(len(found), size=max_found, replace=False))]
    views = snap.views
    pairs = []
    for view in found:
        keys = candidate_keys(view, text_index=matcher.res.text_index, face_index=None, text_limit=text_limit, face_limit=0)
        pairs.extend(Pair(views[k], view) for k in keys if k in views and views[k].kind == "missing")
    return pairs


def same_district_pairs(snap: StoreSnapshot, *, per_found: int, max_found: int | None, seed: int = 0) -> list[Pair]:
    """Pairs blocked on place alone: for each found child, up to ``per_found`` missing reports of
    the same district and state, drawn at random. Names, sex and age play no part in choosing
    them, so EM can estimate those features' m here (it cannot on the name-blocked pairs)."""
    rng = np.random.default_rng(seed + 1)
    by_district: dict[tuple[str, str], list[ChildView]] = {}
    for view in snap.missing:
        place = view.record.place
        if place.district:
            by_district.setdefault((place.state.strip().lower(), place.district.strip().lower()), []).append(view)
    found = snap.found
    if max_found is not None and len(found) > max_found:
        found = [found[i] for i in sorted(rng.choice(len(found), size=max_found, replace=False))]
    pairs = []
    for view in found:
        place = view.record.place
        pool = by_district.get((place.state.strip().lower(), place.district.strip().lower()), []) if place.district else []
        if not pool:
            continue
        chosen = rng.choice(len(pool), size=min(per_found, len(pool)), replace=False)
        pairs.extend(Pair(pool[i], view) for i in chosen)
    return pairs


def random_pairs(snap: StoreSnapshot, *, n: int, seed: int = 0) -> list[Pair]:
    """Uniform pairs of the two registers: almost all different children (u, as Fellegi–Sunter means it)."""
    if not snap.missing or not snap.found:
        return []
    rng = np.random.default_rng(seed)
    left = rng.integers(len(snap.missing), size=n)
    right = rng.integers(len(snap.found), size=n)
    return [Pair(snap.missing[i], snap.found[j]) for i, j in zip(left, right, strict=True)]


def level_matrix(matcher: Matcher, pairs: list[Pair]) -> tuple[np.ndarray, list[list[Observed]]]:
    observed = [observe(matcher, p) for p in pairs]
    matrix = np.array([level_row(o) for o in observed], dtype=np.int64).reshape(len(pairs), len(FEATURE_NAMES))
    return matrix, observed


def term_frequencies(snap: StoreSnapshot) -> dict[str, dict[str, float]]:
    """Share of records holding each value: name words and parents' name words (by their
    strict phonetic key, as the name features compare them) and districts (as written,
    lower-cased, with their state). The most common values first."""
    tables = {"names": Counter(), "parents": Counter(), "districts": Counter()}
    views = [*snap.missing, *snap.found]
    for view in views:
        tables["names"].update({t.strict for n in view.names for t in n.tokens if t.strict})
        tables["parents"].update({t.strict for n in view.parents for t in n.tokens if t.strict})
        place = view.record.place
        if place.district:
            tables["districts"][f"{place.district.strip().lower()}|{place.state.strip().lower()}"] += 1
    total = max(1, len(views))
    return {
        name: {value: round(count / total, 6) for value, count in counts.most_common(TF_MAX_VALUES) if count >= TF_MIN_COUNT}
        for name, counts in tables.items()
    }


def code_version() -> str:
    """The package version and, in a checkout, the git commit the code came from."""
    from importlib.metadata import PackageNotFoundError, version

    try:
        package = version("trackchild")
    except PackageNotFoundError:
        package = "unknown"
    try:
        commit = subprocess.run(
            ["git", "-C", str(Path(__file__).parent), "rev-parse", "--short", "HEAD"],
            capture_output=True,
            text=True,
            timeout=5,
            check=False,
        ).stdout.strip()
    except OSError:
        commit = ""
    return f"trackchild {package}" + (f" (git {commit})" if commit else "")
