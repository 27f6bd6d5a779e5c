"""A second benchmark generator that shares no rules with the matcher.

The classic generator (``generator.py``) was written beside the matcher: its spelling
variants are the normaliser's rules read backwards, its age errors, railway hubs and growth
rate are the ones the features score. Figures on it are partly circular. This generator is
written from how registers go wrong instead, and imports nothing from the normaliser, the
fusion features or the classic generator's vocabulary:

- names: keyboard-adjacent typing errors, OCR confusions (rn/m, l/1, cl/d…), a clerk who
  keeps the register in Devanagari or Bengali (its own naive table, not
  ``indic-transliteration``), or who romanises such a register back by ear; given name
  and surname swapped; the father's name written in the child's name field; nicknames;
  initials; no name at all;
- ages: staff estimates whose error grows with the child's age, gross misjudgements,
  ages in months for infants, "approx 10", "8-10", "5 yrs";
- dates: dd/mm/yyyy, dd-mm-yy, "12 Jan 2024", ISO, day and month swapped, "NA";
- heights: from a growth table by age (not a linear rate), measured at the home but only
  guessed by the family, 0 for "not measured", feet and inches;
- places: where children are found is drawn from its own mixture (same district, a
  neighbouring district, the big cities it lists, anywhere), districts under old names
  and spellings, states abbreviated, lat/lon usually absent;
- sentinels: "NA", "unknown", "नहीं पता" in text, 0 and -1 in measurements.

Records are written as registers export them; the lenient ingest reads them.
"""

from __future__ import annotations

import datetime as dt
import math
import random

from indexer.demo.generator import Dataset
from indexer.demo.units import cci_code, police_station_code

