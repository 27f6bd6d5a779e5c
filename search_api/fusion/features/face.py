"""Face evidence. Scale: the highest face score between any photo of the missing child and any
photo of the found child: the inner product of the fused embeddings, Σ weight × cosine over
the embedders (FaceNet and SFace), −1 to 1. The weight is scaled by the quality of the two
faces compared: a blurred or tiny face counts for less.

The level thresholds are the fused scores that 0.1 %, 1 %, 5 % and 20 % of different-person
child→adult photo pairs reach on the Large Age-Gap dev split (``trackchild bench faces-age
--fit``, which also prints each level's m and u for model.json)."""

from __future__ import annotations

from dataclasses import dataclass

from search_api.fusion.levels import Comparison, Feature, Level, Observed, always
from search_api.fusion.views import Pair

LOW_QUALITY_STRENGTH = 0.5
# level → lowest face score in it (see the module doc)
FACE_THRESHOLDS = {"very_high": 0.338, "high": 0.263, "medium": 0.198, "low": 0.123}
# the share of different-person pairs above each threshold, which the thresholds are fitted to
FACE_LEVEL_FAR = {"very_high": 0.001, "high": 0.01, "medium": 0.05, "low": 0.20}


@dataclass(frozen=True)
class FaceMatch:
    cosine: float | None
    strength: float = 1.0


def best_face_match(pair: Pair) -> FaceMatch:
    if not pair.missing.faces or not pair.found.faces:
        return FaceMatch(None)
    best, strength = -1.0, 1.0
    for a in pair.missing.faces:
        for b in pair.found.faces:
            cosine = float(a.vector @ b.vector)
            if cosine > best:
                best = cosine
                strength = LOW_QUALITY_STRENGTH if (a.low_quality or b.low_quality) else 1.0
    return FaceMatch(best, strength)


_feature: Feature[FaceMatch] = Feature(
    "face_cosine",
    "best face score between the two children's photos (fused FaceNet + SFace cosines), −1 to 1",
    (
        Level("missing", "no usable photo on one side", lambda m: m.cosine is None),
        Level("very_high", "faces very similar", lambda m: m.cosine >= FACE_THRESHOLDS["very_high"]),  # type: ignore[operator]
        Level("high", "faces similar", lambda m: m.cosine >= FACE_THRESHOLDS["high"]),  # type: ignore[operator]
        Level("medium", "faces somewhat similar", lambda m: m.cosine >= FACE_THRESHOLDS["medium"]),  # type: ignore[operator]
        Level("low", "faces slightly similar", lambda m: m.cosine >= FACE_THRESHOLDS["low"]),  # type: ignore[operator]
        Level("else", "faces dissimilar", always),
    ),
)


def _compare(pair: Pair, _frequency: object = None) -> Observed:
    match = best_face_match(pair)
    level = _feature.level_of(match)
    detail = "" if match.cosine is None else f"face score {match.cosine:.2f}" + (" (low-quality photo)" if match.strength < 1 else "")
    return Observed(
        _feature.name,
        level.name,
        level.label,
        f"{len(pair.missing.faces)} photo(s)",
        f"{len(pair.found.faces)} photo(s)",
        detail,
        strength=match.strength,
    )


face_cosine = Comparison(_feature, _compare)
