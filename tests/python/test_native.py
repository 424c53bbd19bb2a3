"""The native API: kernels equal the library's own schedule bit for bit, the predict job,
finite networks against neural-tangents' stored parameters, Monte Carlo kernels, convergence,
datasets and files."""

import math

import numpy as np
import pytest

import ntk
from conftest import rel
from ntk import _ntk
from ntk.nt import empirical_ntk_fn, monte_carlo_kernel_fn, stax


def test_banded_kernels_equal_library_schedule():
    """The interruptible banded computation is the library's tiled schedule, bit for bit, for
    self and cross kernels, several activations and thread counts."""
    rng = np.random.default_rng(5)
    x1, x2 = rng.normal(size=(300, 7)), rng.normal(size=(40, 7))
    for act in ("relu", "erf", "selu"):
        net = ntk.Network(act, depth=2, w_std=1.3, b_std=0.2)
        for a, b in ((x1, None), (x1, x2)):
            for th in (1, 2):
                got = ntk.kernels(net, a, b, threads=th)
                ref = _ntk.kernels(net.to_json(), a, b, True, th, None, True)
                assert np.array_equal(got.nngp, ref[0]) and np.array_equal(got.ntk, ref[1]), (act, th)
    k = ntk.kernels(ntk.Network("relu", 2, 1.3, 0.2), x1, ntk=False)
    assert k.ntk is None and np.array_equal(k.nngp, k.nngp.T)


def test_predict_job_network_and_given_kernels_agree(reference):
    g = reference["gradient_descent"]
    xtr, xte, ytr, yte = (np.array(g[k]) for k in ("x_train", "x_test", "y_train", "y_test"))
    net = ntk.Network("relu", depth=2, w_std=1.5, b_std=0.1)
    p = ntk.predict(ytr, network=net, x_train=xtr, x_test=xte, y_test=yte, loss="mean",
                    times=[0, 1, 10, 100, 1000, math.inf], steps=[0, 10], ensemble=True)
    assert np.isinf(p.times[-1]) and p.fx_train.shape == (6, 20, 1) and p.fx_test.shape == (6, 5, 1)
    c = g["gradient_descent_mse"]["ntk_fx0_zero"]
    assert rel(p.fx_test, c["fx_test_t"]) <= 1e-9
    e = g["gradient_descent_mse_ensemble"]["ntk"]
    assert rel(p.ensemble["ntk"]["test_mean"], e["test_mean_t"]) <= 1e-9
    assert rel(p.ensemble["ntk"]["test_cov"], e["test_cov_t"]) <= 1e-9
    assert rel(p.max_learning_rate, g["max_learning_rate_ntk"]) <= 1e-9
    k = g["kernels"]
    q = ntk.predict(ytr, ntk_train=k["ntk_train_train"], ntk_test_train=k["ntk_test_train"], y_test=yte,
                    loss="mean", times=[0, 1, 10, 100, 1000, math.inf], steps=[0, 10])
    assert rel(q.fx_test, p.fx_test) <= 1e-12 and rel(q.loss_test, p.loss_test) <= 1e-12
    assert p.gradient_descent["fx_train"].shape == (2, 20, 1)


def test_predict_check_widths_trains_networks():
    rng = np.random.default_rng(0)
    x, xt = rng.normal(size=(8, 2)), rng.normal(size=(3, 2))
    y = np.sin(x[:, :1])
    p = ntk.predict(y, network=ntk.Network("relu", 1, 1.4, 0.1), x_train=x, x_test=xt, steps=[0, 5],
                    learning_rate=0.1, check_widths=[16, 256], seeds=2, threads=1)
    widths = [s["width"] for s in p.check["summary"]]
    assert widths == [16, 256]
    dev = [s["deviation_test"] for s in p.check["summary"]]
    assert dev[1] < dev[0]  # wider networks follow the kernel prediction more closely


def test_empirical_ntk_matches_neural_tangents_params(reference):
    e = reference["empirical_ntk"]
    x = np.array(e["x_values"])
    params = []
    for layer in e["params"]:
        if layer:
            params.append((np.array(layer["W"]), np.array(layer["b"])))
        else:
            params.append(())
    init_fn, apply_fn, kernel_fn = stax.serial(
        stax.Dense(64, W_std=1.5, b_std=0.1), stax.Relu(),
        stax.Dense(64, W_std=1.5, b_std=0.1), stax.Relu(),
        stax.Dense(1, W_std=1.5, b_std=0.1))
    assert rel(apply_fn(params, x), e["f_x"]) <= 1e-12
    ntk_fn = empirical_ntk_fn(apply_fn)
    assert rel(ntk_fn(x, None, params), e["empirical_ntk"]) <= 1e-12
    shape, p0 = init_fn(42, (-1, 5))
    assert shape == (-1, 1) and [np.shape(p[0]) for p in p0 if p] == [(5, 64), (64, 64), (64, 1)]
    assert p0[1] == () and np.shape(p0[0][1]) == (1, 64)
    _, p1 = init_fn(42, (-1, 5))
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(p0, p1) if a)  # seeded


def test_monte_carlo_converges_to_analytic():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(6, 3))
    init_fn, apply_fn, kernel_fn = stax.serial(stax.Dense(1024, 1.5, 0.1), stax.Relu(), stax.Dense(1, 1.5, 0.1))
    exact = kernel_fn(x, None, ("nngp", "ntk"))
    mc = monte_carlo_kernel_fn(init_fn, apply_fn, 0, 40)(x, None, ("nngp", "ntk"))
    # NTK: concentrates at width 1024 (error ~ 1/sqrt(width * samples)); NNGP from f f^T
    # averaged over 40 draws: error ~ 1/sqrt(40)
    assert rel(mc.ntk, exact.ntk) < 0.05
    assert rel(mc.nngp, exact.nngp) < 0.6
    few = monte_carlo_kernel_fn(init_fn, apply_fn, 0, 1)(x, None, "ntk")
    assert rel(few, exact.ntk) > rel(mc.ntk, exact.ntk) * 0.5


def test_converge_error_decreases_with_width():
    x, _ = ntk.dataset("circle:8")
    r = ntk.converge(ntk.Network("relu", 2, 1.4, 0.1), x, [16, 512], seeds=3, threads=1)
    w = r["widths"]
    assert [s["width"] for s in w] == [16, 512]
    assert w[1]["ntk_rel_err_mean"] < w[0]["ntk_rel_err_mean"]


def test_dataset_and_read_matrix(tmp_path):
    x, labels = ntk.dataset("digits")
    assert x.shape == (1797, 64) and labels.shape == (1797,) and set(labels) == set(range(10))
    assert 0.0 <= x.min() and x.max() <= 1.0
    p = tmp_path / "m.npy"
    a = np.asfortranarray(np.arange(12.0).reshape(3, 4))
    np.save(p, a)
    assert np.array_equal(ntk.read_matrix(p), a)
    with pytest.raises(FileNotFoundError):
        ntk.read_matrix(tmp_path / "missing.npy")
    with pytest.raises(ValueError):
        ntk.dataset("nope")


def test_network_description():
    net = ntk.Network("ReLU", depth=3, w_std=1.5, b_std=None)
    assert net.activation == "relu" and net.b_std is None
    assert '"bias":false' in net.to_json().replace(" ", "")
    import pickle
    assert pickle.loads(pickle.dumps(net)) == net
    with pytest.raises(ValueError):
        ntk.Network("relu", depth=2, w_std=1.0, parameterization="weird")
    assert ntk.max_learning_rate(np.diag([4.0, 1.0]), loss="sum") == pytest.approx(0.5, rel=1e-12)
