"""Name evidence: the child's names and nicknames, and the parents' names.

Scale: per token, the strongest relation between words (exact > phonetic > loose
phonetic > metaphone > fuzzy), best over every name/alias pair, aligned so that a missing
surname or swapped order is not punished. Agreement on a rare name weighs more than on
Rahul or Kumar: these levels are term-frequency adjusted.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from indexer import NameToken, NormalisedName, TokenMatch, match_token, normalise_name
from search_api.fusion.levels import Comparison, Feature, Level, Observed, always
from search_api.fusion.views import ChildView, Pair

Frequency = Callable[[str], float]  # strict phonetic key (or "l:…"/"m:…" key) → share of records holding it


@dataclass(frozen=True)
class NameAgreement:
    has_data: bool
    strong: int = 0  # tokens agreeing exactly or phonetically
    loose: int = 0  # tokens agreeing on the loose key or metaphone
    fuzzy: int = 0
    shorter: int = 0  # tokens in the shorter name
    matched_keys: tuple[str, ...] = ()  # strict keys of the words agreeing exactly or phonetically
    # index keys ("l:…", "m:…") shared by words agreeing only as sound-alike spellings
    variant_keys: tuple[str, ...] = ()
    # (token, matched token, relation) per aligned token; ``detail`` words them (for explanations only)
    aligned: tuple[tuple[str, str, TokenMatch], ...] = ()

    def keys_for(self, level: str) -> tuple[str, ...]:
        """The keys whose frequencies the weight of ``level`` multiplies: a full name counts
        the rarity of every word, sound-alike spellings by their shared key's frequency."""
        return self.matched_keys + self.variant_keys if level == "full" else self.matched_keys

    @property
    def detail(self) -> str:
        return ", ".join(f"{a} {'=' if r == TokenMatch.EXACT else '~'} {b} ({r.label})" for a, b, r in self.aligned)


# Agreement of two single names, by their Latin text (tokens follow from it): names repeat
# across a register, so most pairs of records compare names already compared.
_PAIR_CACHE: dict[tuple[str, str], tuple[tuple[int, int, int], NameAgreement]] = {}
_PAIR_CACHE_MAX = 1_000_000
_NO_DATA = NameAgreement(has_data=False)


_TOKEN_CACHE: dict[tuple[str, str], TokenMatch] = {}
_match_token = match_token.__wrapped__  # type: ignore[attr-defined]


def _relation(a: NameToken, b: NameToken) -> TokenMatch:
    """``match_token`` without prefixes, cached by the tokens' text (keys follow from it)."""
    key = (a.text, b.text)
    found = _TOKEN_CACHE.get(key)
    if found is None:
        if len(_TOKEN_CACHE) >= _PAIR_CACHE_MAX:
            _TOKEN_CACHE.clear()
        # the uncached function: this cache is keyed by text, cheaper than hashing whole tokens
        found = _TOKEN_CACHE[key] = _match_token(a, b, allow_prefix=False)
    return found


def _compare_two(a: NormalisedName, b: NormalisedName) -> tuple[tuple[int, int, int], NameAgreement]:
    key = (a.latin, b.latin)
    hit = _PAIR_CACHE.get(key)
    if hit is not None:
        return hit
    short, long_ = (b, a) if len(b.tokens) <= len(a.tokens) else (a, b)
    strong = loose = fuzzy = 0
    keys: list[str] = []
    variants: list[str] = []
    parts: list[tuple[str, str, TokenMatch]] = []
    used: set[int] = set()
    for token in short.tokens:
        relation, index = TokenMatch.NONE, -1
        for i, other in enumerate(long_.tokens):
            if i in used:
                continue
            found = _relation(token, other)
            if found >= relation:  # as max() over (relation, index): the last of equals wins
                relation, index = found, i
        if relation == TokenMatch.NONE:
            continue
        used.add(index)
        other = long_.tokens[index]
        if relation >= TokenMatch.PHONETIC:
            strong += 1
            keys.append(token.strict)
        elif relation >= TokenMatch.METAPHONE:
            loose += 1
            if relation == TokenMatch.PHONETIC_LOOSE:
                variants.append("l:" + token.loose)
            else:
                variants.append("m:" + min(set(token.metaphone) & set(other.metaphone)))
        else:
            fuzzy += 1
        parts.append((token.text, other.text, relation))
    agreement = NameAgreement(True, strong, loose, fuzzy, len(short.tokens), tuple(keys), tuple(variants), tuple(parts))
    hit = ((strong, loose, fuzzy), agreement)
    if len(_PAIR_CACHE) >= _PAIR_CACHE_MAX:
        _PAIR_CACHE.clear()
    _PAIR_CACHE[key] = hit
    return hit


def compare_names(left: tuple[NormalisedName, ...], right: tuple[NormalisedName, ...]) -> NameAgreement:
    """Best agreement over all name pairs; each token of the shorter name finds its best partner."""
    if not left or not right:
        return _NO_DATA
    if len(left) == 1 and len(right) == 1:  # most records: one name each
        return _compare_two(left[0], right[0])[1]
    best_rank, best = (-1, -1, -1), _NO_DATA
    for a in left:
        for b in right:
            rank, agreement = _compare_two(a, b)
            if rank > best_rank:
                best_rank, best = rank, agreement
    return best