# -- its own vocabulary ---------------------------------------------------------------
# (given name, weight) by sex; weights roughly follow how common names are (a long tail).
BOYS = [
    "Aarav",
    "Aditya",
    "Ajay",
    "Akash",
    "Aman",
    "Amit",
    "Anil",
    "Ankit",
    "Anuj",
    "Arjun",
    "Arun",
    "Ashok",
    "Deepak",
    "Dev",
    "Dinesh",
    "Gaurav",
    "Govind",
    "Hari",
    "Harish",
    "Imran",
    "Irfan",
    "Jitendra",
    "Karan",
    "Kishore",
    "Krishna",
    "Kunal",
    "Lalit",
    "Mahesh",
    "Manish",
    "Manoj",
    "Mohan",
    "Mohit",
    "Mukesh",
    "Naveen",
    "Nikhil",
    "Pankaj",
    "Pawan",
    "Pradeep",
    "Prakash",
    "Pramod",
    "Rahul",
    "Raj",
    "Rajesh",
    "Rakesh",
    "Ramesh",
    "Ravi",
    "Rohit",
    "Sachin",
    "Sahil",
    "Salman",
    "Sandeep",
    "Sanjay",
    "Santosh",
    "Shivam",
    "Sonu",
    "Sumit",
    "Sunil",
    "Suraj",
    "Suresh",
    "Tarun",
    "Umesh",
    "Vijay",
    "Vikas",
    "Vinod",
    "Vishal",
    "Yogesh",
    "Zaid",
    "Bablu",
    "Chandan",
    "Dilip",
    "Gopal",
    "Sameer",
]
GIRLS = [
    "Aarti",
    "Aisha",
    "Anita",
    "Anjali",
    "Ankita",
    "Anu",
    "Archana",
    "Asha",
    "Bhavna",
    "Chanda",
    "Deepa",
    "Divya",
    "Durga",
    "Farah",
    "Gita",
    "Geeta",
    "Guddi",
    "Jyoti",
    "Kajal",
    "Kavita",
    "Khushi",
    "Komal",
    "Lakshmi",
    "Lata",
    "Madhu",
    "Mamta",
    "Manisha",
    "Meena",
    "Monika",
    "Muskan",
    "Nazia",
    "Neha",
    "Nisha",
    "Pinki",
    "Pooja",
    "Poonam",
    "Preeti",
    "Priya",
    "Radha",
    "Rani",
    "Reena",
    "Rekha",
    "Renu",
    "Ritu",
    "Roshni",
    "Ruby",
    "Sakshi",
    "Sangeeta",
    "Sapna",
    "Saroj",
    "Seema",
    "Shabnam",
    "Shalini",
    "Shanti",
    "Shilpa",
    "Simran",
    "Sneha",
    "Sonam",
    "Sunita",
    "Suman",
    "Swati",
    "Tanu",
    "Usha",
    "Vandana",
    "Varsha",
    "Zoya",
    "Kiran",
    "Babli",
    "Champa",
    "Dolly",
    "Payal",
]
NICKNAMES = [
    "Munna",
    "Pappu",
    "Bittu",
    "Chhotu",
    "Golu",
    "Monu",
    "Sonu",
    "Babu",
    "Raju",
    "Guddu",
    "Pinky",
    "Munni",
    "Chutki",
    "Gudiya",
    "Bablu",
    "Tinku",
    "Lallu",
    "Kalu",
]
# surnames by region: north, east, west, south (south India often has no surname: the father's name or an initial)
SURNAMES = {
    "north": [
        "Kumar",
        "Singh",
        "Sharma",
        "Verma",
        "Yadav",
        "Gupta",
        "Prasad",
        "Mishra",
        "Pandey",
        "Tiwari",
        "Chauhan",
        "Khan",
        "Ansari",
        "Qureshi",
        "Saini",
        "Rawat",
        "Devi",
        "Kumari",
    ],
    "east": [
        "Das",
        "Mondal",
        "Ghosh",
        "Roy",
        "Sarkar",
        "Biswas",
        "Paul",
        "Sahoo",
        "Behera",
        "Nayak",
        "Pradhan",
        "Mahato",
        "Oraon",
        "Munda",
        "Bora",
        "Kalita",
        "Khatun",
        "Bibi",
    ],
    "west": [
        "Patil",
        "Jadhav",
        "Shinde",
        "Pawar",
        "More",
        "Gaikwad",
        "Patel",
        "Shah",
        "Parmar",
        "Solanki",
        "Chavan",
        "Kamble",
        "Shaikh",
        "Pathan",
        "Desai",
        "Joshi",
    ],
    "south": [
        "Reddy",
        "Naidu",
        "Rao",
        "Nair",
        "Pillai",
        "Menon",
        "Iyer",
        "Gowda",
        "Shetty",
        "Raju",
        "Naik",
        "Murugan",
        "Selvam",
        "Babu",
        "Khan",
        "Basha",
    ],
}
# (district, state, lat, lon, region, other spellings and old names, states' other spellings)
DISTRICTS = (
    ("Gurugram", "Haryana", 28.46, 77.03, "north", ("Gurgaon", "GURGAON")),
    ("Faridabad", "Haryana", 28.41, 77.32, "north", ("Faridabad",)),
    ("Prayagraj", "Uttar Pradesh", 25.44, 81.85, "north", ("Allahabad", "Allahbad")),
    ("Lucknow", "Uttar Pradesh", 26.85, 80.95, "north", ("Lucknow",)),
    ("Agra", "Uttar Pradesh", 27.18, 78.01, "north", ("Agra",)),
    ("Ayodhya", "Uttar Pradesh", 26.79, 82.20, "north", ("Faizabad",)),
    ("Gautam Buddha Nagar", "Uttar Pradesh", 28.54, 77.39, "north", ("Noida", "G.B. Nagar")),
    ("Meerut", "Uttar Pradesh", 28.98, 77.71, "north", ("Merut",)),
    ("Bareilly", "Uttar Pradesh", 28.37, 79.43, "north", ("Bareli",)),
    ("Patna", "Bihar", 25.61, 85.14, "north", ("Patna",)),
    ("Gaya", "Bihar", 24.79, 85.00, "north", ("Gaya",)),
    ("Darbhanga", "Bihar", 26.15, 85.90, "north", ("Darbhanga",)),
    ("Jaipur", "Rajasthan", 26.91, 75.79, "north", ("Jaipur",)),
    ("Ajmer", "Rajasthan", 26.45, 74.64, "north", ("Ajmer",)),
    ("Indore", "Madhya Pradesh", 22.72, 75.86, "north", ("Indore",)),
    ("Narmadapuram", "Madhya Pradesh", 22.75, 77.72, "north", ("Hoshangabad",)),
    ("Ranchi", "Jharkhand", 23.34, 85.31, "east", ("Ranchi",)),
    ("Kolkata", "West Bengal", 22.57, 88.36, "east", ("Calcutta",)),
    ("North 24 Parganas", "West Bengal", 22.72, 88.48, "east", ("24 Parganas North", "North Twenty Four Parganas")),
    ("Murshidabad", "West Bengal", 24.18, 88.27, "east", ("Murshidabad",)),
    ("Cuttack", "Odisha", 20.46, 85.88, "east", ("Cuttack",)),
    ("Khordha", "Odisha", 20.18, 85.62, "east", ("Khurda", "Bhubaneswar")),
    ("Kamrup Metropolitan", "Assam", 26.14, 91.74, "east", ("Guwahati", "Kamrup Metro")),
    ("Mumbai", "Maharashtra", 18.96, 72.82, "west", ("Bombay", "Mumbai City")),
    ("Pune", "Maharashtra", 18.52, 73.86, "west", ("Poona",)),
    ("Thane", "Maharashtra", 19.22, 72.98, "west", ("Thana",)),
    ("Nashik", "Maharashtra", 20.00, 73.79, "west", ("Nasik",)),
    ("Ahmedabad", "Gujarat", 23.02, 72.57, "west", ("Ahmadabad", "Amdavad")),
    ("Vadodara", "Gujarat", 22.31, 73.18, "west", ("Baroda",)),
    ("Surat", "Gujarat", 21.17, 72.83, "west", ("Surat",)),
    ("Bengaluru Urban", "Karnataka", 12.97, 77.59, "south", ("Bangalore", "Bengaluru", "Bangalore Urban")),
    ("Mysuru", "Karnataka", 12.30, 76.64, "south", ("Mysore",)),
    ("Belagavi", "Karnataka", 15.85, 74.50, "south", ("Belgaum",)),
    ("Chennai", "Tamil Nadu", 13.08, 80.27, "south", ("Madras",)),
    ("Madurai", "Tamil Nadu", 9.93, 78.12, "south", ("Madurai",)),
    ("Tiruchirappalli", "Tamil Nadu", 10.80, 78.69, "south", ("Trichy",)),
    ("Hyderabad", "Telangana", 17.39, 78.49, "south", ("Hyderabad", "Secunderabad")),
    ("Visakhapatnam", "Andhra Pradesh", 17.69, 83.22, "south", ("Vizag", "Vishakhapatnam")),
    ("Thiruvananthapuram", "Kerala", 8.52, 76.94, "south", ("Trivandrum",)),
    ("Ernakulam", "Kerala", 9.98, 76.28, "south", ("Cochin", "Kochi")),
    ("Kozhikode", "Kerala", 11.26, 75.78, "south", ("Calicut",)),
)
STATE_SPELLINGS = {
    "Uttar Pradesh": ("UP", "U.P.", "Uttar Pradesh"),
    "Odisha": ("Orissa",),
    "West Bengal": ("WB", "W.B.", "West Bengal"),
    "Madhya Pradesh": ("MP", "M.P."),
    "Tamil Nadu": ("Tamilnadu", "TN"),
    "Andhra Pradesh": ("AP", "A.P."),
}
# Where found children turn up when far from home: the largest cities, as this generator sees them.
BIG_CITIES = ("Mumbai", "Kolkata", "Chennai", "Bengaluru Urban", "Hyderabad", "Ahmedabad", "Pune", "Lucknow", "Patna", "Jaipur")
LANGUAGES = {
    "north": ["Hindi"],
    "east": ["Bengali", "Hindi", "Odia"],
    "west": ["Marathi", "Gujarati"],
    "south": ["Tamil", "Kannada", "Telugu"],
}
MARKS = (
    "burn mark on left hand", "mole near right eye", "cut mark on chin", "birthmark on back", "scar on right knee",
    "missing front tooth", "six fingers on left hand", "tattoo of om on wrist", "pierced nose", "limps slightly",
)  # fmt: skip
CLOTHES = ("blue shirt black pant", "red frock", "school uniform", "green kurta", "white vest and shorts", "yellow salwar", "torn t-shirt")
COMPLEXION = ("fair", "wheatish", "dark", "brown", "saanwla")
TEXT_BLANKS = ("NA", "N/A", "-", "unknown", "not known", "नहीं पता", "")
# Median height (cm) by completed year of age, boys and girls alike: a growth table, not a rate.
HEIGHT_BY_AGE = (50, 75, 87, 96, 103, 110, 116, 122, 128, 133, 138, 143, 149, 156, 162, 166, 169, 171, 172)

