"""Face evidence. Scale: the highest cosine similarity between any photo of the missing
child and any photo of the found child (FaceNet, 512-d). The weight is scaled by the
quality of the two faces compared: a blurred or tiny face counts for less."""

from __future__ import annotations

from dataclasses import dataclass

from search_api.fusion.levels import Comparison, Feature, Level, Observed, always
from search_api.fusion.views import Pair

LOW_QUALITY_STRENGTH = 0.5


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
    "best cosine similarity between the two children's photos, −1 to 1",
    (
        Level("missing", "no usable photo on one side", lambda m: m.cosine is None),
        Level("very_high", "faces very similar", lambda m: m.cosine >= 0.75),  # type: ignore[operator]
        Level("high", "faces similar", lambda m: m.cosine >= 0.62),  # type: ignore[operator]
        Level("medium", "faces somewhat similar", lambda m: m.cosine >= 0.50),  # type: ignore[operator]
        Level("low", "faces slightly similar", lambda m: m.cosine >= 0.38),  # type: ignore[operator]
        Level("else", "faces dissimilar", always),
    ),
)


def _compare(pair: Pair, _frequency: object = None) -> Observed:
    match = best_face_match(pair)
    level = _feature.level_of(match)
    detail = "" if match.cosine is None else f"cosine {match.cosine:.2f}" + (" (low-quality photo)" if match.strength < 1 else "")
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
