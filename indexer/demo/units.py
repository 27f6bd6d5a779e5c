"""Unit codes of the demo's police stations and CCIs, derived from their names.

Rights follow the code, not the name (``search_api.policy``), so demo records carry codes
that demo users can hold: ``PS-PATNA-KOTWALI`` for "Patna Kotwali", ``CCI-PATNA`` for
"Children Home, Patna". Derived, not drawn, so a seed gives the same records as before.
"""

from __future__ import annotations

import re


def _slug(text: str) -> str:
    return re.sub(r"[^A-Z0-9]+", "-", text.upper()).strip("-")


def police_station_code(station: str) -> str:
    """The demo CCTNS-style code of a police station named ``station`` (e.g. "Patna Kotwali")."""
    return f"PS-{_slug(station)}"[:64]


def cci_code(city: str) -> str:
    """The demo registration number of the children's home of ``city``."""
    return f"CCI-{_slug(city)}"[:64]