# -- how registers go wrong -------------------------------------------------------------
_KEYBOARD_ROWS = ("qwertyuiop", "asdfghjkl", "zxcvbnm")
_ADJACENT: dict[str, str] = {}
for _r, _row in enumerate(_KEYBOARD_ROWS):
    for _c, _ch in enumerate(_row):
        near = [_row[_c - 1] if _c > 0 else "", _row[_c + 1] if _c + 1 < len(_row) else ""]
        for _dr in (-1, 1):
            if 0 <= _r + _dr < len(_KEYBOARD_ROWS):
                other = _KEYBOARD_ROWS[_r + _dr]
                near += [other[k] for k in (_c - 1, _c, _c + 1) if 0 <= k < len(other)]
        _ADJACENT[_ch] = "".join(n for n in near if n)
OCR_CONFUSIONS = (
    ("m", "rn"), ("rn", "m"), ("l", "1"), ("i", "l"), ("I", "l"), ("o", "0"), ("O", "0"), ("d", "cl"), ("w", "vv"),
    ("h", "b"), ("e", "c"), ("u", "v"), ("n", "ri"), ("a", "o"), ("S", "5"), ("B", "8"), ("g", "q"), ("t", "f"),
)  # fmt: skip

# A naive table transliteration, written for this generator (not indic-transliteration):
# greedy longest match, inherent vowel as an empty sign, a virama between consonants.
_DEV_CONSONANTS = {
    "chh": "छ", "kh": "ख", "gh": "घ", "ch": "च", "jh": "झ", "th": "थ", "dh": "ध", "ph": "फ", "bh": "भ", "sh": "श",
    "k": "क", "g": "ग", "j": "ज", "t": "त", "d": "द", "n": "न", "p": "प", "b": "ब", "m": "म", "y": "य", "r": "र",
    "l": "ल", "v": "व", "w": "व", "s": "स", "h": "ह", "f": "फ", "z": "ज", "q": "क", "c": "क", "x": "क्स",
}  # fmt: skip
_DEV_VOWELS = {"aa": "आ", "ai": "ऐ", "au": "औ", "ee": "ई", "ii": "ई", "oo": "ऊ", "a": "अ", "i": "इ", "u": "उ", "e": "ए", "o": "ओ"}
_DEV_SIGNS = {"aa": "ा", "ai": "ै", "au": "ौ", "ee": "ी", "ii": "ी", "oo": "ू", "a": "", "i": "ि", "u": "ु", "e": "े", "o": "ो"}
_VIRAMA = "्"
# and back, by ear: long and short vowels written alike, as clerks do
_BACK_CONSONANTS = {v: k for k, v in reversed(list(_DEV_CONSONANTS.items())) if len(v) == 1}
_BACK_CONSONANTS.update({"व": "v", "क": "k", "ज": "j", "फ": "ph", "स": "s", "श": "sh"})
_BACK_VOWELS = {"आ": "a", "ऐ": "ai", "औ": "au", "ई": "i", "ऊ": "u", "अ": "a", "इ": "i", "उ": "u", "ए": "e", "ओ": "o"}
_BACK_SIGNS = {"ा": "a", "ै": "ai", "ौ": "au", "ी": "i", "ू": "u", "ि": "i", "ु": "u", "े": "e", "ो": "o"}


