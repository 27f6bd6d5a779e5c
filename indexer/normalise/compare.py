"""How two name tokens relate: the vocabulary used to say *why* a name matched.

Shared by both search engines (to report which fields matched) and by the fusion
(to grade name evidence), so an explanation reads the same wherever it comes from.
"""

from __future__ import annotations

from enum import IntEnum
from functools import lru_cache

from rapidfuzz.distance import Levenshtein

from indexer.normalise.names import NameToken


class TokenMatch(IntEnum):
    """Strength of agreement between two tokens; higher is stronger."""

    NONE = 0
    PREFIX = 1  # the query is the start of the name ("rak" ~ "rakesh")
    FUZZY = 2  # within the edit distance allowed for the length
    METAPHONE = 3  # Double Metaphone codes agree
    PHONETIC_LOOSE = 4  # consonant skeletons agree (Bikash ~ Vikas)
    PHONETIC = 5  # strict Indian phonetic keys agree (Raakesh ~ Rakesh)
    EXACT = 6

    @property
    def label(self) -> str:
        return self.name.lower()


def fuzzy_distance_for(length: int) -> int:
    """Edit distance allowed for a token of this length (Elasticsearch's AUTO)."""
    if length <= 2:
        return 0
    if length <= 5:
        return 1
    return 2


MIN_PREFIX_LENGTH = 1


@lru_cache(maxsize=500_000)
def match_token(query: NameToken, candidate: NameToken, *, allow_prefix: bool = True) -> TokenMatch:
    """The strongest relation between a query token and a record token (cached: names repeat)."""
    if query.text == candidate.text:
        return TokenMatch.EXACT
    if query.strict == candidate.strict:
        return TokenMatch.PHONETIC
    if len(query.loose) > 1 and query.loose == candidate.loose:
        return TokenMatch.PHONETIC_LOOSE
    if set(query.metaphone) & set(candidate.metaphone) and len(query.text) > 2:
        return TokenMatch.METAPHONE
    allowed = fuzzy_distance_for(len(query.text))
    if allowed and Levenshtein.distance(query.text, candidate.text, score_cutoff=allowed) <= allowed:
        return TokenMatch.FUZZY
    if (
        allow_prefix
        and len(query.text) >= MIN_PREFIX_LENGTH
        and (candidate.text.startswith(query.text) or candidate.strict.startswith(query.strict))
    ):
        return TokenMatch.PREFIX
    return TokenMatch.NONE


def best_token_match(query: NameToken, candidates: tuple[NameToken, ...] | list[NameToken], *, allow_prefix: bool = True) -> TokenMatch:
    """The strongest relation between a query token and any of a record's tokens."""
    best = TokenMatch.NONE
    for candidate in candidates:
        found = match_token(query, candidate, allow_prefix=allow_prefix)
        if found > best:
            best = found
            if best == TokenMatch.EXACT:
                break
    return best
