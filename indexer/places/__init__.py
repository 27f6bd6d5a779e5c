"""A bundled gazetteer of India's states and districts, with coordinates."""

from indexer.places.gazetteer import District, canonical_names, district_count, locate_place, place_key, resolve_district, resolve_state

__all__ = ["District", "canonical_names", "district_count", "locate_place", "place_key", "resolve_district", "resolve_state"]
