"""What kind of place a record's place is: a railway station, a bus stand, a market...

Registers have no such field: the kind is read from the place's address and city as staff
write them ("Patna Jn. platform 4", "ISBT Kashmere Gate", "पटना जंक्शन", "Hanuman Mandir"),
in English and Hindi. The first kind whose words appear wins; nothing found is "other".
"""

from __future__ import annotations

import re

# order matters: "bus stand near railway station" is at the bus stand
PLACE_KINDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("bus_stand", ("bus stand", "bus stop", "bus station", "bus depot", "bus adda", "isbt", "बस स्टैंड", "बस अड्डा", "बस स्टेशन")),
    (
        "railway_station",
        ("railway", "rly", "station", "junction", "jn", "jct", "platform", "train", "grp", "रेलवे", "स्टेशन", "जंक्शन", "प्लेटफार्म", "प्लेटफॉर्म"),
    ),
    ("market", ("market", "bazar", "bazaar", "mandi", "haat", "mall", "बाजार", "बाज़ार", "मंडी", "हाट")),
    (
        "religious_place",
        (
            "temple",
            "mandir",
            "masjid",
            "mosque",
            "dargah",
            "gurudwara",
            "gurdwara",
            "church",
            "mela",
            "ghat",
            "मंदिर",
            "मस्जिद",
            "दरगाह",
            "गुरुद्वारा",
            "मेला",
            "घाट",
        ),
    ),
    ("hospital", ("hospital", "medical college", "aiims", "अस्पताल")),
    ("school", ("school", "vidyalaya", "स्कूल", "विद्यालय")),
)
_ROAD = re.compile(r"\b(station|mandir|market|bazar|hospital)\s+(road|marg|rd)\b", re.IGNORECASE)
KINDS = ("railway_station", "bus_stand", "market", "religious_place", "hospital", "school", "other")  # as tables show them
_PATTERNS = [
    (kind, re.compile(r"(?<![\w])(" + "|".join(re.escape(w) for w in words) + r")(?![\w])", re.IGNORECASE)) for kind, words in PLACE_KINDS
]


def place_kind(*texts: str) -> str:
    """The kind of place the texts describe.

    Example:
        >>> place_kind("Patna Jn., platform 4", "Patna")
        'railway_station'
        >>> place_kind("near ISBT", "Delhi")
        'bus_stand'
    """
    text = _ROAD.sub(" ", " ".join(t for t in texts if t).replace(".", " "))  # "Station Road" is a street
    if not text.strip():
        return "other"
    for kind, pattern in _PATTERNS:
        if pattern.search(text):
            return kind
    return "other"
