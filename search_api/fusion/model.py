"""The fusion model: Fellegi–Sunter evidence weights per feature level, then calibration.

Each level of each feature carries m = P(level | same child) and u = P(level | different
children); its weight is log2(m / u), so evidence adds up in bits. Name levels are
term-frequency adjusted: agreeing on a rare name uses the name's own frequency instead of
the level's average u, so "Yadavi" outweighs "Rahul". A logistic calibration maps the
summed weight to a probability that holds on candidate pairs. Two rules sit on top:
a face can never raise the score of a pair whose recorded sexes differ, and the score of
such a pair is capped below the review threshold unless names agree fully.
"""

from __future__ import annotations

import json
import math
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from search_api.fusion.features import ALL_FEATURES
from search_api.fusion.levels import Observed

MODEL_VERSION = 1
DEFAULT_MODEL_PATH = Path(__file__).with_name("model.json")
COLD_START = "cold-start"  # the shipped model: fitted on generated registers, used until a register's own fit
COLD_START_LABEL = "cold-start: the shipped model, fitted on generated registers (run `trackchild model fit` on the live store)"
MODELS_DIRNAME = "fusion_models"  # in the data dir: v0001.json, v0002.json, ... and ACTIVE naming the one in use
_VERSION_FILE = re.compile(r"^v(\d{4,})\.json$")
MAX_ABS_WEIGHT = 12.0  # bits; no single piece of evidence may decide alone
TF_FLOOR = 1e-5


class FusionModelError(ValueError):
    """A model file that cannot be used; the message lists every problem."""


@dataclass
class LevelParams:
    m: float
    u: float
    weight: float = field(init=False)  # log2(m / u), bounded

    def __post_init__(self) -> None:
        self.weight = max(-MAX_ABS_WEIGHT, min(MAX_ABS_WEIGHT, math.log2(self.m / self.u)))


@dataclass
class FusionModel:
    """Prior, per-feature per-level parameters, calibration and the review threshold."""

    prior: float  # P(same child) for a random pair of the registers it was fitted on
    levels: dict[str, dict[str, LevelParams]]
    # share of found children who have a missing report; with the live number of missing
    # reports it gives the prior of a pair today, so a bigger register asks for more evidence
    match_share: float | None = None
    calibration_a: float = 1.0
    calibration_b: float = 0.0
    review_threshold: float = 0.5
    fitted_on: dict = field(default_factory=dict)
    # per-value frequencies measured on the registers it was fitted on (names, parents, places)
    term_frequencies: dict[str, dict[str, float]] = field(default_factory=dict)
    source: str = field(default=COLD_START_LABEL, compare=False)  # which file this is, for people (not saved)

    # -- scoring -----------------------------------------------------------------
    def weight(self, observed: Observed) -> float:
        params = self.levels[observed.feature][observed.level]
        weight = params.weight
        if observed.frequency is not None:
            weight = max(-MAX_ABS_WEIGHT, min(MAX_ABS_WEIGHT, math.log2(params.m / max(TF_FLOOR, observed.frequency))))
        return weight * observed.strength

    def prior_for(self, missing_reports: int | None) -> float:
        """The prior of one pair when the missing register holds ``missing_reports`` records."""
        if not self.match_share or not missing_reports:
            return self.prior
        return min(0.5, max(1e-12, self.match_share / missing_reports))

    def score(self, observations: list[Observed], *, prior: float | None = None) -> tuple[float, float, list[float]]:
        """(probability, total log2 odds, weight per observation)."""
        prior = self.prior if prior is None else prior
        weights = [self.weight(o) for o in observations]
        by_feature = {o.feature: o for o in observations}
        sex = by_feature.get("sex_agreement")
        if sex is not None and sex.level == "else":
            # rule: a face can never pair a boy with a girl
            weights = [min(0.0, w) if o.feature == "face_cosine" else w for o, w in zip(observations, weights, strict=True)]
        total = math.log2(prior / (1 - prior)) + sum(weights)
        probability = 1.0 / (1.0 + math.exp(-(self.calibration_a * total * math.log(2) + self.calibration_b)))
        if sex is not None and sex.level == "else" and by_feature.get("name_phonetic", sex).level != "full":
            probability = min(probability, self.review_threshold * 0.5)
        return probability, total, weights

    # -- persistence ---------------------------------------------------------------
    def to_json(self) -> dict:
        return {
            "version": MODEL_VERSION,
            "prior": self.prior,
            "match_share": self.match_share,
            "calibration": {"a": self.calibration_a, "b": self.calibration_b},
            "review_threshold": self.review_threshold,
            "fitted_on": self.fitted_on,
            **({"term_frequencies": self.term_frequencies} if self.term_frequencies else {}),
            "features": {
                f: {lvl: {"m": p.m, "u": p.u, "weight_bits": round(p.weight, 3)} for lvl, p in levels.items()}
                for f, levels in self.levels.items()
            },
        }

    def save(self, path: Path = DEFAULT_MODEL_PATH) -> None:
        path.write_text(json.dumps(self.to_json(), indent=2, ensure_ascii=False) + "\n")

    @classmethod
    def from_json(cls, data: dict) -> FusionModel:
        """Validate everything and report all problems at once."""
        problems: list[str] = []
        if data.get("version") != MODEL_VERSION:
            problems.append(f"version is {data.get('version')!r}; this code reads version {MODEL_VERSION}")
        prior = data.get("prior")
        if not isinstance(prior, (int, float)) or not 0 < prior < 1:
            problems.append(f"prior must be a probability strictly between 0 and 1, got {prior!r}")
        features = data.get("features", {})
        levels: dict[str, dict[str, LevelParams]] = {}
        for comparison in ALL_FEATURES:
            name = comparison.name
            given = features.get(name)
            if given is None:
                problems.append(f"feature {name} is missing")
                continue
            levels[name] = {}
            for level in comparison.feature.level_names():
                params = given.get(level)
                if params is None:
                    problems.append(f"feature {name}: level {level} is missing")
                    continue
                m, u = params.get("m"), params.get("u")
                if not all(isinstance(x, (int, float)) and 0 < x <= 1 for x in (m, u)):
                    problems.append(f"feature {name}, level {level}: m and u must be probabilities in (0, 1], got m={m!r} u={u!r}")
                    continue
                levels[name][level] = LevelParams(float(m), float(u))
            extra = set(given) - set(comparison.feature.level_names())
            if extra:
                problems.append(f"feature {name}: unknown levels {sorted(extra)}")
        unknown = set(features) - {c.name for c in ALL_FEATURES}
        if unknown:
            problems.append(f"unknown features {sorted(unknown)}")
        if problems:
            raise FusionModelError("fusion model is not usable:\n- " + "\n- ".join(problems))
        calibration = data.get("calibration", {})
        return cls(
            prior=float(prior),  # type: ignore[arg-type]
            levels=levels,
            calibration_a=float(calibration.get("a", 1.0)),
            calibration_b=float(calibration.get("b", 0.0)),
            review_threshold=float(data.get("review_threshold", 0.5)),
            match_share=data.get("match_share"),
            fitted_on=data.get("fitted_on", {}),
            term_frequencies=data.get("term_frequencies", {}),
        )

    @classmethod
    def load(cls, path: Path = DEFAULT_MODEL_PATH) -> FusionModel:
        model = cls.from_json(json.loads(path.read_text()))
        if path.resolve() != DEFAULT_MODEL_PATH.resolve():
            model.source = f"{path.stem} ({path})"
        return model


