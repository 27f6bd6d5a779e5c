"""Synthetic labelled registers for demos, benchmarks and quality checks."""

from indexer.demo.generator import Dataset, NoiseProfile, RegisterGenerator, render_in_script

__all__ = ["Dataset", "NoiseProfile", "RegisterGenerator", "render_in_script"]