def compare_parents(a: ChildView, b: ChildView) -> NameAgreement:
    """The parents' names of two records. Any parent's name agreeing with any other is
    evidence (registers mix up whose name goes where), but a disagreement counts only where
    both records name the same parent: a report naming only the father and a found child
    naming only the mother have not disagreed about anyone, they have nothing to compare."""
    agreement = compare_names(a.parents, b.parents)
    if agreement.has_data and not (agreement.strong or agreement.loose or agreement.fuzzy) and not a.parent_roles & b.parent_roles:
        return _NO_DATA
    return agreement


def _full(a: NameAgreement) -> bool:
    """Every word of the shorter name (two or more) has a partner, one at least exactly or
    phonetically: Rakeshh Singh / Rakesh Singh is a full name, not one word (as Kunal Singh)."""
    return a.shorter >= 2 and a.strong >= 1 and a.strong + a.loose + a.fuzzy >= a.shorter


NAME_LEVELS: tuple[Level[NameAgreement], ...] = (
    Level("missing", "no name on one side", lambda a: not a.has_data),
    Level("full", "full name agrees (spelling variants allowed)", _full),
    Level("strong_one", "one name word agrees", lambda a: a.strong >= 1),
    Level("loose", "names sound alike", lambda a: a.loose >= 1),
    Level("fuzzy", "names are close in spelling", lambda a: a.fuzzy >= 1),
    Level("else", "names differ", always),
)

_name_feature: Feature[NameAgreement] = Feature(
    "name_phonetic", "token agreement of the child's names and nicknames", NAME_LEVELS, tf_adjusted=("full", "strong_one")
)
_parents_feature: Feature[NameAgreement] = Feature(
    "parents_phonetic", "token agreement of the father's and mother's names", NAME_LEVELS, tf_adjusted=("full", "strong_one")
)


def _observe(feature: Feature[NameAgreement], agreement: NameAgreement, left: str, right: str, frequency: Frequency) -> Observed:
    level = feature.level_of(agreement)
    freq = None
    if level.name in feature.tf_adjusted and agreement.matched_keys:
        freq = 1.0
        for key in agreement.keys_for(level.name):
            freq *= frequency(key)
    return Observed(feature.name, level.name, level.label, left, right, agreement.detail, freq)


def _compare_names(pair: Pair, frequency: Frequency) -> Observed:
    agreement = compare_names(pair.missing.names, pair.found.names)
    return _observe(_name_feature, agreement, " / ".join(pair.missing.record.names()), " / ".join(pair.found.record.names()), frequency)


def _compare_parents(pair: Pair, frequency: Frequency) -> Observed:
    agreement = compare_parents(pair.missing, pair.found)
    show = lambda r: " / ".join(x for x in (r.father_name, r.mother_name) if x)  # noqa: E731
    return _observe(_parents_feature, agreement, show(pair.missing.record), show(pair.found.record), frequency)


name_phonetic = Comparison(_name_feature, _compare_names)
parents_phonetic = Comparison(_parents_feature, _compare_parents)


def _given_tokens(view) -> list:  # type: ignore[no-untyped-def]
    """Tokens of the child's own names that are not family words (a surname shared with a
    parent says "same family", not "same child": siblings and cousins share it)."""
    family = {t.strict for n in view.parents for t in n.tokens}
    for name in view.names:
        if len(name.tokens) > 1:
            family.add(name.tokens[-1].strict)
    return [t for n in view.names for t in n.tokens if t.strict not in family]


def given_names_agree(a, b) -> bool | None:  # type: ignore[no-untyped-def]
    """Whether two records of one register share a given name or nickname (spelling and typos
    allowed); None when either has none to compare. Two reports of one child agree on what
    the child is called, not only on the family's surname."""
    left, right = _given_tokens(a), _given_tokens(b)
    if not left or not right:
        return None
    return any(match_token(x, y, allow_prefix=False) != TokenMatch.NONE for x in left for y in right)


def _given_of(name: NormalisedName, family: set[str]) -> list:
    return [t for t in name.tokens if t.strict not in family]


def parents_given_names_agree(a, b) -> bool | None:  # type: ignore[no-untyped-def]
    """Whether two records of one register name the same parents: fathers against fathers,
    mothers against mothers, given names only (spelling allowed). False only when a parent
    named on both sides disagrees and no parent agrees; None when nothing compares. Two
    Pooja Sens of Howrah with fathers Rahul and Amit are two girls."""
    verdicts = []
    for field in ("father_name", "mother_name"):
        left, right = normalise_name(getattr(a.record, field)), normalise_name(getattr(b.record, field))
        family = {n.tokens[-1].strict for n in (*a.names, *b.names, left, right) if len(n.tokens) > 1}
        x, y = _given_of(left, family), _given_of(right, family)
        if x and y:
            verdicts.append(any(match_token(p, q, allow_prefix=False) != TokenMatch.NONE for p in x for q in y))
    if not verdicts:
        return None
    return any(verdicts)
