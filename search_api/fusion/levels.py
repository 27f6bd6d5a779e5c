"""Evidence vocabulary: a feature compares one missing report with one found child and
lands on exactly one of its ordered levels. The missing-data level comes first, the
catch-all last; the first level whose test passes wins. Every level has a plain label.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

T = TypeVar("T")


@dataclass(frozen=True)
class Level(Generic[T]):
    """One degree of agreement: a name, a label a reviewer understands, and its test."""

    name: str
    label: str
    test: Callable[[T], bool]


@dataclass(frozen=True)
class Observed:
    """Where a pair landed on a feature, with the values a reviewer should see."""

    feature: str
    level: str
    label: str
    left: str  # the missing report's value, as shown
    right: str  # the found child's value, as shown
    detail: str = ""  # e.g. "raahul ~ rahul"
    # how common the agreeing value is among records (0..1), for term-frequency adjustment
    frequency: float | None = None
    strength: float = 1.0  # 0..1: evidence strength (e.g. face quality); scales the weight


@dataclass(frozen=True)
class Feature(Generic[T]):
    """A named comparison with a documented scale and ordered levels."""

    name: str
    scale: str  # what the measured value means, with units
    levels: tuple[Level[T], ...]
    tf_adjusted: tuple[str, ...] = field(default=())  # levels whose weight uses value frequency

    def __post_init__(self) -> None:
        names = [lvl.name for lvl in self.levels]
        if len(set(names)) != len(names):
            raise ValueError(f"feature {self.name}: level names repeat: {names}")
        if names[0] != "missing" or names[-1] != "else":
            raise ValueError(f"feature {self.name}: the first level must be 'missing' and the last 'else', got {names}")

    def level_of(self, value: T) -> Level[T]:
        for level in self.levels:
            if level.test(value):
                return level
        return self.levels[-1]

    def level_names(self) -> list[str]:
        return [lvl.name for lvl in self.levels]


def always(_: object) -> bool:
    return True


@dataclass(frozen=True)
class Comparison:
    """A feature and the function that observes it on a pair: ``compare(pair, frequency)``."""

    feature: Feature
    compare: Callable[..., Observed]

    @property
    def name(self) -> str:
        return self.feature.name
