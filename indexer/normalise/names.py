"""Name normalisation and phonetic evidence for Indian names.

``normalise_name`` is pure (no I/O) and is the single source of name evidence: both
search engines index its output and the fusion compares it, so every component sees the
same keys. Each token gets three keys of decreasing strictness:

- ``strict``: an Indian-name phonetic key that keeps vowels but folds spelling variants
  (aa/a, ee/i, oo/u, aspirates bh/b dh/d kh/k gh/g th/t ph/f, sh/s, w/v, z/j, q/k,
  x/ks, doubled letters, final a, -er/-ra). Raakesh, Rakesh and राकेश share it.
- ``loose``: the consonant skeleton of the strict key with v/b merged (Bengali
  Bikash = Vikas) and Tamil tch = ksh (Letchumi = Lakshmi). Collides more, so it is
  weaker evidence; search engines weigh it by how rare it is.
- ``metaphone``: Double Metaphone codes, for names of non-Indic origin (Patrick, Peter).
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

from metaphone import doublemetaphone

from indexer.normalise.scripts import detect_script, transliterate

# Titles and fillers that say nothing about which child this is.
HONORIFICS = frozenset(
    [
        "master",
        "mstr",
        "mast",
        "baby",
        "kumari",
        "km",
        "kum",
        "kumaari",
        "shri",
        "sri",
        "shree",
        "smt",
        "shrimati",
        "srimati",
        "mr",
        "mrs",
        "ms",
        "miss",
        "mister",
        "sh",
        "late",
        "lt",
        "urf",
        "alias",
        "aka",
        "alias@",
        "unknown",
        "unk",
        "nameless",
    ]
)
# Placeholder "names" used when a child cannot say their name.
PLACEHOLDERS = frozenset(["na", "nil", "none", "unknown", "unknwn", "notknown", "bachcha", "baccha", "bacha"])
MOHAMMAD_FORMS = frozenset(
    [
        "md",
        "mohd",
        "mohd.",
        "mohmd",
        "mhd",
        "mohammed",
        "mohammad",
        "muhammad",
        "muhammed",
        "mohamed",
        "mohamad",
        "mohamud",
        "muhamad",
        "mahammad",
        "mohammadh",
    ]
)
# "Ramesh s/o Suresh": what follows is a parent's name, not the child's.
_RELATION_SPLIT = re.compile(r"\b(?:s|d|w|c)\s*/\s*o\b|\b(?:son|daughter|wife|care)\s+of\b", re.IGNORECASE)
_NON_LETTERS = re.compile(r"[^a-z\s]+")
_VOWELS = set("aeiou")


@dataclass(frozen=True, slots=True)
class NameToken:
    """One word of a name with its phonetic keys."""

    text: str
    strict: str
    loose: str
    metaphone: tuple[str, ...]
    # every key, prefixed by its family ("s:rakes", "l:rks", "m:RKX"), for indexing
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class NormalisedName:
    """A name after script conversion, clean-up and keying."""

    original: str
    script: str
    latin: str
    tokens: tuple[NameToken, ...]

    @property
    def is_empty(self) -> bool:
        return not self.tokens

    def texts(self) -> list[str]:
        return [t.text for t in self.tokens]


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def clean_latin(text: str) -> str:
    """NFKC, transliterate Brahmic scripts, lowercase ASCII letters and spaces only."""
    if text.isascii():  # most names: skip Unicode work
        return _NON_LETTERS.sub(" ", text.lower().replace(".", " ")).strip()
    text = unicodedata.normalize("NFKC", text)
    text = transliterate(text)
    text = _strip_accents(text).lower()
    return _NON_LETTERS.sub(" ", text.replace(".", " ")).strip()


def _drop_relation_clause(text: str) -> str:
    match = _RELATION_SPLIT.search(text)
    if not match:
        return text
    before = text[: match.start()]
    # "S/o Ramesh" (father field) keeps the name after the marker.
    return before if before.strip() else text[match.end() :]


_STRICT_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(p), r)
    for p, r in (
        (r"tch", "ksh"),  # Tamil romanisation: Letchumi = Lakshmi
        (r"x", "ks"),
        (r"q", "k"),
        (r"z", "j"),
        (r"w", "v"),
        (r"ph", "f"),
        (r"ck", "k"),
        (r"c(?!h)", "k"),
        (r"chh?", "c"),
        (r"sh", "s"),
        (r"([bdgjktr])h", r"\1"),  # aspirates: bh dh gh jh kh th rh
        (r"(ai|ay|ey|ei)$", "ay"),  # Sanjai / Sanjay / Sanjey
        (r"ee|ii|ie$", "i"),
        (r"oo|uu", "u"),
        (r"au|ou|ow", "o"),
        (r"ai|ei", "e"),
        (r"(.)\1+", r"\1"),  # doubled letters, incl. aa
        (r"(?<=[^aeiou])[ae]r$", "r"),  # Dharmender = Dharmendra, Inder = Indra
        (r"(?<=..)a$", ""),  # final schwa/vowel: Puja = Pooja -> puj
        (r"(.)\1+", r"\1"),
    )
)


@lru_cache(maxsize=262144)
def indian_phonetic_key(token: str) -> str:
    """Strict phonetic key of one lowercase Latin token.

    Example:
        >>> indian_phonetic_key("raakesh"), indian_phonetic_key("dharmender")
        ('rakes', 'darmendr')
    """
    key = token
    for pattern, repl in _STRICT_RULES:
        key = pattern.sub(repl, key)
    return key or token


@lru_cache(maxsize=262144)
def skeleton_key(strict: str) -> str:
    """Loose key: first letter, then consonants only, with v/b merged."""
    if not strict:
        return strict
    merged = strict.replace("v", "b")
    head, tail = merged[0], merged[1:]
    tail = "".join(ch for ch in tail if ch not in _VOWELS and ch != "y" and ch != "h")
    key = head + tail
    return re.sub(r"(.)\1+", r"\1", key)


@lru_cache(maxsize=262144)
def make_token(text: str) -> NameToken:
    """Key one clean Latin token."""
    strict = indian_phonetic_key(text)
    primary, secondary = doublemetaphone(text)
    codes = tuple(dict.fromkeys(c for c in (primary, secondary) if c))
    loose = skeleton_key(strict)
    keys = (f"s:{strict}", f"l:{loose}", *(f"m:{m}" for m in codes))
    return NameToken(text=text, strict=strict, loose=loose, metaphone=codes, keys=keys)


def name_words(text: str) -> list[str]:
    """Clean Latin words of a name, honorifics and fillers removed, Mohd expanded."""
    latin = clean_latin(_drop_relation_clause(text or ""))
    words: list[str] = []
    for word in latin.split():
        if word in MOHAMMAD_FORMS:
            words.append("mohammad")
        elif word in HONORIFICS or word in PLACEHOLDERS:
            continue
        else:
            words.append(word)
    return words


@lru_cache(maxsize=131072)
def normalise_name(text: str) -> NormalisedName:
    """Normalise a name in any script into keyed Latin tokens.

    Example:
        >>> normalise_name("Mohd. Irfan").latin
        'mohammad irfan'
        >>> normalise_name("राकेश").tokens[0].strict == normalise_name("Raakesh").tokens[0].strict
        True
    """
    original = (text if text.isascii() else unicodedata.normalize("NFKC", text)).strip() if text else ""
    words = name_words(original)
    return NormalisedName(
        original=original,
        script=detect_script(original),
        latin=" ".join(words),
        tokens=tuple(make_token(w) for w in words),
    )
