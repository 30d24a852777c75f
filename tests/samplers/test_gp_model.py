"""Known answers for the GP sampler's model: kernel, posterior, fit, acquisitions, targets."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.stats import norm
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, Matern

from rheostat.samplers._gp._acquisition import (
    ConfidenceBound,
    LogEI,
    log_h,
    thompson_draw,
    ucb_beta,
)
from rheostat.samplers._gp._chain import FitChain, anchor_sizes
from rheostat.samplers._gp._fit import Prior, fit_hyperparameters, neg_log_posterior
from rheostat.samplers._gp._kernel import pairwise_deltas
from rheostat.samplers._gp._model import Hyperparameters, Posterior, robust_cholesky
from rheostat.samplers._gp._space import Encoding
from rheostat.samplers._gp._targets import scalarize, warp, yeo_johnson
from rheostat.samplers._gp._threads import run_numeric
from rheostat.testing import SamplerConformance
from rheostat.testing._samplers import check_value
from rheostat.trial import Direction


def _hyper(lengthscales: list[float], signal: float, noise: float) -> Hyperparameters:
    return Hyperparameters(
        tuple(math.log(v) for v in lengthscales), math.log(signal), math.log(noise)
    )


def _sklearn(lengthscales: list[float], signal: float, noise: float) -> GaussianProcessRegressor:
    kernel = ConstantKernel(signal, "fixed") * Matern(lengthscales, "fixed", nu=2.5)
    return GaussianProcessRegressor(kernel, alpha=noise, optimizer=None)


def _data(n: int = 25, d: int = 3) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    x = rng.random((n, d))
    return x, np.sin(3.0 * x.sum(axis=1)) + 0.3 * x[:, 0]


def test_posterior_matches_sklearn() -> None:
    x, y = _data()
    ls, signal, noise = [0.3, 0.5, 0.8], 1.7, 1e-3
    reference = _sklearn(ls, signal, noise).fit(x, y)
    xq = np.random.default_rng(1).random((40, 3))
    ref_mean, ref_std = reference.predict(xq, return_std=True)
    post = Posterior(x, y, np.zeros(3, dtype=bool), _hyper(ls, signal, noise))
    mean, var = post.predict(xq)
    np.testing.assert_allclose(mean, ref_mean, atol=1e-6)
    np.testing.assert_allclose(np.sqrt(var), ref_std, atol=1e-6)
    joint_mean, cov = post.joint(xq[:5])
    np.testing.assert_allclose(joint_mean, ref_mean[:5], atol=1e-6)
    _, ref_cov = reference.predict(xq[:5], return_cov=True)
    np.testing.assert_allclose(cov, ref_cov, atol=1e-6)


def test_categorical_kernel_is_matern_on_one_hot_columns() -> None:
    # Hamming / l² equals |one-hot difference|² / (2 l²): sklearn on one-hot columns with
    # length-scale √2 l gives the same posterior.
    rng = np.random.default_rng(2)
    n = 30
    x = np.column_stack([rng.random(n), rng.integers(0, 3, n).astype(float)])
    y = np.cos(4.0 * x[:, 0]) + np.array([0.0, 0.5, -0.5])[x[:, 1].astype(int)]
    xq = np.column_stack([rng.random(20), rng.integers(0, 3, 20).astype(float)])
    ls_num, ls_cat, signal, noise = 0.4, 0.7, 1.3, 1e-4
    post = Posterior(x, y, np.array([False, True]), _hyper([ls_num, ls_cat], signal, noise))
    mean, var = post.predict(xq)

    def one_hot(a: np.ndarray) -> np.ndarray:
        return np.column_stack([a[:, 0], np.eye(3)[a[:, 1].astype(int)]])

    reference = _sklearn([ls_num] + [math.sqrt(2.0) * ls_cat] * 3, signal, noise)
    ref_mean, ref_std = reference.fit(one_hot(x), y).predict(one_hot(xq), return_std=True)
    np.testing.assert_allclose(mean, ref_mean, atol=1e-6)
    np.testing.assert_allclose(np.sqrt(var), ref_std, atol=1e-6)


def test_gradients_of_mean_and_variance() -> None:
    x, y = _data()
    post = Posterior(x, y, np.zeros(3, dtype=bool), _hyper([0.3, 0.5, 0.8], 1.0, 1e-4))
    xq = np.random.default_rng(3).random((6, 3))
    cont = np.array([True, False, True])
    _, _, d_mean, d_var = post.predict_with_grad(xq, cont)
    for k, j in enumerate(np.flatnonzero(cont)):
        step = np.zeros(3)
        step[j] = 1e-6
        up, down = post.predict(xq + step), post.predict(xq - step)
        np.testing.assert_allclose((up[0] - down[0]) / 2e-6, d_mean[:, k], atol=1e-5)
        np.testing.assert_allclose((up[1] - down[1]) / 2e-6, d_var[:, k], atol=1e-5)


def test_cholesky_survives_duplicate_points() -> None:
    x = np.repeat(np.random.default_rng(4).random((5, 2)), 3, axis=0)  # every point thrice
    k = np.exp(-pairwise_deltas(x, x, np.zeros(2, dtype=bool)).sum(axis=2))
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.cholesky(k - 1e-12 * np.eye(len(k)))
    factor = robust_cholesky(k)
    assert np.isfinite(factor).all()
    np.testing.assert_allclose(factor @ factor.T, k, atol=1e-6)
    y = np.repeat(np.arange(5.0), 3)
    post = Posterior(x, y, np.zeros(2, dtype=bool), _hyper([0.2, 0.2], 1.0, 1e-12))
    mean, var = post.predict(x[::3])
    np.testing.assert_allclose(mean, np.arange(5.0), atol=1e-3)
    assert (var >= 0).all()


def test_log_posterior_gradient() -> None:
    x, y = _data(20, 3)
    x[:, 2] = np.random.default_rng(5).integers(0, 3, 20)
    deltas = pairwise_deltas(x, x, np.array([False, False, True]))
    theta = np.array([-1.0, -0.5, 0.2, 0.3, -4.0])
    value, grad = neg_log_posterior(theta, deltas, y, Prior())
    for i in range(len(theta)):
        step = np.zeros_like(theta)
        step[i] = 1e-6
        up = neg_log_posterior(theta + step, deltas, y, Prior())[0]
        down = neg_log_posterior(theta - step, deltas, y, Prior())[0]
        assert (up - down) / 2e-6 == pytest.approx(grad[i], rel=1e-5, abs=1e-6)
    assert math.isfinite(value)


def test_fit_finds_the_irrelevant_dimension() -> None:
    rng = np.random.default_rng(6)
    x = rng.random((40, 2))
    y = np.sin(6.0 * x[:, 0])
    y = (y - y.mean()) / y.std()
    prior = Prior()
    fit = fit_hyperparameters(x, y, np.zeros(2, dtype=bool), prior, [prior.means(2)])
    ls = np.exp(fit.log_lengthscales)
    assert ls[1] > 5 * ls[0], ls
    assert math.exp(fit.log_noise) < 1e-3


# -- acquisitions -------------------------------------------------------------------------------


def test_log_h_matches_closed_form() -> None:
    z = np.linspace(-8.0, 5.0, 261)
    expected = np.log(norm.pdf(z) + z * norm.cdf(z))
    np.testing.assert_allclose(log_h(z), expected, rtol=1e-9)


def test_log_h_far_below_the_incumbent() -> None:
    # h(z) = phi(z) / z² (1 - 3/z² + 15/z⁴ - ...) as z -> -inf.
    for z in (-40.0, -1e3, -1e9, -1e12):
        series = 1.0 - 3.0 / z**2 + 15.0 / z**4
        expected = -0.5 * z * z - 0.5 * math.log(2 * math.pi) - 2 * math.log(-z) + math.log(series)
        assert log_h(np.array([z]))[0] == pytest.approx(expected, rel=1e-10)
    z = np.concatenate([-np.logspace(15, 0, 400), np.linspace(-1.0, 10.0, 200)])
    values = log_h(np.unique(z))
    assert np.isfinite(values).all()
    assert (np.diff(values) > 0).all()


def test_log_ei_matches_expected_improvement() -> None:
    x, y = _data()
    post = Posterior(x, y, np.zeros(3, dtype=bool), _hyper([0.3, 0.5, 0.8], 1.0, 1e-4))
    xq = np.random.default_rng(7).random((50, 3))
    best = float(y.min())
    acq = LogEI(post, best)
    mean, var = post.predict(xq)
    sd = np.sqrt(var)
    z = (best - mean) / sd
    ei = (best - mean) * norm.cdf(z) + sd * norm.pdf(z)
    shown = ei > 1e-12
    assert shown.sum() > 10
    np.testing.assert_allclose(acq(xq)[shown], np.log(ei[shown]), rtol=1e-7)
    cont = np.ones(3, dtype=bool)
    values, grad = acq.with_grad(xq[:5], cont)
    np.testing.assert_allclose(values, acq(xq[:5]), atol=1e-9)
    for j in range(3):
        step = np.zeros(3)
        step[j] = 1e-6
        fd = (acq(xq[:5] + step) - acq(xq[:5] - step)) / 2e-6
        np.testing.assert_allclose(grad[:, j], fd, rtol=1e-4, atol=1e-6)


def test_log_ei_is_finite_far_from_the_incumbent() -> None:
    x, y = _data()
    post = Posterior(x, y, np.zeros(3, dtype=bool), _hyper([0.3, 0.5, 0.8], 1.0, 1e-4))
    xq = np.random.default_rng(8).random((20, 3))
    values = [LogEI(post, best)(xq) for best in (y.min() - 50.0, y.min() - 100.0)]
    assert all(np.isfinite(v).all() for v in values)
    assert (values[1] < values[0]).all()  # a better incumbent leaves less to improve


def test_confidence_bound() -> None:
    x, y = _data()
    post = Posterior(x, y, np.zeros(3, dtype=bool), _hyper([0.3, 0.5, 0.8], 1.0, 1e-4))
    xq = np.random.default_rng(9).random((10, 3))
    mean, var = post.predict(xq)
    beta = ucb_beta(25, 3)
    assert beta == pytest.approx(0.2 * 3 * math.log(50))
    acq = ConfidenceBound(post, beta)
    np.testing.assert_allclose(acq(xq), -mean + math.sqrt(beta) * np.sqrt(var))
    values, grad = acq.with_grad(xq, np.ones(3, dtype=bool))
    np.testing.assert_allclose(values, acq(xq))
    step = np.array([1e-6, 0.0, 0.0])
    np.testing.assert_allclose(
        grad[:, 0], (acq(xq + step) - acq(xq - step)) / 2e-6, rtol=1e-4, atol=1e-6
    )


def test_thompson_draws_follow_the_posterior() -> None:
    x, y = _data(10, 2)
    post = Posterior(x, y, np.zeros(2, dtype=bool), _hyper([0.3, 0.3], 1.0, 1e-4))
    xq = np.random.default_rng(10).random((3, 2))
    mean, cov = post.joint(xq)
    rng = np.random.default_rng(11)
    draws = np.array([thompson_draw(post, xq, rng) for _ in range(4000)])
    sd = np.sqrt(np.diag(cov))
    # 4000 draws: the sample mean is within ~4 standard errors, the covariance within ~15%.
    assert (np.abs(draws.mean(axis=0) - mean) < 4 * sd / math.sqrt(4000)).all()
    np.testing.assert_allclose(np.cov(draws.T), cov, rtol=0.15, atol=0.05 * sd.max() ** 2)


# -- targets ------------------------------------------------------------------------------------


def test_scalarize_signs_and_infinities() -> None:
    values = np.array([[1.0], [3.0], [np.inf], [2.0]])
    np.testing.assert_array_equal(
        scalarize(values, [Direction.MINIMIZE], None), [1.0, 3.0, 3.0, 2.0]
    )
    np.testing.assert_array_equal(
        scalarize(values, [Direction.MAXIMIZE], None), [-1.0, -3.0, -3.0, -2.0]
    )


def test_parego_prefers_the_weighted_objective() -> None:
    values = np.array([[0.0, 1.0], [1.0, 0.0], [0.5, 0.5]])
    directions = [Direction.MINIMIZE, Direction.MINIMIZE]
    on_first = scalarize(values, directions, np.array([0.9, 0.1]))
    assert int(np.argmin(on_first)) == 0
    on_second = scalarize(values, directions, np.array([0.1, 0.9]))
    assert int(np.argmin(on_second)) == 1


def test_warp_is_monotone_and_tames_a_heavy_tail() -> None:
    y = np.concatenate([np.linspace(0.0, 1.0, 20), [50.0, 200.0]])  # two diverged runs
    w = warp(y)
    assert (np.diff(w) > 0).all()
    assert w.mean() == pytest.approx(0.0, abs=1e-12)
    assert w.std() == pytest.approx(1.0)
    # The good values spread over more of the standardized range than without warping.
    plain = (y - y.mean()) / y.std()
    assert np.ptp(w[:20]) > 2 * np.ptp(plain[:20])
    np.testing.assert_allclose(yeo_johnson(y, 1.0), y)


# -- encoding and the fit chain -----------------------------------------------------------------


def test_projected_rows_are_canonical() -> None:
    # A projected row decodes to valid values whose encoding is the same row, bit for bit in the
    # integer, step and categorical columns: what lets the sampler recognise a configuration it
    # has already tried.
    space = SamplerConformance.space
    enc = Encoding(space)
    rng = np.random.default_rng(12)
    raw = rng.random((500, enc.dim)) * 1.2 - 0.1
    raw[:, enc.is_cat] = rng.integers(0, 5, (500, int(enc.is_cat.sum())))
    rows = enc.project(raw)
    np.testing.assert_array_equal(enc.project(rows), rows)
    for row in rows:
        params = enc.decode(row)
        for name, value in params.items():
            check_value(name, space[name], value)
        again = enc.encode(params)
        disc = ~enc.is_cont
        assert again[disc].tobytes() == row[disc].tobytes()
        np.testing.assert_allclose(again[enc.is_cont], row[enc.is_cont], atol=1e-12)
    np.testing.assert_array_equal(rows[:, enc.is_cont], np.clip(raw[:, enc.is_cont], 0, 1))


def test_anchor_sizes() -> None:
    assert anchor_sizes(20) == [*range(1, 17), 18, 20]
    sizes = anchor_sizes(300)
    assert sizes[-1] == 289
    assert all(b - a == max(1, a // 8) for a, b in itertools.pairwise(sizes))


def test_fit_chain_is_a_function_of_the_data() -> None:
    rng = np.random.default_rng(13)
    x = rng.random((40, 2))
    y = np.sin(5 * x[:, 0]) + x[:, 1]

    def targets(a: int) -> np.ndarray:
        return warp(y[:a])

    def fit(chain: FitChain, n: int) -> tuple[int, Hyperparameters]:
        return run_numeric(
            lambda: chain.hyperparameters(
                x[:n], targets, np.zeros(2, dtype=bool), Prior(), seed=0, start=5
            )
        )

    warm = FitChain()
    for n in (10, 25, 40):  # fitted step by step, as a study would
        anchor, step_by_step = fit(warm, n)
    cold = FitChain()  # a resumed study: the whole chain at once
    anchor_cold, at_once = fit(cold, 40)
    assert anchor == anchor_cold == 37
    assert step_by_step == at_once
    assert len(cold) == len([a for a in anchor_sizes(40) if a >= 5])
