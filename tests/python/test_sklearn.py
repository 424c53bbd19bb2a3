"""ntk.sklearn.NTK / NNGP under scikit-learn's Kernel contract."""

import pickle

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.datasets import load_digits
from sklearn.gaussian_process import GaussianProcessRegressor
from sklearn.gaussian_process.kernels import ConstantKernel, WhiteKernel
from sklearn.kernel_ridge import KernelRidge
from sklearn.metrics.pairwise import pairwise_kernels
from sklearn.model_selection import GridSearchCV
from sklearn.svm import SVC

import ntk
from ntk.sklearn import NNGP, NTK


@pytest.fixture(scope="module")
def digits():
    X, y = load_digits(return_X_y=True)
    return X[:240] / 16.0, y[:240]


def test_clone_and_params_unchanged():
    k = NTK(depth=3, activation="erf", w_std=1.3, b_std=None, parameterization="ntk")
    c = clone(k)
    assert c is not k and c.get_params() == k.get_params()
    assert c.get_params()["b_std"] is None and c.depth == 3
    # the constructor stores without validating (sklearn's contract); the call validates
    bad = NTK(depth=2, w_std=-1.0)
    assert bad.w_std == -1.0
    with pytest.raises(ValueError, match="w_std"):
        bad(np.eye(2))


def test_pickle_roundtrip(digits):
    X, _ = digits
    for k in (NTK(depth=2, w_std=1.5, b_std=0.1), NNGP(depth=1, activation="selu")):
        k2 = pickle.loads(pickle.dumps(k))
        assert k2 == k
        assert np.array_equal(k2(X[:20]), k(X[:20]))


def test_values_are_the_engines(digits):
    X, _ = digits
    net = ntk.Network("relu", depth=2, w_std=1.5, b_std=0.1)
    ref = ntk.kernels(net, X[:50], X[50:80])
    assert np.array_equal(NTK(depth=2, w_std=1.5, b_std=0.1)(X[:50], X[50:80]), ref.ntk)
    assert np.array_equal(NNGP(depth=2, w_std=1.5, b_std=0.1)(X[:50], X[50:80]), ref.nngp)
    assert not NTK().is_stationary()
    assert NTK().requires_vector_input


def test_diag_is_the_full_diagonal():
    x = np.random.default_rng(1).normal(size=(600, 5))  # more than two 256-row tiles
    for k in (NTK(depth=3, w_std=1.4, b_std=0.2), NNGP(depth=2, activation="erf", w_std=1.1)):
        assert np.array_equal(k.diag(x), np.diag(k(x)))


def test_eval_gradient_contract(digits):
    X, _ = digits
    k = NTK(depth=1)
    K, g = k(X[:10], eval_gradient=True)
    assert g.shape == (10, 10, 0) and np.array_equal(K, k(X[:10]))
    with pytest.raises(ValueError):
        k(X[:10], X[:5], eval_gradient=True)
    assert k.theta.shape == (0,) and all(h.fixed for h in k.hyperparameters)


def test_kernel_ridge_equals_precomputed(digits):
    X, y = digits
    Y = np.eye(10)[y]
    kern = NTK(depth=2, w_std=1.5, b_std=0.05)
    a = KernelRidge(alpha=1e-3, kernel=kern).fit(X[:200], Y[:200])
    K = kern(X[:200])
    b = KernelRidge(alpha=1e-3, kernel="precomputed").fit(K, Y[:200])
    pa = a.predict(X[200:])
    pb = b.predict(kern(X[200:], X[:200]))
    assert np.array_equal(pa, pb)
    assert np.mean(np.argmax(pa, 1) == y[200:]) > 0.8
    assert np.array_equal(pairwise_kernels(X[:30], X[30:40], metric=kern), kern(X[:30], X[30:40]))


def test_grid_search(digits):
    X, y = digits
    grid = GridSearchCV(SVC(kernel=NTK()), {"kernel__depth": [1, 3], "kernel__w_std": [1.0, 1.5]}, cv=3)
    grid.fit(X, y)
    assert grid.best_params_["kernel__depth"] in (1, 3)
    assert grid.best_score_ > 0.8


def test_gaussian_process_regressor(digits):
    X, y = digits
    t = (y == 3).astype(float)
    gpr = GaussianProcessRegressor(kernel=ConstantKernel(1.0) * NNGP(depth=2, w_std=1.4) + WhiteKernel(1e-2, noise_level_bounds=(1e-10, 1e1)), random_state=0)
    gpr.fit(X[:150], t[:150])
    mean, std = gpr.predict(X[150:], return_std=True)
    assert mean.shape == (90,) and np.all(std > 0)
    assert np.mean((mean > 0.5) == (t[150:] > 0.5)) > 0.9
    # fixed NNGP hyperparameters: only the constant and the noise were fitted
    assert gpr.kernel_.theta.shape == (2,)
