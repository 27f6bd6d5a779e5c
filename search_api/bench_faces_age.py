"""Faces across years: child photo → adult photos on the Large Age-Gap set (``trackchild bench faces-age``).

The Large Age-Gap (LAG) set holds one folder per person, adult photos at its top and childhood
photos in its ``y/`` sub-folder. Each child photo is a query against every adult photo of the
split; a person's score is the best over their adult photos (as the matcher takes the best
pair of photos). Printed for each embedder and for the fused embedding: rank-1 and rank-10
of the true person, AUC and TAR at FAR 1 % and 0.1 % over every (child photo, adult photo)
pair. LAG's file names carry no ages, so no figure by age-gap band can be derived.

The split is fixed by the person's folder name: sha256(name) mod 4 == 0 is held out (about a
quarter), the rest is the development split. The held-out quarter is only evaluated when asked
for explicitly. Per-photo vectors are cached outside the repository, one file per embedder
(its weights and crop) and split, so variants are compared without embedding twice; nothing
of the set is ever written into the repository.
"""

from __future__ import annotations

import hashlib
import math
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings import FaceConfig, FacePipeline, embedder_ids

PHOTO_SUFFIXES = (".png", ".jpg", ".jpeg")
IMPOSTOR_SAMPLE = 400_000  # impostor pairs the fusion weights are fitted on


class HeldOutRefused(Exception):
    """The held-out quarter was asked for without --held-out."""


def lag_split(identity: str) -> str:
    """'held_out' for a quarter of the people (by sha256 of the folder name), 'dev' for the rest."""
    return "held_out" if int(hashlib.sha256(identity.encode()).hexdigest(), 16) % 4 == 0 else "dev"


@dataclass(frozen=True)
class LagPhoto:
    identity: str
    relpath: str  # under the LAG root
    child: bool


def lag_photos(root: Path, *, split: str) -> list[LagPhoto]:
    """The photos of one split, sorted; raises ``HeldOutRefused`` unless the split is 'dev' or asked for."""
    if split not in ("dev", "held_out"):
        raise ValueError(f"unknown split {split!r}: use 'dev' or 'held_out'")
    photos = []
    for folder in sorted(p for p in root.iterdir() if p.is_dir()):
        if lag_split(folder.name) != split:
            continue
        for sub, child in ((folder, False), (folder / "y", True)):
            if sub.is_dir():
                for f in sorted(sub.iterdir()):
                    if f.is_file() and f.suffix.lower() in PHOTO_SUFFIXES:
                        photos.append(LagPhoto(folder.name, str(f.relative_to(root)), child))
    if not photos:
        raise FileNotFoundError(f"no photos of the {split} split under {root}: expected <identity>/*.png and <identity>/y/*.png")
    return photos


@dataclass
class PartVectors:
    """One embedder's unit vector per photo (zeros where no usable face) and whether it has one."""

    vectors: np.ndarray
    ok: np.ndarray
    quality: np.ndarray


def _cache_file(cache: Path, part_id: str, split: str, photos: list[LagPhoto]) -> Path:
    listing = hashlib.sha256("\n".join(p.relpath for p in photos).encode()).hexdigest()[:12]
    return cache / f"{part_id}.{split}.{listing}.npz"


def embed_parts(cfg: FaceConfig, root: Path, photos: list[LagPhoto], *, split: str, cache: Path) -> dict[str, PartVectors]:
    """Every configured embedder's vectors of ``photos`` (primary face), from the cache or computed.

    Each embedder runs in a pipeline of its own with the same detection, so a changed crop of
    one embedder re-embeds only that one. The fused embedding is their weighted concatenation,
    exactly as ``FacePipeline`` builds it.
    """
    cache.mkdir(parents=True, exist_ok=True)
    out = {}
    for name, part_id in zip(cfg.embedders, embedder_ids(cfg), strict=True):
        target = _cache_file(cache, part_id, split, photos)
        if not target.exists():
            single = FacePipeline(cfg.model_copy(update={"embedders": (name,), "embedder_weights": (1.0,)})).load()
            vectors, ok, quality = [], [], []
            for start in range(0, len(photos), 32):
                chunk = photos[start : start + 32]
                for outcome in single.embed_images([(root / p.relpath).read_bytes() for p in chunk]):
                    face = outcome.primary
                    ok.append(face is not None)
                    quality.append(face.quality if face else 0.0)
                    vectors.append(face.parts[part_id] if face else np.zeros(single.dimension, np.float32))
            tmp = target.with_suffix(".part.npz")
            np.savez(tmp, vectors=np.stack(vectors), ok=np.array(ok), quality=np.array(quality, np.float32))
            tmp.rename(target)
        data = np.load(target)
        out[part_id] = PartVectors(data["vectors"], data["ok"], data["quality"])
    return out


