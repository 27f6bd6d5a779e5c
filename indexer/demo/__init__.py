"""Synthetic labelled registers for demos, benchmarks and quality checks."""

from indexer.demo.generator import Dataset, NoiseProfile, RegisterGenerator, render_in_script
from indexer.demo.independent import IndependentGenerator
from indexer.demo.units import cci_code, police_station_code

__all__ = ["Dataset", "IndependentGenerator", "NoiseProfile", "RegisterGenerator", "cci_code", "police_station_code", "render_in_script"]
