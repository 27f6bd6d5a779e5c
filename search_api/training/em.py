"""Expectation-maximisation of Fellegi–Sunter parameters over observed comparison levels.

Pure numpy, no store: the input is one row per pair and one column per feature, holding
the index of the level the pair landed on. Level 0 is always the missing-data level: it
is neutral by definition (m = u = 1) and takes no part in the likelihood, so m and u of
the other levels are P(level | same child, both values given) and P(level | different
children, both values given). Identical rows are counted once, with their multiplicity
(as Splink does), so the cost grows with the number of distinct level patterns.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

PROB_FLOOR = 1e-6


@dataclass
class EMResult:
    """Estimated parameters (index 0 of each array is the neutral missing level) and how EM went."""

    m: list[np.ndarray]
    u: list[np.ndarray]
    prior: float  # λ: share of the given pairs that are the same child
    iterations: int
    converged: bool
    max_change: float  # largest parameter change in the last iteration
    log_likelihood: list[float] = field(default_factory=list)  # after each iteration
    pairs: int = 0
    patterns: int = 0
    posterior: np.ndarray | None = None  # P(same child) of each input pair, under the final parameters

    def lines(self) -> list[str]:
        first, last = (self.log_likelihood[0], self.log_likelihood[-1]) if self.log_likelihood else (float("nan"),) * 2
        state = "converged" if self.converged else "NOT converged"
        return [
            f"EM {state} after {self.iterations} iterations over {self.pairs:,} pairs ({self.patterns:,} distinct level patterns)",
            f"  max parameter change in the last iteration {self.max_change:.2e}; log-likelihood {first:,.1f} → {last:,.1f}",
            f"  λ (share of these pairs that are the same child) {self.prior:.5f} ≈ {self.prior * self.pairs:,.0f} pairs",
        ]


def _normalise(counts: np.ndarray, start: np.ndarray, pseudo: float) -> np.ndarray:
    """Shares of levels 1.. with a pseudo-count pulling towards the starting values (no zeros)."""
    out = np.ones_like(start)
    body = counts[1:] + pseudo * start[1:] / max(start[1:].sum(), 1e-12)
    out[1:] = np.maximum(PROB_FLOOR, body / max(body.sum(), 1e-12))
    return out


def _capped(posterior: np.ndarray, inverse: np.ndarray, groups: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Per-pattern posteriors after scaling each group's rows to sum to at most 1 (rows → patterns by mean)."""
    rows = posterior[inverse]
    _, group_index = np.unique(groups, return_inverse=True)
    totals = np.bincount(group_index, weights=rows)
    rows = rows / np.maximum(1.0, totals[group_index])
    return np.bincount(inverse, weights=rows, minlength=len(posterior)) / np.maximum(counts, 1e-12)


def _log_table(params: Sequence[np.ndarray], patterns: np.ndarray) -> np.ndarray:
    total = np.zeros(len(patterns))
    for f, p in enumerate(params):
        logp = np.log(p)
        logp[0] = 0.0  # missing data: neutral
        total += logp[patterns[:, f]]
    return total