def fuse(parts: list[PartVectors], weights: tuple[float, ...]) -> PartVectors:
    """The fused embedding (√weight × each unit vector, concatenated), as the pipeline makes it."""
    vectors = np.concatenate([p.vectors * math.sqrt(w) for p, w in zip(parts, weights, strict=True)], axis=1)
    ok = np.logical_and.reduce([p.ok for p in parts])
    return PartVectors(vectors, ok, parts[0].quality)


@dataclass(frozen=True)
class AgeGapScores:
    queries: int  # child photos of people with an adult photo
    unusable: int  # of those, without a usable face (each counted as a miss)
    rank1: float
    rank10: float
    auc: float
    tar_far1: float
    tar_far01: float

    def line(self, name: str) -> str:
        return (
            f"{name:<58} rank-1 {self.rank1:.3f}  rank-10 {self.rank10:.3f}  AUC {self.auc:.3f}  "
            f"TAR@FAR1% {self.tar_far1:.3f}  TAR@FAR0.1% {self.tar_far01:.3f}  ({self.queries} queries, {self.unusable} without a face)"
        )


@dataclass(frozen=True)
class PairScores:
    """Every (child photo, adult photo) pair with faces on both sides."""

    scores: np.ndarray  # (queries, gallery) similarity
    same: np.ndarray  # (queries, gallery) bool
    query_identity: list[str]
    gallery_identity: list[str]


def pair_scores(photos: list[LagPhoto], part: PartVectors) -> tuple[PairScores, int, int]:
    """Child queries × adult gallery, and how many queries there are and how many lack a face."""
    gallery = [i for i, p in enumerate(photos) if not p.child and part.ok[i]]
    with_adult = {photos[i].identity for i, p in enumerate(photos) if not p.child}
    queries_all = [i for i, p in enumerate(photos) if p.child and p.identity in with_adult]
    queries = [i for i in queries_all if part.ok[i]]
    scores = part.vectors[queries] @ part.vectors[gallery].T
    q_id = [photos[i].identity for i in queries]
    g_id = [photos[i].identity for i in gallery]
    same = np.array(q_id)[:, None] == np.array(g_id)[None, :]
    return PairScores(scores, same, q_id, g_id), len(queries_all), len(queries_all) - len(queries)


def auc_of(genuine: np.ndarray, impostor: np.ndarray) -> float:
    """Mann–Whitney AUC: the chance a same-person pair outscores a different-person pair (ties half)."""
    both = np.concatenate([genuine, impostor])
    order = both.argsort(kind="mergesort")
    ranks = np.empty(len(both))
    ranks[order] = np.arange(1, len(both) + 1)
    # average ranks of ties
    sorted_scores = both[order]
    starts = np.flatnonzero(np.r_[True, sorted_scores[1:] != sorted_scores[:-1]])
    ends = np.r_[starts[1:], len(both)]
    for s, e in zip(starts, ends, strict=True):
        if e - s > 1:
            ranks[order[s:e]] = (s + 1 + e) / 2
    return float((ranks[: len(genuine)].sum() - len(genuine) * (len(genuine) + 1) / 2) / (len(genuine) * len(impostor)))


def evaluate(pairs: PairScores, n_queries: int, unusable: int) -> AgeGapScores:
    genuine, impostor = pairs.scores[pairs.same], pairs.scores[~pairs.same]
    identities = sorted(set(pairs.gallery_identity))
    column = {name: k for k, name in enumerate(identities)}
    # each person's best adult photo per query
    best = np.full((len(pairs.query_identity), len(identities)), -np.inf)
    g_cols = np.array([column[g] for g in pairs.gallery_identity])
    for k in range(len(identities)):
        cols = g_cols == k
        best[:, k] = pairs.scores[:, cols].max(axis=1)
    true = best[np.arange(len(best)), [column[q] for q in pairs.query_identity]]
    ranks = 1 + (best > true[:, None]).sum(axis=1)
    both = len(genuine) > 0 and len(impostor) > 0  # a tiny split may lack one kind of pair: no AUC then
    far1, far01 = (np.quantile(impostor, 0.99), np.quantile(impostor, 0.999)) if both else (np.nan, np.nan)
    return AgeGapScores(
        queries=n_queries,
        unusable=unusable,
        rank1=float((ranks <= 1).sum() / max(1, n_queries)),
        rank10=float((ranks <= 10).sum() / max(1, n_queries)),
        auc=auc_of(genuine, impostor) if both else float("nan"),
        tar_far1=float((genuine > far1).mean()) if both else float("nan"),
        tar_far01=float((genuine > far01).mean()) if both else float("nan"),
    )