def to_devanagari(word: str) -> str:
    """'Pooja' → 'पूजा' with a naive table (word-final 'a' is long, as in names)."""
    text, out, i = word.lower(), [], 0
    while i < len(text):
        cons = next((c for c in sorted(_DEV_CONSONANTS, key=len, reverse=True) if text.startswith(c, i)), None)
        if cons is None:
            vowel = next((v for v in sorted(_DEV_VOWELS, key=len, reverse=True) if text.startswith(v, i)), None)
            if vowel is None:
                i += 1
                continue
            out.append(_DEV_VOWELS[vowel])
            i += len(vowel)
            continue
        out.append(_DEV_CONSONANTS[cons])
        i += len(cons)
        vowel = next((v for v in sorted(_DEV_SIGNS, key=len, reverse=True) if text.startswith(v, i)), None)
        if vowel is not None:
            i += len(vowel)
            out.append("ा" if vowel == "a" and i == len(text) and len(text) > 3 else _DEV_SIGNS[vowel])
        elif i < len(text):
            out.append(_VIRAMA)
    return "".join(out)


def to_bengali(word: str) -> str:
    """Bengali letters sit 0x80 above their Devanagari counterparts; व, which Bengali lacks, is ব."""
    return "".join("ব" if ch == "व" else chr(ord(ch) + 0x80) if "\u0900" <= ch <= "\u097f" else ch for ch in to_devanagari(word))