def run_em(
    levels: np.ndarray,
    *,
    m_start: Sequence[np.ndarray],
    u_start: Sequence[np.ndarray],
    prior_start: float,
    fix_u: bool | Sequence[bool] = False,
    weights: np.ndarray | None = None,
    max_iterations: int = 200,
    tolerance: float = 1e-5,
    pseudo_count: float = 1.0,
    groups: np.ndarray | None = None,
) -> EMResult:
    """Estimate m (and u unless ``fix_u``) and λ from unlabelled pairs.

    Args:
        levels: (pairs, features) integer array of level indexes, 0 = missing data.
        m_start, u_start: starting probabilities per feature (index 0 ignored).
        prior_start: starting λ, strictly between 0 and 1.
        fix_u: keep u at ``u_start`` (u measured elsewhere, e.g. on random pairs); one flag per
            feature, or one for all.
        weights: optional multiplicity of each row.
        pseudo_count: pairs' worth of pull towards the starting shares (keeps levels never
            seen in one class from reaching zero).
        groups: optional group id of each row (e.g. the found child): in each E-step the
            posteriors of a group are scaled down to sum to at most 1, because a found child
            is at most one missing child (a one-to-one constraint on the match class).

    Returns:
        The estimates, the iteration count, the last change and the log-likelihood trail.

    Example:
        >>> result = run_em(levels, m_start=m0, u_start=u0, prior_start=0.01)
        >>> result.converged, result.prior
    """
    if levels.ndim != 2 or levels.shape[1] != len(m_start) or len(m_start) != len(u_start):
        raise ValueError(f"levels is {levels.shape}; it needs one column per feature ({len(m_start)})")
    if not 0 < prior_start < 1:
        raise ValueError(f"prior_start must be strictly between 0 and 1, got {prior_start}")
    patterns, inverse, counts = np.unique(levels, axis=0, return_inverse=True, return_counts=True)
    inverse = inverse.reshape(-1)
    counts = counts.astype(float)
    if weights is not None:
        counts = np.bincount(inverse, weights=weights, minlength=len(patterns)).astype(float)
    m = [np.asarray(x, dtype=float).copy() for x in m_start]
    u = [np.asarray(x, dtype=float).copy() for x in u_start]
    lam = float(prior_start)
    fixed = [fix_u] * len(u) if isinstance(fix_u, bool) else list(fix_u)
    trail: list[float] = []
    change = float("inf")
    iteration = 0
    converged = False
    total = counts.sum()
    for step in range(1, max_iterations + 1):
        iteration = step
        log_match = np.log(lam) + _log_table(m, patterns)
        log_other = np.log1p(-lam) + _log_table(u, patterns)
        log_both = np.logaddexp(log_match, log_other)
        posterior = np.exp(log_match - log_both)
        trail.append(float(np.sum(counts * log_both)))
        if groups is not None:
            posterior = _capped(posterior, inverse, groups, counts)
        w_match, w_other = counts * posterior, counts * (1 - posterior)
        new_m = [
            _normalise(np.bincount(patterns[:, f], weights=w_match, minlength=len(m[f])), m_start[f], pseudo_count) for f in range(len(m))
        ]
        new_u = [
            u[f] if fixed[f] else _normalise(np.bincount(patterns[:, f], weights=w_other, minlength=len(u[f])), u_start[f], pseudo_count)
            for f in range(len(u))
        ]
        new_lam = float(np.clip(w_match.sum() / total, 1e-9, 1 - 1e-9))
        change = max(
            abs(new_lam - lam),
            max(float(np.max(np.abs(a[1:] - b[1:]))) if len(a) > 1 else 0.0 for a, b in zip(new_m, m, strict=True)),
            max(float(np.max(np.abs(a[1:] - b[1:]))) if len(a) > 1 else 0.0 for a, b in zip(new_u, u, strict=True)),
        )
        m, u, lam = new_m, new_u, new_lam
        if change < tolerance:
            converged = True
            break
    log_match = np.log(lam) + _log_table(m, patterns)
    log_other = np.log1p(-lam) + _log_table(u, patterns)
    rows = np.exp(log_match - np.logaddexp(log_match, log_other))[inverse]
    if groups is not None:
        _, group_index = np.unique(groups, return_inverse=True)
        rows = rows / np.maximum(1.0, np.bincount(group_index, weights=rows)[group_index])
    return EMResult(
        m=m,
        u=u,
        prior=lam,
        iterations=iteration,
        converged=converged,
        max_change=change,
        log_likelihood=trail,
        pairs=round(float(total)),
        patterns=len(patterns),
        posterior=rows,
    )


def monotone(m: np.ndarray, u: np.ndarray, chain: Sequence[int]) -> tuple[np.ndarray, list[int]]:
    """Make weights log2(m/u) non-increasing along ``chain`` (level indexes, strongest first).

    Pool-adjacent-violators on the likelihood ratio: a run of levels that would rank the
    wrong way round gets one shared ratio Σm/Σu (m is moved, u kept; Σm is unchanged). A
    level's meaning is fixed by the feature ("names differ" is never better evidence than
    "one name word agrees"); the data only say by how much. Returns the new m and the
    levels that were pooled.
    """
    m = m.copy()
    blocks: list[list[int]] = []
    for level in chain:
        blocks.append([level])
        while len(blocks) > 1:
            prev, last = blocks[-2], blocks[-1]
            if m[prev].sum() / u[prev].sum() >= m[last].sum() / u[last].sum() - 1e-12:
                break
            merged = prev + last
            ratio = m[merged].sum() / u[merged].sum()
            m[merged] = ratio * u[merged]
            blocks[-2:] = [merged]
    pooled = [lvl for block in blocks if len(block) > 1 for lvl in block]
    return m, pooled