def _impostor_stats(pairs: PairScores) -> tuple[float, float]:
    impostor = pairs.scores[~pairs.same]
    return float(impostor.mean()), float(impostor.std())


def _logistic(x: np.ndarray, y: np.ndarray, weight: np.ndarray, ridge: float = 1e-3, iterations: int = 50) -> np.ndarray:
    """Weighted logistic regression by Newton's method; returns (bias, coefficients...)."""
    design = np.hstack([np.ones((len(x), 1)), x])
    theta = np.zeros(design.shape[1])
    for _ in range(iterations):
        p = 1 / (1 + np.exp(-np.clip(design @ theta, -35, 35)))
        grad = design.T @ (weight * (y - p)) - ridge * theta
        hess = (design * (weight * p * (1 - p))[:, None]).T @ design + ridge * np.eye(len(theta))
        step = np.linalg.solve(hess, grad)
        theta += step
        if np.abs(step).max() < 1e-9:
            break
    return theta


def fit_fusion_weights(pairs: list[PairScores], seed: int = 0) -> tuple[float, ...]:
    """Inner-product weights for the embedders (summing to 1) from child→adult pairs.

    Each embedder's cosine is z-scored against its impostor pairs; a logistic regression
    (classes weighted equally, impostors sampled) fits one coefficient per z-score. As
    a·(cos − μ)/σ summed over embedders is Σ (a/σ)·cos plus a constant, the weights are a/σ.
    """
    same = pairs[0].same.ravel()
    if same.all() or not same.any():
        raise ValueError("fitting fusion weights needs both same-person and different-person pairs")
    stats = [_impostor_stats(p) for p in pairs]
    z = np.stack([((p.scores.ravel() - m) / s) for p, (m, s) in zip(pairs, stats, strict=True)], axis=1)
    rng = np.random.default_rng(seed)
    genuine = np.flatnonzero(same)
    impostor = np.flatnonzero(~same)
    impostor = rng.choice(impostor, size=min(IMPOSTOR_SAMPLE, len(impostor)), replace=False)
    rows = np.concatenate([genuine, impostor])
    y = np.r_[np.ones(len(genuine)), np.zeros(len(impostor))]
    weight = np.r_[np.full(len(genuine), 0.5 / len(genuine)), np.full(len(impostor), 0.5 / len(impostor))] * len(rows)
    theta = _logistic(z[rows], y, weight)
    raw = np.maximum(theta[1:], 1e-6) / np.array([s for _, s in stats])
    return tuple(float(w) for w in raw / raw.sum())


def run_faces_age_bench(
    *,
    lag: Path,
    cfg: FaceConfig,
    cache: Path,
    held_out: bool = False,
    fit: bool = False,
    extra_weights: list[tuple[float, ...]] | None = None,
    write_levels: Path | None = None,
) -> Iterator[str]:
    """Print rank-1/10, AUC and TAR@FAR for each embedder and the fused embedding."""
    split = "held_out" if held_out else "dev"
    photos = lag_photos(lag, split=split)
    people = len({p.identity for p in photos})
    yield (
        f"Large Age-Gap, {split} split: {people} people, {sum(p.child for p in photos)} child photos (queries), "
        f"{sum(not p.child for p in photos)} adult photos (gallery)"
    )
    started = time.perf_counter()
    parts = embed_parts(cfg, lag, photos, split=split, cache=cache)
    yield f"embeddings: {time.perf_counter() - started:.1f}s (cached in {cache})"
    # one face set for every row: a photo counts only where every embedder has a face (same detection)
    ok = np.logical_and.reduce([p.ok for p in parts.values()])
    parts = {k: PartVectors(np.where(ok[:, None], p.vectors, 0), ok, p.quality) for k, p in parts.items()}
    scored = {k: pair_scores(photos, p) for k, p in parts.items()}
    for part_id, (pairs, n, unusable) in scored.items():
        yield evaluate(pairs, n, unusable).line(part_id)
    if len(parts) > 1:
        part_list = list(parts.values())
        pair_list = [pairs for pairs, _, _ in scored.values()]
        n, unusable = next(iter(scored.values()))[1:]
        stats = [_impostor_stats(p) for p in pair_list]
        zsum = PairScores(sum((p.scores - m) / s for p, (m, s) in zip(pair_list, stats, strict=True)), *astuple_rest(pair_list[0]))
        yield evaluate(zsum, n, unusable).line("z-scored cosines summed (unweighted)")
        weight_sets = [("configured", cfg.weights)] + [("asked", w) for w in (extra_weights or [])]
        if fit:
            fitted = fit_fusion_weights(pair_list)
            weight_sets.append(("fitted on this split", fitted))
            # an honest check of the fit: fit on half of the people, judge on the other half
            halves = [int(hashlib.sha256(q.encode()).hexdigest(), 16) % 2 for q in pair_list[0].query_identity]
            yield from _cross_fit(pair_list, np.array(halves), n, unusable)
        for label, weights in weight_sets:
            fused = pair_scores(photos, fuse(part_list, weights))[0]
            shown = ", ".join(f"{w:.3f}" for w in weights)
            yield evaluate(fused, n, unusable).line(f"fused, {label} weights ({shown})")
    if fit or write_levels is not None:
        configured = pair_scores(photos, fuse(list(parts.values()), cfg.weights))[0]
        yield from _face_levels(configured, write_levels)
    yield "by age-gap band: not derivable (LAG's file names and folders carry no ages or years)"


