"""One module per evidence family; ``ALL_FEATURES`` lists every feature fusion combines."""

from search_api.fusion.features.age import age_gap_years
from search_api.fusion.features.attributes import clothing_overlap, height_gap_cm, languages_shared, marks_overlap, sex_agreement
from search_api.fusion.features.dates import found_after_missing_days
from search_api.fusion.features.face import face_cosine
from search_api.fusion.features.names import name_phonetic, parents_phonetic
from search_api.fusion.features.place import distance_km

ALL_FEATURES = (
    name_phonetic,
    parents_phonetic,
    sex_agreement,
    age_gap_years,
    found_after_missing_days,
    distance_km,
    languages_shared,
    marks_overlap,
    clothing_overlap,
    height_gap_cm,
    face_cosine,
)

__all__ = ["ALL_FEATURES"]
