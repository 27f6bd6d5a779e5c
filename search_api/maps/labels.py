"""The labels drawn into the map itself (title, legend, kinds of place), in English and Hindi:
the API and the CLI draw maps too, so these live here; the pages' translator includes them."""

from __future__ import annotations

from collections.abc import Callable

LANGUAGES = ("en", "hi")

MAP_LABELS: dict[str, tuple[str, str]] = {
    "india": ("India", "भारत"),
    "map_title_missing": ("Children gone missing", "लापता हुए बच्चे"),
    "map_title_found": ("Children found", "मिले हुए बच्चे"),
    "compared_with": ("compared with", "तुलना:"),
    "suppressed_short": ("fewer than {k}", "{k} से कम"),
    "legend_count": ("Children in the period", "अवधि में बच्चे"),
    "legend_hotspot": ("cluster of places (about 5 km)", "स्थानों का समूह (लगभग 5 किमी)"),
    "legend_service": ("service in the district directory", "ज़िला सेवा निर्देशिका की सेवा"),
    "legend_route": ("route: missing → found", "रास्ता: जहाँ लापता हुए, वहाँ से जहाँ मिले"),
    "boundaries_credit": ("Boundaries", "सीमाएँ"),
    "place_railway_station": ("Railway station", "रेलवे स्टेशन"),
    "place_bus_stand": ("Bus stand", "बस स्टैंड"),
    "place_market": ("Market", "बाज़ार"),
    "place_religious_place": ("Temple, mosque, mela, ghat", "मंदिर, मस्जिद, मेला, घाट"),
    "place_hospital": ("Hospital", "अस्पताल"),
    "place_school": ("School", "स्कूल"),
    "place_other": ("Other or not said", "अन्य या उल्लेख नहीं"),
}


def translator(lang: str) -> Callable[[str], str]:
    """``t(key)`` for the map's labels; an unknown key shows itself."""
    column = 1 if lang == "hi" else 0
    return lambda key: MAP_LABELS[key][column] if key in MAP_LABELS else key