def astuple_rest(pairs: PairScores) -> tuple[np.ndarray, list[str], list[str]]:
    return pairs.same, pairs.query_identity, pairs.gallery_identity


def _cross_fit(pair_list: list[PairScores], halves: np.ndarray, n: int, unusable: int) -> Iterator[str]:
    """Weights fitted on one half of the query people, rank-1/AUC measured on the other half, both ways."""
    for fit_half in (0, 1):
        fit_rows, judge_rows = halves == fit_half, halves != fit_half
        if not (pair_list[0].same[fit_rows].any() and pair_list[0].same[judge_rows].any()):
            yield f"  cross-fit: skipped (half {fit_half} or the other has no same-person pair)"
            continue
        fitted = fit_fusion_weights([_rows(p, fit_rows) for p in pair_list])
        judged = [_rows(p, judge_rows) for p in pair_list]
        fused = PairScores(sum(w * p.scores for w, p in zip(fitted, judged, strict=True)), *astuple_rest(judged[0]))
        share = judge_rows.sum() / len(judge_rows)
        scores = evaluate(fused, round(n * share), round(unusable * share))
        shown = ", ".join(f"{w:.3f}" for w in fitted)
        yield f"  cross-fit ({shown}) fitted on half {fit_half}, judged on the other: rank-1 {scores.rank1:.3f} AUC {scores.auc:.3f}"
        for k, p in enumerate(judged):
            single = evaluate(p, round(n * share), round(unusable * share))
            yield f"    same half, embedder {k + 1} alone: rank-1 {single.rank1:.3f} AUC {single.auc:.3f}"


def _rows(pairs: PairScores, rows: np.ndarray) -> PairScores:
    return PairScores(
        pairs.scores[rows], pairs.same[rows], [q for q, r in zip(pairs.query_identity, rows, strict=True) if r], pairs.gallery_identity
    )


def _face_levels(pairs: PairScores, write_levels: Path | None) -> Iterator[str]:
    """The face levels of the fusion model fitted on these child→adult pairs (configured weights)."""
    from search_api.fusion.fit import face_level_params, face_thresholds
    from search_api.fusion.model import FusionModel

    same, different = pairs.scores[pairs.same], pairs.scores[~pairs.same]
    thresholds = face_thresholds(different)
    params = face_level_params(same, different, thresholds)
    yield f"face levels on {len(same)} same-person and {len(different)} different-person child→adult photo pairs: thresholds {thresholds}"
    for level, p in params.items():
        yield f"  {level:<10} m {p.m:.4f}  u {p.u:.5f}  weight {p.weight:+.2f} bits"
    if write_levels is not None:
        model = FusionModel.load(write_levels)
        model.levels["face_cosine"] = params
        model.fitted_on["face"] = (
            f"{len(same)} same-person and {len(different)} different-person child→adult photo pairs "
            f"(Large Age-Gap dev split; thresholds {thresholds})"
        )
        model.save(write_levels)
        yield f"face levels written to {write_levels}; set FACE_THRESHOLDS in search_api/fusion/features/face.py to the thresholds above"
