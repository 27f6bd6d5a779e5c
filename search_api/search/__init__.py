"""Search routes: partial names and descriptions (police), photos (investigators)."""
