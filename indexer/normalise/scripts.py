"""Script detection and Brahmic-script → Latin transliteration for names.

The nine Brahmic scripts of Indian registers (Devanagari, Bengali, Gurmukhi, Gujarati,
Odia, Tamil, Telugu, Kannada, Malayalam) share one Unicode layout: each block is 128
code points and a letter sits at the same offset in every block (ISCII heritage). So one
table of offsets transliterates all of them, and we can see the syllable structure that
schwa deletion needs (which consonants carry an unwritten inherent vowel), something a
string-to-string transliterator hides.

The Latin output follows common Indian-English name spelling (राकेश → rakesh, पूजा → puja,
लक्ष्मी → lakshmi), not a scholarly scheme: it is compared with names typed in Latin.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from functools import lru_cache

# Block start → script name. Order matters only for readability.
BRAHMIC_BLOCKS: dict[int, str] = {
    0x0900: "devanagari",
    0x0980: "bengali",
    0x0A00: "gurmukhi",
    0x0A80: "gujarati",
    0x0B00: "odia",
    0x0B80: "tamil",
    0x0C00: "telugu",
    0x0C80: "kannada",
    0x0D00: "malayalam",
}

# Scripts whose speakers drop the inherent vowel at word end and in VC_CV (Hindi-style
# schwa deletion). In Dravidian scripts the inherent vowel is pronounced; names there
# end in an explicit virama when they end in a consonant.
SCHWA_DELETING = {"devanagari", "bengali", "gurmukhi", "gujarati", "odia"}

_INDEPENDENT_VOWELS = {
    0x04: "a",
    0x05: "a",
    0x06: "a",
    0x07: "i",
    0x08: "i",
    0x09: "u",
    0x0A: "u",
    0x0B: "ri",
    0x0C: "li",
    0x0D: "e",
    0x0E: "e",
    0x0F: "e",
    0x10: "ai",
    0x11: "o",
    0x12: "o",
    0x13: "o",
    0x14: "au",
    0x60: "ri",
    0x61: "li",
}

_CONSONANTS = {
    0x15: "k",
    0x16: "kh",
    0x17: "g",
    0x18: "gh",
    0x19: "n",
    0x1A: "ch",
    0x1B: "chh",
    0x1C: "j",
    0x1D: "jh",
    0x1E: "n",
    0x1F: "t",
    0x20: "th",
    0x21: "d",
    0x22: "dh",
    0x23: "n",
    0x24: "t",
    0x25: "th",
    0x26: "d",
    0x27: "dh",
    0x28: "n",
    0x29: "n",
    0x2A: "p",
    0x2B: "ph",
    0x2C: "b",
    0x2D: "bh",
    0x2E: "m",
    0x2F: "y",
    0x30: "r",
    0x31: "r",
    0x32: "l",
    0x33: "l",
    0x34: "zh",
    0x35: "v",
    0x36: "sh",
    0x37: "sh",
    0x38: "s",
    0x39: "h",
    # precomposed nukta letters
    0x58: "q",
    0x59: "kh",
    0x5A: "g",
    0x5B: "z",
    0x5C: "r",
    0x5D: "rh",
    0x5E: "f",
    0x5F: "y",
    # Assamese ra / wa in the Bengali block
    0x70: "r",
    0x71: "w",
}

# A consonant followed by the nukta sign becomes another sound (फ़ → f, ज़ → z).
_NUKTA_FORMS = {
    0x15: "q",
    0x16: "kh",
    0x17: "g",
    0x1C: "z",
    0x21: "r",
    0x22: "rh",
    0x2B: "f",
    0x2F: "y",
    0x38: "sh",
    0x32: "l",
}

_VOWEL_SIGNS = {
    0x3A: "e",
    0x3B: "e",
    0x3E: "a",
    0x3F: "i",
    0x40: "i",
    0x41: "u",
    0x42: "u",
    0x43: "ri",
    0x44: "ri",
    0x45: "e",
    0x46: "e",
    0x47: "e",
    0x48: "ai",
    0x49: "o",
    0x4A: "o",
    0x4B: "o",
    0x4C: "au",
    0x4F: "aw",
    0x56: "ai",
    0x57: "au",
    0x62: "li",
    0x63: "li",
}

_VIRAMA = 0x4D
_NUKTA = 0x3C
_NASALS = {0x01: "n", 0x02: "n"}  # candrabindu, anusvara
_VISARGA = 0x03
_GURMUKHI_ADDAK = 0x0A71  # doubles the next consonant
_KHANDA_TA = 0x09CE  # Bengali final t, no inherent vowel
_MALAYALAM_CHILLU = {0x0D7A: "n", 0x0D7B: "n", 0x0D7C: "r", 0x0D7D: "l", 0x0D7E: "l", 0x0D7F: "k", 0x0D54: "m", 0x0D55: "y", 0x0D56: "zh"}
_LABIALS = {"p", "ph", "b", "bh", "m"}


def brahmic_block(ch: str) -> tuple[int, str] | None:
    """The (block start, script name) of a Brahmic character, or None."""
    cp = ord(ch)
    start = cp & ~0x7F
    script = BRAHMIC_BLOCKS.get(start)
    return (start, script) if script else None


def detect_script(text: str) -> str:
    """The dominant script of ``text``: a Brahmic script name, ``latin``, ``other`` or ``none``.

    Example:
        >>> detect_script("রাকেশ")
        'bengali'
    """
    counts: dict[str, int] = {}
    for ch in text:
        block = brahmic_block(ch)
        if block:
            name = block[1]
        elif ch.isascii() and ch.isalpha():
            name = "latin"
        elif ch.isalpha():
            name = "latin" if unicodedata.name(ch, "").startswith("LATIN") else "other"
        else:
            continue
        counts[name] = counts.get(name, 0) + 1
    if not counts:
        return "none"
    return max(counts.items(), key=lambda kv: kv[1])[0]


@dataclass
class _Syllable:
    """One orthographic syllable: consonant cluster, vowel, coda (nasal/visarga)."""

    onset: list[str]
    vowel: str  # "" after a virama (dead consonant)
    inherent: bool  # the vowel is the unwritten inherent 'a'
    coda: str = ""


def _syllables(word: str) -> list[_Syllable]:
    """Split one Brahmic word into syllables, keeping track of inherent vowels."""
    out: list[_Syllable] = []
    pending: list[str] = []  # consonants of the cluster being built
    double_next = False
    joined = False  # the last sign was a virama inside a cluster: the next consonant joins it
    chars = list(word)
    i = 0

    def close_pending(vowel: str, inherent: bool) -> None:
        out.append(_Syllable(onset=list(pending), vowel=vowel, inherent=inherent))
        pending.clear()

    while i < len(chars):
        ch = chars[i]
        cp = ord(ch)
        block = brahmic_block(ch)
        if block is None:
            i += 1
            continue
        off = cp - block[0]
        script = block[1]
        if cp == _GURMUKHI_ADDAK:
            double_next = True
        elif cp in _MALAYALAM_CHILLU or cp == _KHANDA_TA:
            if pending:
                close_pending("a", True)
            pending.append(_MALAYALAM_CHILLU.get(cp, "t"))
            close_pending("", False)
        elif script == "gurmukhi" and off in (0x70, 0x72, 0x73):
            # tippi is a nasal; the vowel carriers only hold the sign that follows
            if pending:
                close_pending("a", True)
            if off == 0x70 and out:
                out[-1].coda += "n"
        elif off in (0x70, 0x71) and script != "bengali":
            pass  # these offsets are letters only in the Bengali/Assamese block
        elif off in _CONSONANTS:
            if pending and not joined:  # previous consonant had no sign: inherent vowel
                close_pending("a", True)
            joined = False
            latin = _CONSONANTS[off]
            if i + 1 < len(chars) and ord(chars[i + 1]) - block[0] == _NUKTA:
                latin = _NUKTA_FORMS.get(off, latin)
                i += 1
            if double_next:
                latin = latin[0] + latin
                double_next = False
            pending.append(latin)
        elif off == _VIRAMA:
            # the cluster continues; if the word ends here the consonant is dead
            nxt = chars[i + 1] if i + 1 < len(chars) else ""
            if nxt and brahmic_block(nxt) and (ord(nxt) - block[0]) in _CONSONANTS:
                joined = True
            elif pending:
                close_pending("", False)
        elif off in _VOWEL_SIGNS:
            if not pending and out and out[-1].vowel == "":
                pending.extend(out.pop().onset)
            close_pending(_VOWEL_SIGNS[off], False)
        elif off in _INDEPENDENT_VOWELS:
            if pending:
                close_pending("a", True)
            close_pending(_INDEPENDENT_VOWELS[off], False)
        elif off in _NASALS or off == _VISARGA:
            if pending:
                close_pending("a", True)
            if out:
                out[-1].coda += "h" if off == _VISARGA else "n"
        # digits, dandas, accents, avagraha: not part of a name
        i += 1
    if pending:
        close_pending("a", True)
    return out


def _light_onset(onset: list[str]) -> bool:
    """A single consonant, or consonant + r/y/l/v (ਗੁਰਪ੍ਰੀਤ → gurprit); not a geminate (मोहम्मद)."""
    if len(onset) == 1:
        return True
    return len(onset) == 2 and onset[1] in ("r", "y", "l", "v") and onset[0] != onset[1]


def _delete_schwas(syls: list[_Syllable]) -> None:
    """Hindi-style schwa deletion, in place.

    Final: an inherent 'a' after a single consonant is silent (राकेश → rakesh) but stays
    after a cluster (धर्मेंद्र → dharmendra). Medial, right to left: a → ∅ / VC_CV (C may be stop + r/y/l/v)
    (कमला → kamla, रामचंद्र → ramchandra, ਗੁਰਪ੍ਰੀਤ → gurprit), never in the first syllable, never in a syllable
    closed by a nasal, never twice in a row.
    """
    n = len(syls)
    if n < 2:
        return
    last = syls[-1]
    if last.inherent and not last.coda and len(last.onset) == 1:
        last.vowel = ""
    deleted_next = last.vowel == ""
    for i in range(n - 2, 0, -1):
        s, nxt = syls[i], syls[i + 1]
        can_delete = (
            s.inherent
            and not s.coda
            and len(s.onset) == 1
            and not deleted_next
            and _light_onset(nxt.onset)
            and nxt.vowel != ""
            and syls[i - 1].vowel != ""
        )
        if can_delete:
            s.vowel = ""
            deleted_next = True
        else:
            deleted_next = False


def _render(syls: list[_Syllable]) -> str:
    parts: list[str] = []
    for idx, s in enumerate(syls):
        parts.append("".join(s.onset))
        parts.append(s.vowel)
        if s.coda:
            # anusvara before a labial is heard as m (सम्पत / संपत → sampat)
            nxt = syls[idx + 1].onset[:1] if idx + 1 < len(syls) else []
            coda = s.coda.replace("n", "m") if nxt and nxt[0] in _LABIALS else s.coda
            parts.append(coda)
    return "".join(parts)


@lru_cache(maxsize=65536)
def transliterate_word(word: str) -> str:
    """Transliterate one Brahmic-script word to lowercase Latin.

    Example:
        >>> transliterate_word("राकेश"), transliterate_word("अभय")
        ('rakesh', 'abhay')
    """
    block = next((b for b in map(brahmic_block, word) if b), None)
    if block is None:
        return word
    syls = _syllables(word)
    if block[1] in SCHWA_DELETING:
        _delete_schwas(syls)
    return _render(syls)


def transliterate(text: str) -> str:
    """Transliterate every Brahmic word in ``text``; Latin and other characters pass through."""
    out: list[str] = []
    word: list[str] = []
    for ch in unicodedata.normalize("NFC", text):
        if brahmic_block(ch):
            word.append(ch)
            continue
        if word:
            out.append(transliterate_word("".join(word)))
            word.clear()
        out.append(ch)
    if word:
        out.append(transliterate_word("".join(word)))
    return "".join(out)