# -- versions in the data dir ----------------------------------------------------------
# Fitting (search_api.training) writes new versions; serving only reads the active one.


def models_dir(data_dir: Path) -> Path:
    return data_dir / MODELS_DIRNAME


def list_versions(data_dir: Path) -> list[str]:
    """Saved versions, oldest first (``cold-start`` is always available besides)."""
    folder = models_dir(data_dir)
    if not folder.is_dir():
        return []
    found = [(int(m.group(1)), p.stem) for p in folder.iterdir() if (m := _VERSION_FILE.match(p.name))]
    return [name for _, name in sorted(found)]


def version_path(data_dir: Path, version: str) -> Path:
    """The file of a saved version, or the shipped model for ``cold-start``.

    Raises:
        FusionModelError: no such version (the message lists those there are).
    """
    if version == COLD_START:
        return DEFAULT_MODEL_PATH
    path = models_dir(data_dir) / f"{version}.json"
    if not _VERSION_FILE.match(path.name) or not path.is_file():
        known = ", ".join([COLD_START, *list_versions(data_dir)])
        raise FusionModelError(f"no fusion model version {version!r} in {models_dir(data_dir)}; known: {known}")
    return path


def active_version(data_dir: Path) -> str:
    """The version the service uses: the one named in ACTIVE, else ``cold-start``."""
    marker = models_dir(data_dir) / "ACTIVE"
    if not marker.is_file():
        return COLD_START
    return marker.read_text().strip() or COLD_START


def load_active(data_dir: Path) -> FusionModel:
    """The active model of a data dir; the shipped cold-start model when none was fitted.

    Raises:
        FusionModelError: ACTIVE names a file that is gone or invalid (never silently replaced).
    """
    version = active_version(data_dir)
    if version == COLD_START:
        return FusionModel.load()
    model = FusionModel.load(version_path(data_dir, version))
    model.source = f"{version}: fitted on this data dir's registers ({model.fitted_on.get('fitted_at', 'time unknown')})"
    return model


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text)
    os.replace(tmp, path)


def save_version(model: FusionModel, data_dir: Path) -> str:
    """Write ``model`` as the next version (v0001, v0002, ...) and return its name; it is not activated."""
    folder = models_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    existing = list_versions(data_dir)
    number = int(existing[-1][1:]) + 1 if existing else 1
    name = f"v{number:04d}"
    _write_atomic(folder / f"{name}.json", json.dumps(model.to_json(), indent=2, ensure_ascii=False) + "\n")
    return name


def use_version(data_dir: Path, version: str) -> FusionModel:
    """Make ``version`` (or ``cold-start``) the active model after checking that it loads."""
    model = FusionModel.load(version_path(data_dir, version))
    folder = models_dir(data_dir)
    folder.mkdir(parents=True, exist_ok=True)
    _write_atomic(folder / "ACTIVE", version + "\n")
    return model
