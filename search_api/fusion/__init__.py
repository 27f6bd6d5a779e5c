"""Fusion: named evidence features, a fitted Fellegi–Sunter model and explained candidates."""
