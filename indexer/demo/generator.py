"""Synthetic, labelled missing/found registers for demos, benchmarks and quality checks.

Made deliberately harder than the sample: Zipf-common names (many Rahul Kumars in one
district), spelling variants and typos, names in Devanagari/Bengali script, nicknames
only, missing surnames and swapped order, empty names, staff-estimated ages off by
years, dates entered wrongly (even a child "found" before being reported missing),
children found hundreds of km away at railway hubs, and rare sex entry errors.
Only a minority of found children have a missing report and vice versa.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from indic_transliteration import sanscript

from indexer.demo import vocab
from indexer.demo.units import cci_code, police_station_code


@dataclass
class NoiseProfile:
    """Probabilities of each kind of noise on a found child's record."""

    spelling_variant: float = 0.45
    typo: float = 0.15
    devanagari: float = 0.12
    bengali_in_east: float = 0.35
    nickname_only: float = 0.08
    first_name_only: float = 0.30
    swapped_order: float = 0.10
    empty_name: float = 0.04
    honorific: float = 0.05
    father_known: float = 0.45
    mother_known: float = 0.25
    far_away: float = 0.25
    same_state: float = 0.25
    age_gross_error: float = 0.08
    date_before_missing: float = 0.04
    date_typo: float = 0.02
    sex_unknown: float = 0.01
    sex_flipped: float = 0.003
    marks_kept: float = 0.6
    clothing_kept: float = 0.3


@dataclass
class Dataset:
    missing: list[dict] = field(default_factory=list)
    found: list[dict] = field(default_factory=list)
    truth: list[dict] = field(default_factory=list)  # {"found": id, "missing": id}
    duplicates: list[dict] = field(default_factory=list)  # {"kind": k, "a": id, "b": id}: one child, two records

    def records(self) -> Iterator[dict]:
        yield from self.missing
        yield from self.found

    def write(self, folder: Path) -> tuple[Path, Path]:
        folder.mkdir(parents=True, exist_ok=True)
        records_path, truth_path = folder / "records.jsonl", folder / "truth.jsonl"
        with records_path.open("w", encoding="utf-8") as handle:
            for record in self.records():
                handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        with truth_path.open("w", encoding="utf-8") as handle:
            for pair in self.truth:
                handle.write(json.dumps(pair) + "\n")
        if self.duplicates:
            with (folder / "duplicates.jsonl").open("w", encoding="utf-8") as handle:
                for pair in self.duplicates:
                    handle.write(json.dumps(pair) + "\n")
        return records_path, truth_path


def _zipf_weights(n: int, s: float = 1.0) -> list[float]:
    return [1.0 / (rank + 1) ** s for rank in range(n)]


# Spelling variants seen between police and CCI registers for the same child.
_VARIANTS: list[tuple[str, str]] = [
    ("aa", "a"),
    ("a", "aa"),
    ("ee", "i"),
    ("i", "ee"),
    ("oo", "u"),
    ("u", "oo"),
    ("v", "w"),
    ("w", "v"),
    ("v", "b"),
    ("sh", "s"),
    ("s", "sh"),
    ("bh", "b"),
    ("dh", "d"),
    ("th", "t"),
    ("kh", "k"),
    ("ph", "f"),
    ("ksh", "x"),
    ("j", "z"),
    ("z", "j"),
    ("ch", "chh"),
    ("endra", "ender"),
    ("ou", "au"),
    ("au", "ou"),
    ("y", "i"),
    ("q", "k"),
    ("tt", "t"),
    ("nn", "n"),
]


_VOWEL_LETTERS = set("aeiou")
_DIGRAPH_HEADS = set("kgcjtdpbs")


def _ends_in_single_consonant_a(word: str) -> bool:
    """True for 'pooja', 'rekha' (a long final ā in the script), False for 'krishna'."""
    if len(word) < 3 or not word.endswith("a") or word[-2] in _VOWEL_LETTERS:
        return False
    before = len(word) - 3
    if word[-2] == "h" and word[-3] in _DIGRAPH_HEADS:
        before -= 1
    return before < 0 or word[before] in _VOWEL_LETTERS


