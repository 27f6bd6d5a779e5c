"""The query plan: one engine-neutral description of a name search.

Each query word becomes a group of alternative clauses (exact token, phonetic keys,
fuzzy, prefix, parents, description text). Engines compile a group to a disjunction-max,
so one word counts once, by its best evidence, and the groups are summed. Term clauses
are scored by BM25, so a rare name (Yadavi) outweighs a common one (Kumar, Devi).
Fuzzy matches are constant-scored in both engines: their score must not depend on
how the engine expands the fuzzy term.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

from indexer.normalise import TokenMatch, best_token_match, fuzzy_distance_for, make_token, normalise_name
from indexer.search.base import FieldMatch, SearchFilters
from indexer.search.documents import DESCRIPTION_FIELDS

MAX_QUERY_WORDS = 8
MAX_QUERY_CHARS = 512

# Boosts per clause; relative sizes matter, not absolute values.
BOOST_EXACT = 4.0
BOOST_STRICT = 3.0
BOOST_LOOSE = 1.5
BOOST_METAPHONE = 1.0
BOOST_FUZZY = 3.0  # constant score: about one average BM25 term
BOOST_FUZZY_SHORT = 1.0
BOOST_PREFIX = 1.5
BOOST_PARENT_EXACT = 1.2
BOOST_PARENT_KEY = 0.8
BOOST_TEXT = 1.0
DISMAX_TIE_BREAKER = 0.1

ClauseKind = Literal["term", "fuzzy", "text"]
# what a query may match: every field, or only the child's own names (name, aliases), which is
# what a searcher outside the record's jurisdiction may match on (never parents, marks, text)
SearchFields = Literal["all", "names"]


@dataclass(frozen=True)
class Clause:
    """One way a query word may match. ``field`` is a logical field of ``IndexDocument``."""

    field: str
    value: str
    kind: ClauseKind
    boost: float
    distance: int = 0


@dataclass(frozen=True)
class WordGroup:
    word: str
    clauses: tuple[Clause, ...]


@dataclass(frozen=True)
class QueryPlan:
    text: str
    groups: tuple[WordGroup, ...]
    filters: SearchFilters
    fields: SearchFields = "all"

    @property
    def is_match_all(self) -> bool:
        return not self.groups


_TEXT_WORD = re.compile(r"[^\W\d_]{3,}", re.UNICODE)
_STOPWORDS = frozenset(["and", "the", "with", "on", "of", "in", "near", "a", "an"])


def build_query_plan(text: str, filters: SearchFilters | None = None, *, fields: SearchFields = "all") -> QueryPlan:
    """Turn what a user typed (any script, partial, misspelt) into a plan.

    With ``fields="names"`` the plan matches the child's own names only: no parents' names,
    no description words, so a hit (and its explanation) says nothing about hidden fields.

    Example:
        >>> plan = build_query_plan("Rak")
        >>> sorted({c.field for c in plan.groups[0].clauses})[:3]
        ['name_keys', 'name_prefixes', 'name_tokens']
    """
    text = (text or "")[:MAX_QUERY_CHARS]
    filters = filters or SearchFilters()
    groups: list[WordGroup] = []
    name = normalise_name(text)
    for token in name.tokens[:MAX_QUERY_WORDS]:
        clauses = [
            Clause("name_tokens", token.text, "term", BOOST_EXACT),
            Clause("name_keys", f"s:{token.strict}", "term", BOOST_STRICT),
            Clause("name_prefixes", token.text, "term", BOOST_PREFIX),
        ]
        if fields == "all":
            clauses += [
                Clause("parent_tokens", token.text, "term", BOOST_PARENT_EXACT),
                Clause("parent_keys", f"s:{token.strict}", "term", BOOST_PARENT_KEY),
            ]
        if len(token.loose) > 1:
            clauses.append(Clause("name_keys", f"l:{token.loose}", "term", BOOST_LOOSE))
        if len(token.text) > 2:
            clauses.extend(Clause("name_keys", f"m:{code}", "term", BOOST_METAPHONE) for code in token.metaphone)
        distance = fuzzy_distance_for(len(token.text))
        if distance:
            # A short word is more likely typed as a prefix than misspelt: keep fuzzy weak there.
            boost = BOOST_FUZZY if len(token.text) > 4 else BOOST_FUZZY_SHORT
            clauses.append(Clause("name_tokens", token.text, "fuzzy", boost, distance))
        if len(token.text) >= 3 and fields == "all":
            clauses.append(Clause("text", token.text, "text", BOOST_TEXT))
        groups.append(WordGroup(token.text, tuple(dict.fromkeys(clauses))))
    # Description words that are not names ("scar", "chin") still search the text.
    name_words = {g.word for g in groups}
    for word in _TEXT_WORD.findall(text.lower()) if fields == "all" else ():
        if word not in name_words and word not in _STOPWORDS and len(groups) < MAX_QUERY_WORDS * 2:
            groups.append(WordGroup(word, (Clause("text", word, "text", BOOST_TEXT),)))
            name_words.add(word)
    return QueryPlan(text=text, groups=tuple(groups), filters=filters, fields=fields)


_NAME_FIELDS = ("name", "aliases", "father_name", "mother_name")
_OWN_NAME_FIELDS = ("name", "aliases")


def explain_hit(plan: QueryPlan, evidence: dict[str, list[str]]) -> tuple[FieldMatch, ...]:
    """Which fields of a hit matched which query words, and how (engine-independent)."""
    matches: list[FieldMatch] = []
    for group in plan.groups:
        query_token = make_token(group.word) if group.word.isascii() else None
        best: FieldMatch | None = None
        best_strength = TokenMatch.NONE
        if query_token is not None:
            for field in _NAME_FIELDS if plan.fields == "all" else _OWN_NAME_FIELDS:
                words = evidence.get(field, [])
                allow_prefix = field in ("name", "aliases")
                for word in words:
                    strength = best_token_match(query_token, [make_token(word)], allow_prefix=allow_prefix)
                    if strength > best_strength:
                        best_strength = strength
                        best = FieldMatch(field, strength.label, group.word, word)
        if best is not None:
            matches.append(best)
            continue
        if len(group.word) < 3 or group.word in _STOPWORDS or plan.fields != "all":
            continue
        for field in DESCRIPTION_FIELDS:
            for value in evidence.get(field, []):
                lowered = value.lower()
                if re.search(rf"\b{re.escape(group.word[: max(3, len(group.word) - 2)])}", lowered):
                    matches.append(FieldMatch(field, "text", group.word, value))
                    break
            else:
                continue
            break
    return tuple(matches)
