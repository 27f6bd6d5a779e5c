"""EM recovers planted Fellegi–Sunter parameters, and level order is kept (table-driven)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from search_api.training import monotone, run_em


def _planted(rng: np.random.Generator, n: int, prior: float, m: list[list[float]], u: list[list[float]], missing: float) -> np.ndarray:
    """Pairs drawn from the model: level 0 (missing) with probability ``missing``, else from m or u."""
    is_match = rng.random(n) < prior
    columns = []
    for mf, uf in zip(m, u, strict=True):
        k = len(mf)
        levels = np.where(is_match, rng.choice(k, size=n, p=mf), rng.choice(k, size=n, p=uf)) + 1
        levels[rng.random(n) < missing] = 0
        columns.append(levels)
    return np.stack(columns, axis=1)


def _with_missing(p: list[float]) -> np.ndarray:
    return np.array([1.0, *p])


CASES = [
    # (prior, m per feature, u per feature, missing share)
    (
        0.05,
        [[0.8, 0.15, 0.05], [0.9, 0.1], [0.7, 0.2, 0.1], [0.6, 0.3, 0.1]],
        [[0.02, 0.1, 0.88], [0.5, 0.5], [0.1, 0.2, 0.7], [0.05, 0.15, 0.8]],
        0.1,
    ),
    (
        0.2,
        [[0.6, 0.3, 0.1], [0.95, 0.05], [0.5, 0.3, 0.2], [0.85, 0.1, 0.05]],
        [[0.05, 0.15, 0.8], [0.3, 0.7], [0.1, 0.3, 0.6], [0.1, 0.2, 0.7]],
        0.3,
    ),
    (
        0.02,
        [[0.9, 0.08, 0.02], [0.95, 0.05], [0.8, 0.15, 0.05], [0.7, 0.2, 0.1]],
        [[0.01, 0.05, 0.94], [0.2, 0.8], [0.05, 0.15, 0.8], [0.1, 0.2, 0.7]],
        0.0,
    ),
]


@pytest.mark.parametrize(("prior", "m", "u", "missing"), CASES)
def test_em_recovers_planted_m_u_and_prior(prior: float, m: list, u: list, missing: float) -> None:
    rng = np.random.default_rng(7)
    levels = _planted(rng, 200_000, prior, m, u, missing)
    # start away from the truth: flattened m, u flattened the other way, prior off by 3×
    m_start = [_with_missing(list(0.5 * np.array(x) + 0.5 / len(x))) for x in m]
    u_start = [_with_missing(list(0.5 * np.array(x) + 0.5 / len(x))) for x in u]
    result = run_em(levels, m_start=m_start, u_start=u_start, prior_start=min(0.5, prior * 3), max_iterations=500, tolerance=1e-7)
    assert result.converged
    assert result.prior == pytest.approx(prior, rel=0.1)
    for f in range(len(m)):
        assert result.m[f][1:] == pytest.approx(np.array(m[f]), abs=0.03), f"feature {f} m"
        assert result.u[f][1:] == pytest.approx(np.array(u[f]), abs=0.01), f"feature {f} u"
        assert result.m[f][0] == 1.0 and result.u[f][0] == 1.0  # missing stays neutral
    # the log-likelihood never falls (EM's guarantee; small float noise allowed)
    assert all(b >= a - 1e-6 * abs(a) for a, b in zip(result.log_likelihood, result.log_likelihood[1:], strict=False))
    assert len(result.posterior) == len(levels)  # type: ignore[arg-type]
    assert any("converged" in line for line in result.lines())


def test_em_with_u_fixed_keeps_u_and_finds_m() -> None:
    rng = np.random.default_rng(3)
    m, u = [[0.8, 0.15, 0.05], [0.9, 0.1], [0.7, 0.2, 0.1]], [[0.02, 0.1, 0.88], [0.5, 0.5], [0.1, 0.2, 0.7]]
    levels = _planted(rng, 100_000, 0.1, m, u, 0.0)
    u_true = [_with_missing(x) for x in u]
    result = run_em(levels, m_start=[_with_missing([1 / 3] * 3), _with_missing([0.6, 0.4]), _with_missing([0.5, 0.3, 0.2])],
                    u_start=u_true, prior_start=0.05, fix_u=True, max_iterations=500, tolerance=1e-7)  # fmt: skip
    assert all(np.array_equal(a, b) for a, b in zip(result.u, u_true, strict=True))
    for f in range(3):
        assert result.m[f][1:] == pytest.approx(np.array(m[f]), abs=0.03)


@pytest.mark.parametrize(
    ("m", "u", "expected_m", "pooled"),
    [
        # already in order: untouched
        ([1, 0.6, 0.3, 0.1], [1, 0.1, 0.3, 0.6], [1, 0.6, 0.3, 0.1], []),
        # "one word" would beat "full name": the two are pooled to one ratio, Σm kept
        ([1, 0.2, 0.6, 0.2], [1, 0.1, 0.1, 0.8], [1, 0.4, 0.4, 0.2], [1, 2]),
    ],
)
def test_monotone_keeps_a_features_level_order(m: list, u: list, expected_m: list, pooled: list) -> None:
    out, merged = monotone(np.array(m, dtype=float), np.array(u, dtype=float), [1, 2, 3])
    assert out == pytest.approx(np.array(expected_m))
    assert merged == pooled
    weights = np.log2(out[1:] / np.array(u[1:]))
    assert all(a >= b - 1e-9 for a, b in itertools.pairwise(weights))


def test_one_to_one_groups_keep_each_found_childs_posteriors_within_one() -> None:
    """Ten look-alike candidates per found child, of which at most one is the child: without the
    constraint EM calls every look-alike a match; with it, λ stays near one in ten at most."""
    rng = np.random.default_rng(5)
    groups = np.repeat(np.arange(2000), 10)
    is_match = np.zeros(len(groups), dtype=bool)
    is_match[np.arange(0, len(groups), 10)[rng.random(2000) < 0.5]] = True  # half the children have their report among the ten
    m, u = [0.85, 0.1, 0.05], [0.3, 0.3, 0.4]  # look-alikes agree often: blocking chose them
    columns = [np.where(is_match, rng.choice(3, size=len(groups), p=m), rng.choice(3, size=len(groups), p=u)) + 1 for _ in range(3)]
    levels = np.stack(columns, axis=1)
    start = dict(m_start=[_with_missing([0.6, 0.3, 0.1])] * 3, u_start=[_with_missing([0.2, 0.3, 0.5])] * 3, prior_start=0.2)
    free = run_em(levels, **start, max_iterations=300)
    capped = run_em(levels, **start, max_iterations=300, groups=groups)
    per_child = np.bincount(groups, weights=capped.posterior)
    assert per_child.max() <= 1 + 1e-9
    assert capped.prior <= 0.1 + 1e-9 < free.prior or abs(capped.prior - 0.05) < abs(free.prior - 0.05)