def by_ear(devanagari: str) -> str:
    """Romanise a Devanagari register back as a clerk would: 'पूजा' → 'Puja'."""
    out: list[str] = []
    chars = list(devanagari)
    for i, ch in enumerate(chars):
        nxt = chars[i + 1] if i + 1 < len(chars) else ""
        if ch in _BACK_CONSONANTS:
            out.append(_BACK_CONSONANTS[ch])
            if nxt not in _BACK_SIGNS and nxt != _VIRAMA and nxt:
                out.append("a")
        elif ch in _BACK_SIGNS:
            out.append(_BACK_SIGNS[ch])
        elif ch in _BACK_VOWELS:
            out.append(_BACK_VOWELS[ch])
    return "".join(out).capitalize()


class IndependentGenerator:
    """Labelled missing/found registers whose noise is written from how registers go wrong.

    Example:
        >>> ds = IndependentGenerator(seed=1).dataset(100, 40)
        >>> len(ds.missing), len(ds.found), len(ds.truth)
        (100, 40, 20)
    """

    def __init__(self, seed: int = 7, today: dt.date = dt.date(2026, 11, 1)) -> None:
        self.rng = random.Random(seed)
        self.today = today
        self._boy_weights = [1 / (k + 3) for k in range(len(BOYS))]
        self._girl_weights = [1 / (k + 3) for k in range(len(GIRLS))]

    # -- the child, as the world has them -------------------------------------------------
    def _child(self, seen: dt.date) -> dict:
        """A child aged between about 6 months and 17 years on ``seen``."""
        rng = self.rng
        place = rng.choice(DISTRICTS)
        sex = "M" if rng.random() < 0.55 else "F"
        given = rng.choices(BOYS if sex == "M" else GIRLS, self._boy_weights if sex == "M" else self._girl_weights)[0]
        surname = rng.choice(SURNAMES[place[4]])
        if sex == "F" and surname == "Kumar":
            surname = "Kumari"
        father = rng.choices(BOYS, self._boy_weights)[0]
        mother = rng.choices(GIRLS, self._girl_weights)[0]
        born = seen - dt.timedelta(days=rng.randint(200, 17 * 365))
        return {
            "given": given,
            "surname": surname if rng.random() > 0.15 else "",
            "family": surname,
            "nickname": rng.choice(NICKNAMES) if rng.random() < 0.35 else "",
            "sex": sex,
            "born": born,
            "place": place,
            "father": f"{father} {surname}".strip(),
            "mother": f"{mother} {rng.choice(['Devi', surname])}",
            "height_z": rng.gauss(0, 1),
            "marks": rng.choice(MARKS) if rng.random() < 0.5 else "",
            "complexion": rng.choice(COMPLEXION),
        }

    def _age_on(self, child: dict, day: dt.date) -> float:
        return max(0.0, (day - child["born"]).days / 365.25)

    def _height_on(self, child: dict, day: dt.date) -> float:
        age = self._age_on(child, day)
        low = HEIGHT_BY_AGE[min(int(age), len(HEIGHT_BY_AGE) - 1)]
        high = HEIGHT_BY_AGE[min(int(age) + 1, len(HEIGHT_BY_AGE) - 1)]
        median = low + (high - low) * (age - int(age))
        return median + child["height_z"] * (2 + 0.3 * age)

    # -- how a clerk writes it ------------------------------------------------------------
    def keyboard_typo(self, word: str) -> str:
        rng = self.rng
        if len(word) < 3:
            return word
        i = rng.randrange(1, len(word))
        ch = word[i].lower()
        match rng.choice(("substitute", "insert", "delete", "transpose", "double")):
            case "substitute" if ch in _ADJACENT:
                return word[:i] + rng.choice(_ADJACENT[ch]) + word[i + 1 :]
            case "insert" if ch in _ADJACENT:
                return word[:i] + rng.choice(_ADJACENT[ch]) + word[i:]
            case "delete":
                return word[:i] + word[i + 1 :]
            case "transpose" if i + 1 < len(word):
                return word[:i] + word[i + 1] + word[i] + word[i + 2 :]
            case _:
                return word[:i] + word[i] + word[i:]

    def ocr_confusion(self, text: str) -> str:
        options = [(a, b) for a, b in OCR_CONFUSIONS if a in text]
        if not options:
            return text
        a, b = self.rng.choice(options)
        at = [i for i in range(len(text)) if text.startswith(a, i)]
        i = self.rng.choice(at)
        return text[:i] + b + text[i + len(a) :]

    def _casing(self, text: str) -> str:
        roll = self.rng.random()
        return text.upper() if roll < 0.3 else text.lower() if roll < 0.38 else text

    def _scribble(self, text: str, *, typo: float, ocr: float, script: float, by_ear_rate: float, region: str) -> str:
        """A name as it lands in a register: maybe in another script, respelt, mistyped, misread."""
        if not text:
            return text
        rng = self.rng
        roll = rng.random()
        if roll < script:
            words = [to_bengali(w) if region == "east" and rng.random() < 0.6 else to_devanagari(w) for w in text.split()]
            return " ".join(words)
        if roll < script + by_ear_rate:
            text = " ".join(by_ear(to_devanagari(w)) for w in text.split())
        if rng.random() < typo:
            words = text.split()
            k = rng.randrange(len(words))
            words[k] = self.keyboard_typo(words[k])
            text = " ".join(words)
        if rng.random() < ocr:
            text = self.ocr_confusion(text)
        return self._casing(text)

    def _date_text(self, day: dt.date | None, *, swap: float = 0.03) -> str:
        rng = self.rng
        if day is None or rng.random() < 0.02:
            return rng.choice(["NA", "", "00/00/0000"])
        if day.day <= 12 and day.day != day.month and rng.random() < swap:
            return f"{day.month:02d}/{day.day:02d}/{day.year}"  # typed month first: read day first, a wrong date
        roll = rng.random()
        if roll < 0.35:
            return day.isoformat()
        if roll < 0.75:
            return f"{day.day:02d}/{day.month:02d}/{day.year}"
        if roll < 0.88:
            return f"{day.day} {day:%b} {day.year}"
        return f"{day.day:02d}-{day.month:02d}-{day.year % 100:02d}"

    def _age_text(self, years: float, *, estimated: bool) -> object:
        rng = self.rng
        if years < 2 and rng.random() < 0.7:
            return f"{max(1, round(years * 12))} months"
        whole = max(0, round(years))
        roll = rng.random()
        if estimated and roll < 0.12:
            return f"{max(0, whole - 1)}-{whole + 1}"
        if estimated and roll < 0.25:
            return f"approx {whole}"
        if roll < 0.4:
            return f"{whole} yrs"
        return whole

    def _height_text(self, cm: float | None) -> object:
        rng = self.rng
        if cm is None:
            return rng.choice([0, 0, "", -1, "NA"])
        roll = rng.random()
        if roll < 0.2:
            inches = round(cm / 2.54)
            return f"{inches // 12} ft {inches % 12} in"
        if roll < 0.35:
            return f"{round(cm)} cm"
        return round(cm)

    def _sex_text(self, sex: str) -> str:
        rng = self.rng
        if rng.random() < 0.02:
            return rng.choice(["", "unknown", "NA"])
        if rng.random() < 0.005:
            sex = "F" if sex == "M" else "M"
        forms = {
            "M": ("M", "M", "Male", "Boy", "लड़का", "m"),
            "F": ("F", "F", "Female", "Girl", "लड़की", "f"),
        }[sex]
        return rng.choice(forms)

    def _place_text(self, place: tuple, *, with_coordinates: float) -> dict:
        rng = self.rng
        district, state, lat, lon, _, spellings = place
        shown = rng.choice(spellings) if rng.random() < 0.3 else district
        if rng.random() < 0.1:
            shown = shown.upper()
        state_shown = rng.choice(STATE_SPELLINGS[state]) if state in STATE_SPELLINGS and rng.random() < 0.3 else state
        out: dict = {"district": shown, "state": state_shown}
        if rng.random() < 0.5:
            out["city"] = rng.choice(spellings)
        if rng.random() < with_coordinates:
            km = abs(rng.gauss(0, 8))
            angle = rng.uniform(0, 2 * math.pi)
            out["lat"] = round(lat + km / 111 * math.cos(angle), 4)
            out["lon"] = round(lon + km / (111 * math.cos(math.radians(lat))) * math.sin(angle), 4)
        return out

    def _blank(self) -> str:
        return self.rng.choice(TEXT_BLANKS)

    # -- the two registers ----------------------------------------------------------------
    def missing_report(self, child: dict, record_id: str, day: dt.date) -> dict:
        rng = self.rng
        region = child["place"][4]
        name = f"{child['given']} {child['surname']}".strip()
        height = self._height_on(child, day) + rng.gauss(0, 6) if rng.random() < 0.5 else None  # the family's guess
        return {
            "kind": "missing",
            "id": record_id,
            "name": self._scribble(name, typo=0.05, ocr=0.02, script=0.05, by_ear_rate=0.0, region=region),
            "aliases": [child["nickname"]] if child["nickname"] and rng.random() < 0.7 else [],
            "sex": self._sex_text(child["sex"]),
            "age": self._age_text(self._age_on(child, day), estimated=False),
            "date": self._date_text(day),
            "place": self._place_text(child["place"], with_coordinates=0.4),
            "father_name": child["father"] if rng.random() < 0.85 else self._blank(),
            "mother_name": child["mother"] if rng.random() < 0.5 else self._blank(),
            "languages": LANGUAGES[region][:1],
            "height_cm": self._height_text(height),
            "complexion": child["complexion"] if rng.random() < 0.7 else self._blank(),
            "marks": child["marks"] if rng.random() < 0.8 else "",
            "clothing": rng.choice(CLOTHES),
            "police_station": f"PS {child['place'][0]}",
            "police_station_code": police_station_code(child["place"][0]),
        }

    def _found_place(self, child: dict) -> tuple:
        rng = self.rng
        home = child["place"]
        roll = rng.random()
        if roll < 0.4:
            return home
        if roll < 0.6:
            same_state = [d for d in DISTRICTS if d[1] == home[1] and d != home]
            return rng.choice(same_state) if same_state else home
        if roll < 0.8:
            city = rng.choice(BIG_CITIES)
            return next(d for d in DISTRICTS if d[0] == city)
        return rng.choice(DISTRICTS)

    def _found_name(self, child: dict) -> tuple[str, list[str]]:
        rng = self.rng
        given, surname, nick = child["given"], child["surname"] or child["family"], child["nickname"]
        roll = rng.random()
        if roll < 0.30:
            return given, []
        if roll < 0.58:
            return f"{given} {surname}", []
        if roll < 0.66:
            return f"{surname} {given}", []  # surname first, as some registers sort
        if roll < 0.74:
            return (nick, []) if nick else (given, [])
        if roll < 0.78:
            return child["father"], [given] if rng.random() < 0.5 else []  # the father's name in the child's field
        if roll < 0.82:
            return f"{given} S/O {child['father']}" if child["sex"] == "M" else f"{given} D/O {child['father']}", []
        if roll < 0.86:
            return f"{given[0]}. {surname}", []
        if roll < 0.91:
            return "", [nick] if nick else []
        return f"{given} {rng.choice(SURNAMES[rng.choice(list(SURNAMES))])}", []  # a surname misheard or assumed

    def found_child(self, child: dict, record_id: str, missing_day: dt.date) -> dict:
        rng = self.rng
        roll = rng.random()
        if roll < 0.05:
            day = missing_day - dt.timedelta(days=rng.randint(1, 30))  # found before the report was filed
        elif roll < 0.72:
            day = missing_day + dt.timedelta(days=int(rng.expovariate(1 / 45)))
        else:
            day = missing_day + dt.timedelta(days=rng.randint(90, 1100))
        day = min(day, self.today)
        return self._found_record(child, record_id, day)

    def _found_record(self, child: dict, record_id: str, day: dt.date) -> dict:
        rng = self.rng
        true_age = self._age_on(child, day)
        estimate = true_age + rng.gauss(0, 0.6 + 0.12 * true_age)
        if rng.random() < 0.08:
            estimate += rng.choice([-1, 1]) * rng.uniform(3, 5)
        estimate = min(max(estimate, 0.2), 18.0)
        name, aliases = self._found_name(child)
        place = self._found_place(child)
        region = place[4]
        measured = self._height_on(child, day) + rng.gauss(0, 1.5) if rng.random() < 0.7 else None
        return {
            "kind": "found",
            "id": record_id,
            "name": self._scribble(name, typo=0.15, ocr=0.10, script=0.12, by_ear_rate=0.15, region=region),
            "aliases": [self._scribble(a, typo=0.1, ocr=0.0, script=0.0, by_ear_rate=0.1, region=region) for a in aliases],
            "sex": self._sex_text(child["sex"]),
            "age": self._age_text(estimate, estimated=True),
            "date": self._date_text(day),
            "place": self._place_text(place, with_coordinates=0.3),
            "father_name": self._scribble(child["father"].split()[0], typo=0.1, ocr=0.05, script=0.1, by_ear_rate=0.15, region=region)
            if rng.random() < 0.4
            else self._blank(),
            "mother_name": child["mother"].split()[0] if rng.random() < 0.2 else self._blank(),
            "languages": LANGUAGES[child["place"][4]][:1] if rng.random() < 0.6 else [],
            "height_cm": self._height_text(measured),
            "complexion": child["complexion"] if rng.random() < 0.6 else rng.choice(COMPLEXION),
            "marks": child["marks"] if child["marks"] and rng.random() < 0.6 else self._blank(),
            "clothing": rng.choice(CLOTHES),
            "cci_name": f"Children Home, {place[0]}",
            "cci_code": cci_code(place[0]),
        }

    def dataset(self, n_missing: int, n_found: int, *, matched_share: float = 0.5) -> Dataset:
        """``n_found`` found children, ``matched_share`` of whom have one of the missing reports."""
        rng = self.rng
        n_matched = min(n_missing, round(n_found * matched_share))
        missing_ids = [f"MR-{i:06d}" for i in rng.sample(range(1, 10 * n_missing + 10), n_missing)]
        found_ids = [f"CCI{i:07d}" for i in rng.sample(range(1, 10 * n_found + 10), n_found)]
        data = Dataset()
        earliest = self.today - dt.timedelta(days=5 * 365)
        for i, missing_id in enumerate(missing_ids):
            day = earliest + dt.timedelta(days=rng.randint(0, (self.today - earliest).days - 30))
            child = self._child(day)
            data.missing.append(self.missing_report(child, missing_id, day))
            if i < n_matched:
                data.found.append(self.found_child(child, found_ids[i], day))
                data.truth.append({"found": found_ids[i], "missing": missing_id})
        for found_id in found_ids[n_matched:]:
            day = earliest + dt.timedelta(days=rng.randint(0, (self.today - earliest).days))
            child = self._child(day)
            data.found.append(self._found_record(child, found_id, day))
        rng.shuffle(data.missing)
        rng.shuffle(data.found)
        return data
