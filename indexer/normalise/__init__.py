"""Pure text normalisation for names in Indian scripts and spellings (no I/O)."""

from indexer.normalise.compare import TokenMatch, best_token_match, fuzzy_distance_for, match_token
from indexer.normalise.names import (
    NameToken,
    NormalisedName,
    clean_latin,
    indian_phonetic_key,
    make_token,
    name_words,
    normalise_name,
    skeleton_key,
)
from indexer.normalise.scripts import detect_script, transliterate

__all__ = [
    "NameToken",
    "NormalisedName",
    "TokenMatch",
    "best_token_match",
    "clean_latin",
    "detect_script",
    "fuzzy_distance_for",
    "indian_phonetic_key",
    "make_token",
    "match_token",
    "name_words",
    "normalise_name",
    "skeleton_key",
    "transliterate",
]