def _to_itrans(latin: str) -> str:
    """Rough phonemic spelling of a romanised name, for rendering it in a script."""
    word = latin.lower()
    long_final = _ends_in_single_consonant_a(word)
    for src, dst in (("aa", "A"), ("ee", "I"), ("oo", "U"), ("x", "kSh"), ("w", "v"), ("ou", "au")):
        word = word.replace(src, dst)
    # n before a consonant is usually written as anusvara (सिंह, चंद्र)
    word = "".join("M" if ch == "n" and i + 1 < len(word) and word[i + 1] not in "aeiouAIUnyhrv" else ch for i, ch in enumerate(word))
    if long_final:
        word = word[:-1] + "A"
    return word


def render_in_script(latin: str, script: str) -> str:
    """Write a romanised name in Devanagari or Bengali, as CCI staff might."""
    target = {"devanagari": sanscript.DEVANAGARI, "bengali": sanscript.BENGALI}[script]
    words = []
    for word in latin.split():
        rendered = sanscript.transliterate(_to_itrans(word), sanscript.ITRANS, target)
        # a final halant is how ITRANS ends a consonant; registers leave it unwritten
        words.append(rendered.rstrip("\u094d\u09cd"))
    return " ".join(words)


class RegisterGenerator:
    """Generates labelled registers; the same seed gives the same data."""

    def __init__(self, seed: int = 7, noise: NoiseProfile | None = None, today: dt.date = dt.date(2026, 11, 1)) -> None:
        self.rng = random.Random(seed)
        self.noise = noise or NoiseProfile()
        self.today = today
        self._boy_w = _zipf_weights(len(vocab.BOY_NAMES), 0.9)
        self._girl_w = _zipf_weights(len(vocab.GIRL_NAMES), 0.9)
        self._surname_w = {r: _zipf_weights(len(v), 1.1) for r, v in vocab.SURNAMES_BY_REGION.items()}
        self._place_w = [3.0 if p[7] else 1.0 for p in vocab.PLACES]

    # -- a child -----------------------------------------------------------------
    def _child(self) -> dict:
        rng = self.rng
        sex = rng.choice("MF")
        place = rng.choices(vocab.PLACES, weights=self._place_w)[0]
        region, language = place[5], place[6]
        if rng.random() < 0.03:
            first = rng.choice(vocab.OTHER_BOY if sex == "M" else vocab.OTHER_GIRL)
        elif sex == "M":
            first = rng.choices(vocab.BOY_NAMES, weights=self._boy_w)[0]
        else:
            first = rng.choices(vocab.GIRL_NAMES, weights=self._girl_w)[0]
        family = rng.choices(vocab.SURNAMES_BY_REGION[region], weights=self._surname_w[region])[0]
        surname = family
        if sex == "F" and rng.random() < 0.3:
            surname = rng.choice(vocab.GIRL_SURNAMES)
        age = round(min(17.0, max(1.0, rng.gauss(9, 4))))
        father_first = rng.choices(vocab.BOY_NAMES, weights=self._boy_w)[0]
        mother_first = rng.choices(vocab.GIRL_NAMES, weights=self._girl_w)[0]
        nicknames = vocab.NICKNAMES_BOY if sex == "M" else vocab.NICKNAMES_GIRL
        days_ago = int(rng.uniform(10, 4 * 365))
        return {
            "sex": sex,
            "first": first,
            "surname": surname,
            "family": family,
            "age": age,
            "place": place,
            "language": language,
            "father": f"{father_first} {family}",
            "mother": f"{mother_first} {rng.choice(['devi', family])}",
            "nickname": rng.choice(nicknames) if rng.random() < 0.35 else "",
            "date": self.today - dt.timedelta(days=days_ago),
            "height": round(75 + 6.2 * age + rng.gauss(0, 5)),
            "complexion": rng.choice(vocab.COMPLEXIONS),
            "hair": rng.choice(vocab.HAIR),
            "marks": rng.choice(vocab.MARKS),
            "clothing": rng.choice(vocab.CLOTHING),
        }

    def _jitter(self, lat: float, lon: float, km: float) -> tuple[float, float]:
        dlat = self.rng.gauss(0, km) / 111.0
        dlon = self.rng.gauss(0, km) / (111.0 * math.cos(math.radians(lat)))
        return round(lat + dlat, 4), round(lon + dlon, 4)

    def _place_dict(self, place: tuple, km: float = 6.0) -> dict:
        city, district, state, lat, lon, *_ = place
        jlat, jlon = self._jitter(lat, lon, km)
        return {"city": city, "district": district, "state": state, "lat": jlat, "lon": jlon}

    def missing_report(self, child: dict, record_id: str) -> dict:
        city = child["place"][0]
        station = f"{city} {self.rng.choice(vocab.POLICE_STATION_SUFFIXES)}"
        name = f"{child['first']} {child['surname']}"
        languages = [child["language"], *vocab.LANGUAGE_EXTRA.get(child["language"], ["Hindi"])]
        return {
            "kind": "missing",
            "id": record_id,
            "name": name.title(),
            "aliases": [child["nickname"].title()] if child["nickname"] else [],
            "sex": child["sex"],
            "age": child["age"],
            "date": child["date"].isoformat(),
            "place": self._place_dict(child["place"]),
            "father_name": child["father"].title(),
            "mother_name": child["mother"].title() if self.rng.random() < 0.7 else "",
            "languages": list(dict.fromkeys(languages)),
            "height_cm": child["height"],
            "complexion": child["complexion"],
            "hair": child["hair"],
            "marks": child["marks"],
            "clothing": child["clothing"],
            "police_station": station,
            "police_station_code": police_station_code(station),
            "fir_number": f"{self.rng.randint(1, 999)}/{child['date'].year}",
            "photos": [],
        }

    # -- noise ---------------------------------------------------------------------
    def _spelling_variant(self, word: str) -> str:
        options = [(s, d) for s, d in _VARIANTS if s in word]
        if not options:
            return word
        src, dst = self.rng.choice(options)
        at = [i for i in range(len(word)) if word.startswith(src, i)]
        i = self.rng.choice(at)
        return word[:i] + dst + word[i + len(src) :]

    def _typo(self, word: str) -> str:
        if len(word) < 4:
            return word
        i = self.rng.randrange(1, len(word) - 1)
        op = self.rng.random()
        if op < 0.35:
            return word[:i] + word[i + 1 :]  # dropped letter
        if op < 0.7:
            return word[:i] + word[i + 1] + word[i] + word[i + 2 :]  # transposition
        return word[:i] + self.rng.choice("aeioubdhklmnrst") + word[i + 1 :]

    def noisy_word(self, word: str) -> str:
        if self.rng.random() < self.noise.spelling_variant:
            word = self._spelling_variant(word)
        if self.rng.random() < self.noise.typo:
            word = self._typo(word)
        return word

    def _found_name(self, child: dict) -> tuple[str, list[str]]:
        rng, noise = self.rng, self.noise
        if rng.random() < noise.empty_name:
            return "", []
        if child["nickname"] and rng.random() < noise.nickname_only:
            return child["nickname"], []
        words = [self.noisy_word(child["first"])]
        if rng.random() >= noise.first_name_only:
            words.append(self.noisy_word(child["surname"]))
            if rng.random() < noise.swapped_order:
                words.reverse()
        region = child["place"][5]
        roll = rng.random()
        if roll < noise.devanagari and region in ("north", "west"):
            name = render_in_script(" ".join(words), "devanagari")
        elif region == "east" and roll < noise.bengali_in_east:
            name = render_in_script(" ".join(words), "bengali")
        else:
            name = " ".join(words)
            name = rng.choice([name.title(), name.upper(), name.lower(), name.title()])
        if rng.random() < noise.honorific:
            name = f"{rng.choice(['Master', 'Baby'] if child['sex'] == 'M' else ['Baby', 'Km.', 'Kumari'])} {name}"
        aliases = [child["nickname"].title()] if child["nickname"] and rng.random() < 0.3 else []
        return name, aliases

    def _found_date(self, missing: dt.date) -> dt.date:
        rng = self.rng
        roll = rng.random()
        if roll < self.noise.date_before_missing:
            found = missing - dt.timedelta(days=rng.randint(1, 20))
        else:
            found = missing + dt.timedelta(days=int(rng.expovariate(1 / 90)))
        found = min(found, self.today)
        if rng.random() < self.noise.date_typo:
            found = found.replace(year=found.year + rng.choice([-1, 1, 2]), day=min(found.day, 28))
        return found

    def found_child(self, child: dict, record_id: str, *, found_date: dt.date | None = None) -> dict:
        rng, noise = self.rng, self.noise
        found_date = found_date or self._found_date(child["date"])
        years = max(0.0, (found_date - child["date"]).days / 365.25)
        true_age = child["age"] + years
        spread = 1.0 + 0.1 * true_age
        if rng.random() < noise.age_gross_error:
            spread *= 3
        age = min(22, max(1, round(true_age + rng.gauss(0, spread))))
        roll = rng.random()
        if roll < noise.far_away:
            hubs = [p for p in vocab.PLACES if p[7] and p[2] != child["place"][2]]
            place = rng.choice(hubs)
        elif roll < noise.far_away + noise.same_state:
            same = [p for p in vocab.PLACES if p[2] == child["place"][2]]
            place = rng.choice(same)
        else:
            place = child["place"]
        sex = child["sex"]
        if rng.random() < noise.sex_unknown:
            sex = ""
        elif rng.random() < noise.sex_flipped:
            sex = "F" if sex == "M" else "M"
        name, aliases = self._found_name(child)
        father = ""
        if rng.random() < noise.father_known:
            parts = child["father"].split()
            father = self.noisy_word(parts[0]) if rng.random() < 0.6 else " ".join(self.noisy_word(p) for p in parts)
        mother = self.noisy_word(child["mother"].split()[0]) if rng.random() < noise.mother_known else ""
        marks = child["marks"] if rng.random() < noise.marks_kept else rng.choice(vocab.MARKS)
        if marks and rng.random() < 0.4:
            for src, dst in vocab.MARK_PARAPHRASES.items():
                marks = marks.replace(src, dst)
        return {
            "kind": "found",
            "id": record_id,
            "name": name,
            "aliases": aliases,
            "sex": sex,
            "age": age,
            "age_is_estimate": True,
            "date": found_date.isoformat(),
            "place": self._place_dict(place),
            "father_name": father.title(),
            "mother_name": mother.title(),
            "languages": [child["language"]] if rng.random() < 0.7 else [],
            "height_cm": round(child["height"] + 6.2 * years + rng.gauss(0, 6)),
            "complexion": child["complexion"] if rng.random() < 0.7 else rng.choice(vocab.COMPLEXIONS),
            "hair": rng.choice(vocab.HAIR),
            "marks": marks,
            "clothing": child["clothing"] if rng.random() < noise.clothing_kept else rng.choice(vocab.CLOTHING),
            "cci_name": f"Children Home, {place[0]}",
            "cci_code": cci_code(place[0]),
            "photos": [],
        }

    def _child_behind(self, record: dict, first: str, surname: str) -> dict:
        """The child behind a generated record (to report or admit them a second time)."""
        place = next(p for p in vocab.PLACES if p[0] == record["place"]["city"] and p[2] == record["place"]["state"])
        return {
            "sex": record["sex"] or self.rng.choice("MF"), "first": first, "surname": surname, "family": surname,
            "age": record["age"], "place": place, "language": record["languages"][0] if record["languages"] else "Hindi",
            "father": record["father_name"].lower() or "ram kumar", "mother": record["mother_name"].lower() or "sita devi",
            "nickname": record["aliases"][0].lower() if record["aliases"] else "",
            "date": dt.date.fromisoformat(record["date"]), "height": record["height_cm"], "complexion": record["complexion"],
            "hair": record["hair"], "marks": record["marks"], "clothing": record["clothing"],
        }  # fmt: skip

    def _child_of(self, report: dict) -> dict:
        first, _, surname = report["name"].lower().partition(" ")
        return self._child_behind(report, first, surname or first)

    def _child_of_found(self, found: dict) -> dict:
        words = [w for w in found["name"].lower().split() if w not in ("master", "baby", "km.", "kumari")] or ["unknown"]
        return self._child_behind(found, words[0], words[-1])

    def unreported_found_child(self, record_id: str) -> dict:
        """A found child whose family never reported them (no true match)."""
        child = self._child()
        return self.found_child(child, record_id, found_date=self._found_date(child["date"]))

    def second_missing_report(self, child: dict, record_id: str) -> dict:
        """The same child reported again at another station (a relative, another city):
        the name spelt differently, the age and date a little off, sometimes elsewhere."""
        rng = self.rng
        again = dict(child)
        again["first"] = self.noisy_word(child["first"]) if rng.random() < 0.6 else child["first"]
        if rng.random() < 0.3:
            again["surname"] = self.noisy_word(child["surname"])
        again["age"] = max(1, child["age"] + rng.choice([-1, 0, 0, 0, 1]))
        again["date"] = child["date"] + dt.timedelta(days=rng.randint(-5, 30))
        if rng.random() < 0.35:
            again["place"] = rng.choice([p for p in vocab.PLACES if p[2] == child["place"][2]] or [child["place"]])
        if rng.random() < 0.5:
            again["marks"] = rng.choice(vocab.MARKS)
        report = self.missing_report(again, record_id)
        if rng.random() < 0.4:
            report["father_name"] = ""
        return report

    # -- a whole dataset --------------------------------------------------------------
    def dataset(self, n_missing: int, n_found: int, *, matched_share: float = 0.5, duplicate_share: float = 0.0) -> Dataset:
        """``n_found`` found children, ``matched_share`` of whom have one of the missing reports.

        Example:
            >>> ds = RegisterGenerator(seed=1).dataset(100, 40)
            >>> len(ds.missing), len(ds.found), len(ds.truth)
            (100, 40, 20)
        """
        n_matched = min(n_missing, round(n_found * matched_share))
        missing_ids = [f"MP-{i:07d}" for i in self.rng.sample(range(1, 10 * n_missing + 10), n_missing)]
        found_ids = [f"FC-{i:07d}" for i in self.rng.sample(range(1, 10 * n_found + 10), n_found)]
        data = Dataset()
        for i, missing_id in enumerate(missing_ids):
            child = self._child()
            data.missing.append(self.missing_report(child, missing_id))
            if i < n_matched:
                found_id = found_ids[i]
                data.found.append(self.found_child(child, found_id))
                data.truth.append({"found": found_id, "missing": missing_id})
        for found_id in found_ids[n_matched:]:
            data.found.append(self.unreported_found_child(found_id))
        # within-side duplicates: the same child reported twice, or admitted to two homes
        n_dup_missing = round(n_missing * duplicate_share)
        for i, original in enumerate(data.missing[:n_dup_missing]):
            child = self._child_of(original)
            second = self.second_missing_report(child, f"MP-D{i:06d}")
            data.missing.append(second)
            data.duplicates.append({"kind": "missing", "a": original["id"], "b": second["id"]})
        n_dup_found = round(n_found * duplicate_share)
        for i, original in enumerate(data.found[:n_dup_found]):
            child = self._child_of_found(original)
            later = dt.date.fromisoformat(original["date"]) + dt.timedelta(days=self.rng.randint(5, 240))
            second = self.found_child(child, f"FC-D{i:06d}", found_date=min(later, self.today))
            data.found.append(second)
            data.duplicates.append({"kind": "found", "a": original["id"], "b": second["id"]})
        self.rng.shuffle(data.missing)
        self.rng.shuffle(data.found)
        return data
