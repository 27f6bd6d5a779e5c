"""Synthetic labelled registers for demos, benchmarks and quality checks."""

from indexer.demo.generator import Dataset, NoiseProfile, RegisterGenerator, render_in_script
from indexer.demo.independent import IndependentGenerator

__all__ = ["Dataset", "IndependentGenerator", "NoiseProfile", "RegisterGenerator", "render_in_script"]
